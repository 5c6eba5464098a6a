import { InstanceActivityEvent } from '@wharf/contracts';
import type { RpcClient } from '@wharf/nats';

const CHUNK = 1000;

/**
 * Remembers which instances served traffic and tells the scheduler every `everyMs`
 * (`events.instance.activity.v1`), so `lastActivityAt` means "last used", not "last changed", and
 * idle instances can be suspended. Traffic is a request, or bytes either way on a connection held
 * open (websocket frames, a streamed response); a silent open websocket is not. The hot path only
 * adds an id to a Set; open connections are looked at once per report.
 */
export class ActivityReporter {
  private seen = new Set<string>();
  private timer?: NodeJS.Timeout;

  constructor(
    private readonly rpc: RpcClient,
    private readonly everyMs: number,
    /** Instances whose open connections (websockets, streamed responses) carried bytes since the last call. */
    private readonly openNow: () => Iterable<string>,
  ) {}

  saw(id: string): void {
    this.seen.add(id);
  }

  start(): void {
    this.timer = setInterval(() => void this.flush(), this.everyMs);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
  }

  async flush(): Promise<void> {
    for (const id of this.openNow()) this.seen.add(id);
    if (this.seen.size === 0) return;
    const ids = [...this.seen];
    this.seen = new Set();
    const at = new Date().toISOString();
    for (let i = 0; i < ids.length; i += CHUNK) await this.rpc.emit(InstanceActivityEvent, { ids: ids.slice(i, i + CHUNK), at });
  }
}
