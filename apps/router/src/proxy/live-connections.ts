import type { Principal } from '../auth/authenticator.service';

export interface LiveConnection {
  instanceId: string;
  principal: Principal;
  since: number;
  /** A websocket (else a streaming HTTP exchange). */
  websocket: boolean;
  close(): void;
  /** Bytes the client's socket has read and written so far (frames either way, streamed bodies). */
  bytes(): number;
  /** `bytes()` when last asked by `instancesWithTraffic` (set by `add`). */
  seenBytes?: number;
}

/**
 * Connections in flight, by instance: open websockets and HTTP exchanges (SSE, long downloads).
 * When an instance's visibility, status or address changes, or a principal stops being valid,
 * the connections that lost their access are closed — revocation applies to what is already
 * open, not just to new requests.
 */
export class LiveConnections {
  private readonly byInstance = new Map<string, Set<LiveConnection>>();

  add(c: LiveConnection): () => void {
    c.seenBytes = c.bytes();
    let set = this.byInstance.get(c.instanceId);
    if (!set) {
      set = new Set();
      this.byInstance.set(c.instanceId, set);
    }
    set.add(c);
    return () => {
      set.delete(c);
      if (set.size === 0 && this.byInstance.get(c.instanceId) === set) this.byInstance.delete(c.instanceId);
    };
  }

  of(instanceId: string): LiveConnection[] {
    return [...(this.byInstance.get(instanceId) ?? [])];
  }

  *all(): Generator<LiveConnection> {
    for (const set of this.byInstance.values()) yield* set;
  }

  /**
   * Instances whose open connections carried bytes (either way) since the last call: a websocket
   * exchanging frames, or a long response still streaming. An open connection that is silent is
   * not activity, so an idle tab left open does not keep an instance from being suspended.
   */
  *instancesWithTraffic(): Generator<string> {
    for (const [id, set] of this.byInstance) {
      let moved = false;
      for (const c of set) {
        const b = c.bytes();
        if (b !== c.seenBytes) moved = true;
        c.seenBytes = b;
      }
      if (moved) yield id;
    }
  }

  count(): { websockets: number; http: number } {
    let websockets = 0;
    let http = 0;
    for (const c of this.all()) if (c.websocket) websockets++;
    else http++;
    return { websockets, http };
  }
}
