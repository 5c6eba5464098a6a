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

/**
 * An instance host under the apps domain: `<label>.<domain>` with an optional port, lower case.
 * Returns the normalised host or null.
 */
export function appsHost(host: unknown, appsDomain: string): string | null {
  if (typeof host !== 'string' || host.length > 255) return null;
  const m = /^([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)\.(.+?)(:(\d{1,5}))?$/.exec(host.toLowerCase());
  if (!m || m[3] !== appsDomain.toLowerCase()) return null;
  if (m[5] && (Number(m[5]) < 1 || Number(m[5]) > 65535)) return null;
  return host.toLowerCase();
}
