/**
 * Polls `get` until it answers something other than undefined or false (errors count as not yet),
 * or fails after `ms` naming `what`: the kube specs' one way to wait for the fake cluster.
 */
export function until<T>(get: () => T | undefined | false | Promise<T | undefined | false>, what: string, ms = 8000, everyMs = 20): Promise<T> {
  const start = Date.now();
  return new Promise((ok, ko) => {
    const tick = async () => {
      try {
        const v = await get();
        if (v !== undefined && v !== false) return ok(v);
      } catch {
        // retry
      }
      if (Date.now() - start > ms) return ko(new Error(`timed out waiting for ${what}`));
      setTimeout(() => void tick(), everyMs);
    };
    void tick();
  });
}
