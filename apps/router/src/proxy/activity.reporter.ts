import { InstanceActivityEvent } from '@wharf/contracts';
import type { RpcClient } from '@wharf/nats';

const CHUNK = 1000;

/**
 * Remembers which instances served traffic and tells the scheduler every `everyMs`
 * (`events.instance.activity.v1`), so `lastActivityAt` means "last used", not "last changed".
 * The hot path only adds an id to a Set.
 */
export class ActivityReporter {
  private seen = new Set<string>();
  private timer?: NodeJS.Timeout;

  constructor(
    private readonly rpc: RpcClient,
    private readonly everyMs: number,
    /** Instances with connections held open (websockets count as activity while open). */
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
