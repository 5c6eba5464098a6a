import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import {
  Injectable,
  Logger,
  type INestApplication,
  type INestApplicationContext,
  type INestMicroservice,
} from '@nestjs/common';
import type { Server as MicroserviceServer } from '@nestjs/microservices';
import { finalize, type Observable } from 'rxjs';

/**
 * Something a service drains when it stops: it stops taking new work, says how much is still in
 * flight, and cuts what is left when the grace period is over.
 */
export interface Drain {
  /** For the log: "2 HTTP requests", "1 websocket". */
  readonly name: string;
  /** Take no new work (after the readiness delay). Endless streams (log follows, event streams) end here. */
  stop(): void | Promise<void>;
  /** Work still in flight. */
  busy(): number;
  /** The grace period is over: close what is left. */
  force(): void;
}

/** The `[Platform]` keys of the shutdown sequence. */
export interface ShutdownTiming {
  /** Seconds between SIGTERM and closing the listeners, while /readyz already answers 503. */
  ShutdownDelaySeconds: number;
  /** Seconds in-flight work gets to finish once the listeners are closed; then it is cut. */
  ShutdownGraceSeconds: number;
}

/**
 * The stopping state of one service process (global, from NatsModule): /readyz answers 503 from
 * the first moment of a shutdown, and the parts that hold work in flight register a Drain.
 */
@Injectable()
export class Shutdown {
  private readonly drains: Drain[] = [];
  private readonly streams = new Set<() => void>();
  private state: 'running' | 'draining' | 'stopping' | 'stopped' = 'running';
  private readonly log = new Logger('Shutdown');

  /** True from the first moment of a shutdown: readiness answers 503 so no new traffic is sent here. */
  get draining(): boolean {
    return this.state !== 'running';
  }

  register(d: Drain): void {
    this.drains.push(d);
  }

  /**
   * An endless stream (a log follow, an event stream): `end` is called when the service stops
   * taking work, so that its client reconnects to another replica instead of holding this one
   * for the whole grace period. Returns the function that forgets the stream (call it when the
   * stream ends by itself).
   */
  endless(end: () => void): () => void {
    if (this.state === 'stopping' || this.state === 'stopped') {
      queueMicrotask(end);
      return () => {};
    }
    this.streams.add(end);
    return () => void this.streams.delete(end);
  }

  /**
   * The shutdown sequence, before the app's own close hooks run: readiness false, wait `delay`
   * (load balancers and Service endpoints stop sending), stop taking work, wait until nothing is
   * in flight or `grace` is over, cut what is left. Resolves when the app may be closed.
   */
  async drain(timing: ShutdownTiming, signal = 'SIGTERM'): Promise<{ forced: boolean }> {
    if (this.state !== 'running') return { forced: false };
    this.state = 'draining';
    const { ShutdownDelaySeconds: delay, ShutdownGraceSeconds: grace } = timing;
    this.log.log(`${signal}: readiness is now false; ${delay > 0 ? `taking work for ${delay} s more (Platform.ShutdownDelaySeconds), then ` : ''}draining for up to ${grace} s (Platform.ShutdownGraceSeconds)`);
    if (delay > 0) await sleep(delay * 1000);
    this.state = 'stopping';
    for (const d of this.drains) await d.stop();
    for (const end of this.streams) end();
    this.streams.clear();
    const deadline = Date.now() + grace * 1000;
    let said = 0;
    while (this.busy().length && Date.now() < deadline) {
      if (Date.now() - said >= 5000) {
        said = Date.now();
        this.log.log(`waiting for ${this.busy().join(', ')} (${Math.ceil((deadline - Date.now()) / 1000)} s left)`);
      }
      await sleep(50);
    }
    const left = this.busy();
    if (left.length) this.log.warn(`grace period over: closing ${left.join(', ')}`);
    for (const d of this.drains) d.force();
    this.state = 'stopped';
    return { forced: left.length > 0 };
  }

  private busy(): string[] {
    return this.drains.filter((d) => d.busy() > 0).map((d) => `${d.busy()} ${d.name}`);
  }
}

/**
 * Counts the NATS handlers running (requests and events), so a stopping service answers what it
 * took. The contract and event interceptors (`@Handle`, `@OnEvent`) count each handler they run;
 * HTTP requests never pass here (a global interceptor would cost every one of them).
 */
@Injectable()
export class RpcInFlight {
  private running = 0;

  count(): number {
    return this.running;
  }

  /** `handled` counted from now until it completes, fails or is unsubscribed. */
  track<T>(handled: Observable<T>): Observable<T> {
    this.running++;
    return handled.pipe(finalize(() => this.running--));
  }
}

/** On each socket a server has seen: its requests not yet answered, and the newest one's response. */
const IN_FLIGHT = Symbol('wharf.inFlight');
const NEWEST = Symbol('wharf.newestResponse');
type TrackedSocket = Socket & { [IN_FLIGHT]?: number; [NEWEST]?: ServerResponse | null };

/**
 * Drains a node http server: `stop` closes the listener and the idle keep-alive connections;
 * responses written from then on carry `Connection: close`, and each connection is closed as
 * soon as its last request is answered; `force` closes every connection left. Upgraded sockets
 * (websockets) are not the server's: whoever took them drains them.
 *
 * The count lives on each socket (a number and the newest response), not in a map of requests:
 * adding and deleting a request per answer in a Map and a Set made V8 shrink and regrow their
 * tables over and over, ~4 % of the gateway's CPU on cached catalog reads.
 */
export function drainHttp(server: Server, name = 'HTTP requests'): Drain {
  const sockets = new Set<TrackedSocket>(); // every socket that has carried a request, until it closes
  let open = 0;
  let stopping = false;
  // first listener: it sees the request before any handler can answer it
  server.prependListener('request', (req: IncomingMessage, res: ServerResponse) => {
    const socket = req.socket as TrackedSocket;
    if (socket[IN_FLIGHT] === undefined) {
      socket[IN_FLIGHT] = 0;
      sockets.add(socket);
      socket.once('close', () => sockets.delete(socket));
    }
    socket[IN_FLIGHT]++;
    socket[NEWEST] = res;
    open++;
    if (stopping) res.setHeader('connection', 'close');
    // 'close' comes after 'finish' too (node's server emits it once the response is done), and
    // alone when the client left first: one listener per request is enough
    res.once('close', () => {
      open--;
      const left = --socket[IN_FLIGHT]!;
      if (left > 0) return;
      socket[NEWEST] = null;
      if (stopping && !socket.destroyed) socket.end();
    });
  });
  return {
    name,
    stop() {
      stopping = true;
      // the response under way on each busy connection (a pipelined one before it, rare, is sent
      // without the header: the connection still ends once its last request is answered)
      for (const socket of sockets) {
        const res = socket[NEWEST];
        if (res && !res.headersSent) res.setHeader('connection', 'close');
      }
      server.close();
      server.closeIdleConnections();
    },
    busy: () => open,
    force() {
      server.closeAllConnections();
    },
  };
}

/** Drains the queue-group subscriptions of a Nest NATS server: other replicas take the requests from now on. */
export function drainNatsServer(server: MicroserviceServer, inFlight: RpcInFlight): Drain {
  return {
    name: 'NATS requests',
    async stop() {
      // Broadcast subscriptions (`queue: ''`, e.g. cache invalidation) stay until the app closes:
      // a draining replica must keep seeing changes to the work it still holds.
      const handlers = server.getHandlers();
      const subs = ((server as unknown as { subscriptions?: NatsSubscription[] }).subscriptions ?? []).filter(
        (s) => handlers.get(s.getSubject())?.extras?.queue !== '',
      );
      // drain = unsubscribe, then hand the messages already delivered to their handlers
      await Promise.all(subs.map((s) => s.drain().catch(() => undefined)));
    },
    busy: () => inFlight.count(),
    force() {},
  };
}

interface NatsSubscription {
  getSubject(): string;
  drain(): Promise<void>;
}

/**
 * Replaces Nest's `enableShutdownHooks`: on SIGTERM or SIGINT, drain (see Shutdown.drain), then
 * close the app (its hooks: NATS, database, drivers) and exit 0. A second signal is ignored;
 * a close that hangs ends the process after 10 s more. `nats`: the app's NATS servers
 * (natsServersOf); `http`: its HTTP server. Returns the sequence, to run it without a signal.
 */
export function gracefulShutdown(
  app: INestApplication | INestMicroservice | INestApplicationContext,
  timing: ShutdownTiming,
  opts: { http?: Server; nats?: MicroserviceServer[]; exit?: (code: number) => void; signals?: boolean } = {},
): () => Promise<void> {
  const shutdown = app.get(Shutdown);
  const inFlight = app.get(RpcInFlight);
  // NATS first: once the listener refuses connections, the queue groups already send every new
  // request to the other replicas (the unsubscribe is flushed to the server before the listener closes)
  for (const s of opts.nats ?? []) shutdown.register(drainNatsServer(s, inFlight));
  if (opts.http) shutdown.register(drainHttp(opts.http));
  const exit = opts.exit ?? ((code: number) => process.exit(code));
  let started: Promise<void> | null = null;
  const run = (signal: string): Promise<void> => {
    if (started) {
      new Logger('Shutdown').log(`${signal} again: already stopping`);
      return started;
    }
    started = (async () => {
      await shutdown.drain(timing, signal);
      const hang = setTimeout(() => {
        new Logger('Shutdown').error('closing took more than 10 s; exiting now');
        exit(1);
      }, 10_000);
      hang.unref();
      try {
        await app.close();
      } catch (e) {
        new Logger('Shutdown').error(`close failed: ${e instanceof Error ? e.message : String(e)}`);
        clearTimeout(hang);
        return exit(1);
      }
      clearTimeout(hang);
      exit(0);
    })();
    return started;
  };
  if (opts.signals !== false) {
    const onSignal = (signal: NodeJS.Signals) => void run(signal);
    process.on('SIGTERM', onSignal);
    process.on('SIGINT', onSignal);
  }
  return () => run('shutdown');
}

/** The NATS servers of a Nest app: each microservice connected to an HTTP app, or the microservice itself. */
export function natsServersOf(app: INestApplication | INestMicroservice): MicroserviceServer[] {
  const server = (m: unknown) => (m as { serverInstance: MicroserviceServer }).serverInstance;
  return 'getMicroservices' in app ? app.getMicroservices().map(server) : [server(app)];
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
