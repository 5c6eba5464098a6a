import type { Caller, Instance } from '@wharf/contracts';
import type { Response } from 'express';

/** What a stream was opened with, to check again that it still signs someone in. */
export type StreamCredential = { kind: 'session'; value: string } | { kind: 'bearer'; value: string };

/** The optional query filters of GET /api/v1/events (null: no filter). */
export interface StreamFilters {
  instances: ReadonlySet<string> | null;
  app: string | null;
  owner: string | null;
}

/** A client reading slower than events come: past this much unsent output its stream is closed (it reconnects). */
const MAX_BUFFERED_BYTES = 1024 * 1024;
/** Events waiting for a visibility answer, per stream, before it is closed the same way. */
const MAX_QUEUED = 1000;

/**
 * One open `text/event-stream` response. Events are handled one after the other in the order they
 * arrived (a visibility check may have to wait for the scheduler), so a client never sees an older
 * status after a newer one. `shown` holds the instances this stream has sent and not yet ended,
 * so that losing sight of one is told (`gone`) to those, and only those, who had it.
 */
export class EventStream {
  readonly shown = new Set<string>();
  readonly since = Date.now();
  private chain: Promise<void> = Promise.resolve();
  private queued = 0;
  private ended = false;

  constructor(
    private readonly res: Response,
    /** The caller as last checked (roles follow their latest sign-in). */
    public caller: Caller,
    readonly credential: StreamCredential,
    readonly filters: StreamFilters,
    private readonly onEnd: (s: EventStream) => void,
  ) {
    res.once('close', () => this.end());
  }

  get closed(): boolean {
    return this.ended;
  }

  matches(i: Instance): boolean {
    const f = this.filters;
    return (!f.instances || f.instances.has(i.id)) && (!f.app || f.app === i.appName) && (!f.owner || f.owner === i.owner.sub);
  }

  /** Runs `work` after the work queued before it. */
  enqueue(work: () => Promise<void>): void {
    if (this.ended) return;
    if (++this.queued > MAX_QUEUED) return this.end();
    this.chain = this.chain
      .then(() => (this.ended ? undefined : work()))
      .catch(() => undefined)
      .finally(() => void this.queued--);
  }

  send(event: string, id: number, data: unknown): void {
    this.write(`event: ${event}\nid: ${id}\ndata: ${JSON.stringify(data)}\n\n`);
  }

  /** A comment line (`: …`): ignored by clients, keeps proxies from closing an idle stream. */
  comment(text: string): void {
    this.write(`: ${text}\n\n`);
  }

  /** Ends the stream, after a last `end` event saying why when given. */
  end(why?: { code: string; message: string }): void {
    if (this.ended) return;
    this.ended = true;
    if (why && this.res.writable) this.res.write(`event: end\ndata: ${JSON.stringify(why)}\n\n`);
    this.onEnd(this);
    this.res.end();
  }

  private write(text: string): void {
    if (this.ended) return;
    this.res.write(text);
    if (this.res.writableLength > MAX_BUFFERED_BYTES) this.end();
  }
}
