import {
  applyDecorators,
  Injectable,
  UseInterceptors,
  type CallHandler,
  type ExecutionContext,
  type NestInterceptor,
} from '@nestjs/common';
import { EventPattern, MessagePattern } from '@nestjs/microservices';
import {
  internal,
  invalidInput,
  zodProblems,
  type Caller,
  type EventContract,
  type ParsedRequestOf,
  type PayloadOf,
  type RequestContract,
} from '@wharf/contracts';
import { map, type Observable } from 'rxjs';

/** What a handler of contract C receives: the validated body and the caller. */
export interface Msg<C extends RequestContract> {
  caller: Caller | null;
  body: ParsedRequestOf<C>;
}

@Injectable()
class ContractInterceptor implements NestInterceptor {
  constructor(private readonly contract: RequestContract) {}

  intercept(ctx: ExecutionContext, next: CallHandler): Observable<unknown> {
    const args = ctx.getArgs();
    const parsed = this.contract.envelope.safeParse(args[0]);
    if (!parsed.success) {
      throw invalidInput(
        `invalid request for ${this.contract.subject}`,
        zodProblems(parsed.error).map((p) => ({ ...p, path: p.path.replace(/^body\.?/, '') })),
      );
    }
    args[0] = parsed.data; // the handler sees defaults applied and types narrowed
    return next.handle().pipe(
      map((answer: unknown) => {
        const res = this.contract.response.safeParse(answer);
        if (!res.success) {
          throw internal(`${this.contract.subject} produced an invalid response`, {
            problems: zodProblems(res.error),
          });
        }
        return res.data;
      }),
    );
  }
}

/** Serves a request contract: subscribes in the service's queue group and validates both ways. */
export function Handle(contract: RequestContract): MethodDecorator {
  return applyDecorators(MessagePattern(contract.subject), UseInterceptors(new ContractInterceptor(contract)));
}

@Injectable()
class EventInterceptor implements NestInterceptor {
  constructor(private readonly contract: EventContract) {}
  intercept(ctx: ExecutionContext, next: CallHandler): Observable<unknown> {
    const args = ctx.getArgs();
    const parsed = this.contract.payload.safeParse(args[0]);
    if (!parsed.success) {
      throw invalidInput(`invalid event ${this.contract.subject}`, zodProblems(parsed.error));
    }
    args[0] = parsed.data;
    return next.handle();
  }
}

/**
 * Listens to an event. `broadcast: true` delivers it to every replica (no queue group),
 * e.g. to invalidate a per-replica cache; otherwise one replica of the service gets it.
 */
export function OnEvent(contract: EventContract, opts: { broadcast?: boolean } = {}): MethodDecorator {
  return applyDecorators(
    EventPattern(contract.subject, opts.broadcast ? { queue: '' } : {}),
    UseInterceptors(new EventInterceptor(contract)),
  );
}

export type EventOf<E extends EventContract> = PayloadOf<E>;
