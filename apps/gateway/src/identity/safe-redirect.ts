/**
 * Where to send the browser after login: only a path on the gateway itself. Absolute URLs are
 * accepted only when they point at the gateway's own origin (and are reduced to their path);
 * anything else — other hosts, scheme-relative `//evil`, backslash tricks, control characters,
 * `javascript:` — falls back to `/`. Prevents open redirects.
 */
export function safeNext(next: unknown, publicUrl: string, fallback = '/'): string {
  if (typeof next !== 'string' || !next || next.length > 2048) return fallback;
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f\\]/.test(next)) return fallback;
  const base = new URL(publicUrl);
  let url: URL;
  try {
    url = new URL(next, base);
  } catch {
    return fallback;
  }
  if (url.origin !== base.origin) return fallback;
  if (!next.startsWith('/') && !/^https?:\/\//i.test(next)) return fallback;
  if (next.startsWith('//')) return fallback;
  const path = `${url.pathname}${url.search}${url.hash}`;
  return path.startsWith('//') ? fallback : path;
}
