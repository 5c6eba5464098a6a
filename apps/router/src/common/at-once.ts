/**
 * `f` of a value that is usually at hand already (a cached answer) and otherwise still coming:
 * called now when it is there — no promise, no microtask turn, as on nearly every request the
 * router serves — or once it resolves.
 */
export function atOnce<T, R>(value: T | Promise<T>, f: (v: T) => R | Promise<R>): R | Promise<R> {
  return value instanceof Promise ? value.then(f) : f(value);
}
