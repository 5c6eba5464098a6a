/**
 * Hop-by-hop headers (RFC 9110 §7.6.1, plus the old Proxy-Connection): they describe one
 * connection, not the message. Not passed on in either direction: the client's connection is the
 * router's to frame (keep-alive, chunking) — an app's `Connection: close` or `Keep-Alive:
 * timeout=5` is not the client's business — and so is its connection to the app.
 */
export const HOP_BY_HOP: ReadonlySet<string> = new Set(['connection', 'keep-alive', 'proxy-connection', 'te', 'trailer', 'transfer-encoding', 'upgrade']);
const DOMAIN_ATTRIBUTE = /;\s*domain\s*=[^;]*/gi;

/**
 * One Set-Cookie from the app as the client will get it: host-only (every Domain attribute
 * removed — browsers honour the last one, so removing only the first is not enough), or null when
 * it would set the router's own cookie. An app cannot plant cookies on the parent domain (cookie
 * tossing) nor sign anyone in or out of the router.
 */
export function appCookie(setCookie: string, routerCookies: readonly string[], pathPrefix: string | null = null): string | null {
  const v = setCookie.trimStart();
  for (const name of routerCookies) if (setsCookie(v, name)) return null;
  const hostOnly = v.includes(';') ? v.replace(DOMAIN_ATTRIBUTE, '') : v;
  return pathPrefix === null ? hostOnly : underPrefix(hostOnly, pathPrefix);
}

const PATH_ATTRIBUTE = /;\s*path\s*=([^;]*)/gi;

/**
 * BASE_URL mode: a cookie the app sets stays on its own path (`/instance/<id>`), so the apps that
 * share the host never receive each other's cookies from their servers. A Path outside it (or `/`)
 * is replaced; none at all already defaults to the request's folder, which lies under it.
 * Browsers honour the last Path attribute, so that is the one judged.
 */
function underPrefix(cookie: string, prefix: string): string {
  let last: string | null = null;
  for (const m of cookie.matchAll(PATH_ATTRIBUTE)) last = m[1]!.trim();
  if (last === null || last === prefix || last.startsWith(`${prefix}/`)) return cookie;
  return `${cookie.replace(PATH_ATTRIBUTE, '')}; Path=${prefix}/`;
}

/**
 * Response headers a BASE_URL app may not send: they reach beyond its own path on the shared
 * host. `Service-Worker-Allowed` would let its service worker control other instances' pages;
 * `Clear-Site-Data` would wipe every instance's cookies and storage on the host.
 */
const SHARED_HOST_HEADERS = new Set(['service-worker-allowed', 'clear-site-data']);

/**
 * Whether a Set-Cookie value sets cookie `name` as a browser reads it (RFC 6265bis §5.7): the name
 * is what precedes the first `=` of the name-value pair, whitespace trimmed; a pair with an empty
 * name (`=wharf_instance=x`) is a nameless cookie that browsers send back as `wharf_instance=x`.
 * Compared without regard to case: browsers match cookie prefixes (`__Host-`) that way, and a
 * look-alike of the router's cookie has no business coming from an app either.
 */
function setsCookie(value: string, name: string): boolean {
  const semi = value.indexOf(';');
  let pair = semi < 0 ? value : value.slice(0, semi);
  let eq = pair.indexOf('=');
  if (eq >= 0 && pair.slice(0, eq).trim() === '') {
    pair = pair.slice(eq + 1);
    eq = pair.indexOf('=');
  }
  const cookieName = (eq < 0 ? pair : pair.slice(0, eq)).trim();
  return cookieName.length === name.length && cookieName.toLowerCase() === name.toLowerCase();
}

/**
 * The app's response head (raw name/value pairs, as node parsed them) made fit for the client:
 * no hop-by-hop headers (nor those the app's Connection header names), Set-Cookie through
 * `appCookie`. Names keep the app's spelling; repeated headers stay repeated.
 */
export function responseHead(raw: readonly string[], routerCookies: readonly string[], pathPrefix: string | null = null): string[] {
  let named: Set<string> | null = null;
  for (let i = 0; i < raw.length; i += 2) {
    if (raw[i]!.length === 10 && raw[i]!.toLowerCase() === 'connection') {
      for (const token of raw[i + 1]!.split(',')) (named ??= new Set()).add(token.trim().toLowerCase());
    }
  }
  const out: string[] = [];
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i]!;
    // only names of a hop-by-hop header's or Set-Cookie's length are lower-cased (hot path)
    const n = name.length;
    const lower = named || n === 2 || n === 7 || n === 10 || n === 16 || n === 17 ? name.toLowerCase() : '';
    if (lower && (HOP_BY_HOP.has(lower) || named?.has(lower))) continue;
    if (pathPrefix !== null && (n === 22 || n === 15) && SHARED_HOST_HEADERS.has(name.toLowerCase())) continue;
    let value = raw[i + 1]!;
    if (n === 10 && lower === 'set-cookie') {
      const cookie = appCookie(value, routerCookies, pathPrefix);
      if (cookie === null) continue;
      value = cookie;
    }
    out.push(name, value);
  }
  return out;
}
