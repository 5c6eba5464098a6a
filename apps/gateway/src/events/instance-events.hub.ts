import { Inject, Injectable, Logger, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import { limitExceeded, type Caller, type Instance, type InstanceUpdatedEvent } from '@wharf/contracts';
import { Shutdown, type EventOf } from '@wharf/nats';
import type { Response } from 'express';
import { GATEWAY_SETTINGS, type GatewaySettings } from '../gateway.config';
import { Authenticator } from '../identity/authenticator.service';
import { SessionService } from '../identity/session/session.service';
import { EventStream, type StreamCredential, type StreamFilters } from './event-stream';
import { InstanceVisibility, withGenericReason } from './instance-visibility';

/** Tells a client whose sign-in ended why its stream closes (EventSource would otherwise reconnect and get 401). */
const SIGNED_OUT = { code: 'UNAUTHENTICATED', message: 'your session has ended or your token was revoked: sign in again' };

/**
 * The gateway replica's live instance events: every open stream of GET /api/v1/events, fed from
 * the one broadcast subscription to `events.instance.updated.v1` this replica holds
 * (InstanceEventsListener), whatever the number of clients. Each event is numbered once (`id`,
 * increasing on this replica) and given to every stream whose filters it matches and whose caller
 * may see the instance (InstanceVisibility), as that caller would get it from the REST API.
 *
 * Streams outlive neither their connection nor their sign-in: a closed connection removes its
 * stream, every Gateway.EventsRevalidateSeconds each stream's session or token is checked again
 * (as the request guard checks them), and events.token.changed.v1 checks that user's streams at
 * once. A stream whose credential no longer signs its user in ends with an `end` event. A
 * stopping replica ends its streams when it stops taking work (Shutdown), so that clients
 * reconnect to another one instead of holding this one for the grace period.
 */
@Injectable()
export class InstanceEventsHub implements OnModuleInit, OnModuleDestroy {
  private readonly log = new Logger('InstanceEvents');
  private readonly streams = new Set<EventStream>();
  /** Event ids: from the start time in ms, so that they keep increasing across restarts of a replica too. */
  private lastId = Date.now();
  private heartbeat?: NodeJS.Timeout;
  private revalidator?: NodeJS.Timeout;
  private revalidating = false;
  /** Events received from NATS (one per event, whatever the number of streams). */
  received = 0;

  constructor(
    @Inject(GATEWAY_SETTINGS) private readonly settings: GatewaySettings,
    private readonly visibility: InstanceVisibility,
    private readonly authenticator: Authenticator,
    private readonly sessions: SessionService,
    private readonly shutdown: Shutdown,
  ) {}

  private get cfg() {
    return this.settings.gateway;
  }

  onModuleInit(): void {
    this.heartbeat = setInterval(() => {
      for (const s of this.streams) s.comment('heartbeat');
    }, this.cfg.EventsHeartbeatSeconds * 1000);
    this.heartbeat.unref();
    this.revalidator = setInterval(() => void this.revalidate(() => true), this.cfg.EventsRevalidateSeconds * 1000);
    this.revalidator.unref();
  }

  /** Shutting down: every stream ends (clients reconnect, to another replica if there is one). */
  onModuleDestroy(): void {
    clearInterval(this.heartbeat);
    clearInterval(this.revalidator);
    for (const s of [...this.streams]) s.end();
  }

  /** Open streams on this replica. */
  get size(): number {
    return this.streams.size;
  }

  /**
   * Starts the event stream on `res` (headers and a first comment, sent at once). Refused with 429
   * before anything is written when the user already holds Gateway.EventsMaxStreamsPerUser here.
   */
  open(res: Response, caller: Caller, credential: StreamCredential, filters: StreamFilters): EventStream {
    let mine = 0;
    for (const s of this.streams) if (s.caller.sub === caller.sub) mine++;
    if (mine >= this.cfg.EventsMaxStreamsPerUser) {
      throw limitExceeded(`at most ${this.cfg.EventsMaxStreamsPerUser} event streams per user are open at once; close another one`);
    }
    res.status(200);
    res.setHeader('content-type', 'text/event-stream; charset=utf-8');
    res.setHeader('cache-control', 'no-store');
    res.setHeader('x-accel-buffering', 'no');
    res.flushHeaders();
    res.socket?.setNoDelay(true);
    let forget = () => {};
    const stream = new EventStream(res, caller, credential, filters, (s) => {
      this.streams.delete(s);
      forget();
    });
    this.streams.add(stream);
    forget = this.shutdown.endless(() => stream.end());
    // `retry`: how long EventSource waits before reconnecting; the comment says the stream is live
    res.write(`retry: 3000\n: ready\n\n`);
    return stream;
  }

  /** One `events.instance.updated.v1` from the scheduler (this replica's only subscription to it). */
  publish(e: EventOf<typeof InstanceUpdatedEvent>): void {
    this.received++;
    const id = ++this.lastId;
    const i = e.instance;
    for (const s of this.streams) if (s.matches(i)) s.enqueue(() => this.deliver(s, id, i));
  }

  /**
   * - the caller sees it: `instance` with it as GET /api/v1/instances/:id answers them;
   * - it was terminated: a last `instance` (status TERMINATED) to whoever had it or sees it;
   * - they no longer see it (visibility changed, a grant went): `gone` with its id, only if they had it.
   * When the scheduler cannot be asked right now, the event is left out for that stream.
   */
  private async deliver(s: EventStream, id: number, i: Instance): Promise<void> {
    if (i.status === 'TERMINATED') {
      // gone for everyone: what the rule decides from memory, else what this stream was shown
      const settled = this.visibility.settled(s.caller, i);
      const view = settled === 'ask' ? (s.shown.has(i.id) ? withGenericReason(i) : null) : settled;
      s.shown.delete(i.id);
      if (view) s.send('instance', id, view);
      return;
    }
    let view: Instance | null;
    try {
      view = await this.visibility.view(s.caller, i);
    } catch (e) {
      this.log.debug(`could not tell whether ${s.caller.sub} sees instance ${i.id}: ${e instanceof Error ? e.message : String(e)}`);
      return;
    }
    if (view) {
      s.shown.add(i.id);
      s.send('instance', id, view);
    } else if (s.shown.delete(i.id)) {
      s.send('gone', id, { id: i.id });
    }
  }

  /** events.token.changed.v1 (a token revoked, or a user's roles changed): that user's streams are checked now. */
  async userChanged(sub: string): Promise<void> {
    await this.revalidate((s) => s.caller.sub === sub, { fresh: true });
  }

  /**
   * Checks the credential of each selected stream once (streams sharing one are checked together):
   * the stream ends when it signs nobody in any more (session ended or expired, token revoked or
   * expired), and follows the user's current roles otherwise. An error (database unreachable)
   * leaves the stream open until the next check.
   */
  async revalidate(which: (s: EventStream) => boolean, opts: { fresh?: boolean } = {}): Promise<void> {
    const periodic = !opts.fresh;
    if (periodic && this.revalidating) return; // the previous periodic check is still running
    if (periodic) this.revalidating = true;
    try {
      const checks = new Map<string, Promise<Caller | null | undefined>>();
      for (const s of [...this.streams]) {
        if (s.closed || !which(s)) continue;
        const key = `${s.credential.kind}\n${s.credential.value}`;
        let check = checks.get(key);
        if (!check) {
          check = this.whoIs(s.credential, opts.fresh === true).catch((e: unknown) => {
            this.log.warn(`could not check an event stream's credential: ${e instanceof Error ? e.message : String(e)}`);
            return undefined;
          });
          checks.set(key, check);
        }
        const caller = await check;
        if (caller === undefined) continue;
        if (!caller || caller.sub !== s.caller.sub) s.end(SIGNED_OUT);
        else s.caller = caller;
      }
    } finally {
      if (periodic) this.revalidating = false;
    }
  }

  /** Who the credential signs in now, as the request guard would find (null: nobody). */
  private async whoIs(c: StreamCredential, fresh: boolean): Promise<Caller | null> {
    if (c.kind === 'session') return (await this.sessions.authenticate(c.value))?.caller ?? null;
    return (await this.authenticator.bearer(c.value, { fresh }))?.caller ?? null;
  }
}
