import type { Principal } from '../auth/authenticator.service';

export interface LiveConnection {
  instanceId: string;
  principal: Principal;
  since: number;
  /** A websocket (else a streaming HTTP exchange). */
  websocket: boolean;
  close(): void;
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

  /** Instances with a websocket open right now. */
  *instancesWithWebsockets(): Generator<string> {
    for (const [id, set] of this.byInstance) {
      for (const c of set) {
        if (c.websocket) {
          yield id;
          break;
        }
      }
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
