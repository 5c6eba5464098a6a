import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { ClientNats } from '@nestjs/microservices';
import {
  internal,
  invalidInput,
  signCallerAssertion,
  unavailable,
  WharfError,
  WireErrorSchema,
  zodProblems,
  type Caller,
  type EventContract,
  type PayloadOf,
  type RequestContract,
  type RequestOf,
  type ResponseOf,
} from '@wharf/contracts';
import { firstValueFrom, lastValueFrom, timeout, TimeoutError } from 'rxjs';
import { currentRequestId } from './logging';
import { outcomeOf, serviceMetrics } from './metrics';
import { NATS_OPTIONS, natsConnectionOptions, type NatsOptions } from './nats.options';

/** Turns whatever a failed NATS request rejected with into a WharfError. */
export function toWharfError(e: unknown, subject: string, timeoutMs: number): WharfError {
  if (e instanceof WharfError) return e;
  const wire = WireErrorSchema.safeParse(e);
  if (wire.success) return WharfError.fromWire(wire.data);
  if (e instanceof TimeoutError) {
    return unavailable(`${subject} did not answer within ${timeoutMs} ms; is the service running and NATS reachable?`);
  }
  const text = e instanceof Error ? e.message : typeof e === 'string' ? e : JSON.stringify(e);
  if (/no subscribers|no responders|503/i.test(text)) {
    // Nobody serves this subject (service not running or not deployed): UNAVAILABLE, with a
    // reason so that a caller may decide it means "none" (the repository's instance check).
    return unavailable(`no service answers ${subject}; is it running?`, { reason: 'NO_RESPONDERS', subject });
  }
  if (/connection|CONNECTION_REFUSED|reconnect|closed/i.test(text)) {
    return unavailable(`NATS is not reachable for ${subject}: ${text}`);
  }
  return internal(`${subject} failed: ${text}`);
}

/** The typed NATS client: `rpc(contract, body, caller)` and `emit(event, payload)`. Both sides validate. */
@Injectable()
export class RpcClient implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly log = new Logger(RpcClient.name);
  readonly client: ClientNats;

  constructor(@Inject(NATS_OPTIONS) private readonly options: NatsOptions) {
    this.client = new ClientNats({
      ...natsConnectionOptions(options),
      name: `${options.service}-client`,
      maxReconnectAttempts: -1,
      reconnectTimeWait: 500,
      waitOnFirstConnect: true,
    });
  }

  async rpc<C extends RequestContract>(
    contract: C,
    body: RequestOf<C>,
    caller: Caller | null,
    opts: { timeoutMs?: number } = {},
  ): Promise<ResponseOf<C>> {
    const envelope = contract.envelope.safeParse({ caller, body });
    if (!envelope.success) {
      throw invalidInput(`invalid request for ${contract.subject}`, zodProblems(envelope.error).map((p) => ({
        ...p,
        path: p.path.replace(/^body\.?/, ''),
      })));
    }
    const ms = opts.timeoutMs ?? this.options.requestTimeoutMs;
    const { caller: who, body: sent } = envelope.data;
    // The serving side trusts the caller only with this signature over subject, caller and body.
    const assertion = signCallerAssertion(this.options.secret, contract.subject, who, sent);
    let answer: unknown;
    const end = serviceMetrics(this.options.service).natsSent.startTimer({ subject: contract.subject });
    try {
      // the request's id travels along (unsigned: it names the request in logs, it grants nothing)
      const requestId = currentRequestId();
      answer = await firstValueFrom(this.client.send(contract.subject, { caller: who, body: sent, assertion, requestId }).pipe(timeout(ms)));
    } catch (e) {
      const err = toWharfError(e, contract.subject, ms);
      end({ outcome: outcomeOf(err) });
      throw err;
    }
    end({ outcome: 'ok' });
    const res = contract.response.safeParse(answer);
    if (!res.success) {
      throw internal(`${contract.subject} answered with an invalid response`, { problems: zodProblems(res.error) });
    }
    return res.data as ResponseOf<C>;
  }

  /** Publishes an event. Events are notifications: a failure is logged, never thrown to the caller. */
  async emit<E extends EventContract>(event: E, payload: PayloadOf<E>): Promise<void> {
    const parsed = event.payload.safeParse(payload);
    if (!parsed.success) throw internal(`invalid event ${event.subject}`, { problems: zodProblems(parsed.error) });
    try {
      await lastValueFrom(this.client.emit(event.subject, parsed.data).pipe(timeout(this.options.requestTimeoutMs)), {
        defaultValue: undefined,
      });
    } catch (e) {
      this.log.warn(`could not publish ${event.subject}: ${e instanceof Error ? e.message : String(e)}`);
    }
  }

  /** True while the client holds a live NATS connection. */
  isConnected(): boolean {
    try {
      const nc = this.client.unwrap<{ isClosed(): boolean; isDraining(): boolean; protocol?: { connected?: boolean } }>();
      return !nc.isClosed() && nc.protocol?.connected !== false;
    } catch {
      return false;
    }
  }

  async connect(): Promise<void> {
    await this.client.connect();
  }

  /** Connects at boot (not at the first request), so /readyz tells the truth from the start. */
  async onApplicationBootstrap(): Promise<void> {
    await this.client.connect().catch((e: unknown) => this.log.warn(`NATS not reachable yet: ${String(e)}; retrying`));
  }

  async onApplicationShutdown(): Promise<void> {
    await this.client.close();
  }
}
