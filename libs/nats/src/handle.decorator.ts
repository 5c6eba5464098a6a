import { randomUUID } from 'node:crypto';
import {
  applyDecorators,
  Inject,
  Logger,
  Injectable,
  Optional,
  SetMetadata,
  UseInterceptors,
  type CallHandler,
  type ExecutionContext,
  type NestInterceptor,
} from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { EventPattern, MessagePattern } from '@nestjs/microservices';
import {
  internal,
  invalidInput,
  unauthenticated,
  verifyCallerAssertion,
  zodProblems,
  type Caller,
  type EventContract,
  type ParsedRequestOf,
  type PayloadOf,
  type RequestContract,
} from '@wharf/contracts';
import { catchError, map, throwError, type Observable } from 'rxjs';
import { saneRequestId, serviceLogger, withRequestId } from './logging';
import { outcomeOf, serviceMetrics } from './metrics';
import { NATS_OPTIONS, type NatsOptions } from './nats.options';
import { RpcInFlight } from './shutdown';

/** What a handler of contract C receives: the validated body and the caller. */
export interface Msg<C extends RequestContract> {
  caller: Caller | null;
  body: ParsedRequestOf<C>;
}

const CONTRACT = Symbol('wharf:request-contract');
/** One debug line per NATS request answered: subject, outcome, time (with the request's reqId). */
const HANDLED_LOG = new Logger('Nats');

/**
 * Serves one request contract: first the caller assertion (signed by the requesting service with
 * Platform.InternalSecret, bound to this subject, the caller and the body: see RpcClient), then
 * the envelope, then the response. Anyone on NATS without the secret cannot pose as a caller.
 */
@Injectable()
class ContractInterceptor implements NestInterceptor {
  constructor(
    @Inject(NATS_OPTIONS) private readonly options: NatsOptions,
    private readonly reflector: Reflector,
    @Optional() private readonly inFlight?: RpcInFlight,
  ) {}

  intercept(ctx: ExecutionContext, next: CallHandler): Observable<unknown> {
    const contract = this.reflector.get<RequestContract | undefined>(CONTRACT, ctx.getHandler());
    if (!contract) throw internal('a handler is missing its contract');
    const args = ctx.getArgs();
    const raw: unknown = args[0];
    const wire = typeof raw === 'object' && raw !== null ? (raw as Record<string, unknown>) : {};
    if (!verifyCallerAssertion(this.options.secret, contract.subject, wire.caller, wire.body, wire.assertion)) {
      throw unauthenticated('the caller assertion is missing or invalid');
    }
    const parsed = contract.envelope.safeParse(raw);
    if (!parsed.success) {
      throw invalidInput(
        `invalid request for ${contract.subject}`,
        zodProblems(parsed.error).map((p) => ({ ...p, path: p.path.replace(/^body\.?/, '') })),
      );
    }
    args[0] = parsed.data; // the handler sees defaults applied and types narrowed
    const end = serviceMetrics(this.options.service).natsHandled.startTimer({ subject: contract.subject });
    // the handler runs as part of the sender's request (its id on every log line), or of a new one
    const requestId = saneRequestId(wire.requestId) ?? randomUUID();
    const done = (outcome: string) => {
      const seconds = end({ outcome });
      // (the answer is seen by Nest's subscriber, outside the handler's scope: enter it again, when the line is written at all)
      if (serviceLogger(this.options.service)?.isLevelEnabled('debug') === false) return;
      withRequestId(requestId, () => HANDLED_LOG.debug(`${contract.subject} answered ${outcome} in ${Math.round(seconds * 1000)} ms`));
    };
    return withRequestId(requestId, () =>
      counted(this.inFlight, next.handle()).pipe(
        map((answer: unknown) => {
          const res = contract.response.safeParse(answer);
          if (!res.success) {
            throw internal(`${contract.subject} produced an invalid response`, {
              problems: zodProblems(res.error),
            });
          }
          done('ok');
          return res.data;
        }),
        catchError((e: unknown) => {
          done(outcomeOf(e));
          return throwError(() => e);
        }),
      ),
    );
  }
}

/** Serves a request contract: subscribes in the service's queue group and validates both ways. */
export function Handle(contract: RequestContract): MethodDecorator {
  return applyDecorators(
    MessagePattern(contract.subject),
    SetMetadata(CONTRACT, contract),
    UseInterceptors(ContractInterceptor),
  );
}

const EVENT = Symbol('wharf:event-contract');

@Injectable()
class EventInterceptor implements NestInterceptor {
  constructor(
    private readonly reflector: Reflector,
    @Optional() private readonly inFlight?: RpcInFlight,
  ) {}

  intercept(ctx: ExecutionContext, next: CallHandler): Observable<unknown> {
    const contract = this.reflector.get<EventContract | undefined>(EVENT, ctx.getHandler());
    if (!contract) throw internal('an event handler is missing its contract');
    const args = ctx.getArgs();
    const parsed = contract.payload.safeParse(args[0]);
    if (!parsed.success) {
      throw invalidInput(`invalid event ${contract.subject}`, zodProblems(parsed.error));
    }
    args[0] = parsed.data;
    return counted(this.inFlight, next.handle());
  }
}

/** A handler's work, counted while it runs for the graceful shutdown (when the service has NatsModule). */
const counted = <T>(inFlight: RpcInFlight | undefined, handled: Observable<T>): Observable<T> => (inFlight ? inFlight.track(handled) : handled);

/**
 * Listens to an event. `broadcast: true` delivers it to every replica (no queue group),
 * e.g. to invalidate a per-replica cache; otherwise one replica of the service gets it.
 */
export function OnEvent(contract: EventContract, opts: { broadcast?: boolean } = {}): MethodDecorator {
  return applyDecorators(
    EventPattern(contract.subject, opts.broadcast ? { queue: '' } : {}),
    SetMetadata(EVENT, contract),
    UseInterceptors(EventInterceptor),
  );
}

export type EventOf<E extends EventContract> = PayloadOf<E>;
