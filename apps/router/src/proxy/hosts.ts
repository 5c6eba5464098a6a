import { BlockList, isIP } from 'node:net';
import { aliasNameProblem, BASE_URL_PREFIX, hostPortSuffix, INSTANCE_ID_PATTERN } from '@wharf/contracts';

/** A `Host` header's name, lower-cased, without its port (an IPv6 literal `[…]` keeps its colons). */
function hostName(host: string): string {
  const colon = host.lastIndexOf(':');
  return (colon > 0 && !host.endsWith(']') ? host.slice(0, colon) : host).toLowerCase();
}

/**
 * `abc123defg.apps.localhost:8081` → `abc123defg` when the host is an instance host under
 * `appsDomain`; null for any other host (the router's own endpoints: /healthz, /readyz);
 * `''` for a host under the domain that cannot be an instance (404).
 */
export function instanceIdOf(host: string, appsDomain: string): string | null {
  const name = hostName(host);
  const suffix = `.${appsDomain}`;
  if (!name.endsWith(suffix)) return null;
  const id = name.slice(0, -suffix.length);
  return INSTANCE_ID_PATTERN.test(id) ? id : '';
}

/** Whether `host` is the apps domain itself (any port): where BASE_URL instances are served, under `/instance/<id>/`. */
export function isAppsHost(host: string, appsDomain: string): boolean {
  return hostName(host) === appsDomain;
}

/**
 * `/instance/<id>/rest?q` → `{ id, rest: '/rest?q' }`; `rest` is '' or starts with `?` when the
 * slash after the id is missing (the caller redirects to it). Null for any other path.
 */
export function basePathOf(url: string): { id: string; rest: string } | null {
  if (!url.startsWith(BASE_URL_PREFIX)) return null;
  const after = url.slice(BASE_URL_PREFIX.length);
  const end = after.search(/[/?#]/);
  return end < 0 ? { id: after, rest: '' } : { id: after.slice(0, end), rest: after.slice(end) };
}

/**
 * `docs.apps.localhost:8081` → `docs` when the host is `<alias>.<appsDomain>` with a name that can
 * be an alias (a DNS label that is no instance id and not reserved); null for any other host.
 */
export function aliasOf(host: string, appsDomain: string): string | null {
  const name = hostName(host);
  const suffix = `.${appsDomain}`;
  if (!name.endsWith(suffix)) return null;
  const label = name.slice(0, -suffix.length);
  return aliasNameProblem(label) === null ? label : null;
}

/**
 * The `Host` ports that reach this router as browsers see it: `:<publicPort>`, and no port at all
 * when that is the scheme's default (80 for http, 443 for https).
 */
export function hostPorts(scheme: 'http' | 'https', publicPort: number): Set<string> {
  // `:80` as well as no port: a client may write the default port out
  return new Set([`:${publicPort}`, hostPortSuffix(scheme, publicPort)]);
}

/**
 * Whether the port part of an instance host is the router's public one. Browsers do not bind
 * cookies to ports: an app listening on another port of `<victim-id>.<AppsDomain>` must never be
 * handed a ticket or cookie for that host, nor may the router accept such a host.
 */
export function portAllowed(host: string, ports: ReadonlySet<string>): boolean {
  const colon = host.lastIndexOf(':');
  return ports.has(colon > 0 && !host.endsWith(']') ? host.slice(colon) : '');
}

/** Header values must be Latin-1; names outside printable ASCII are percent-encoded. */
export const headerSafe = (s: string): string => (/^[\x20-\x7e]*$/.test(s) ? s : encodeURIComponent(s));

/**
 * Request headers the platform owns: `X-Wharf-*` in any case, also spelled with underscores
 * (`X_Wharf_User`), which some servers (WSGI, CGI-style frameworks) read as the same header.
 * Node gives header names lower-cased.
 */
export function isPlatformHeader(lowerName: string): boolean {
  return lowerName.length > 8 && lowerName.charCodeAt(0) === 120 /* x */ && /^x[-_]wharf[-_]/.test(lowerName);
}

/**
 * The networks instances run in (Router.InstanceNetworks, CIDRs): the router proxies only to
 * addresses in them, never to an arbitrary host an instance record might name.
 */
export class InstanceNetworks {
  private readonly list = new BlockList();

  constructor(cidrs: readonly string[]) {
    for (const c of cidrs) {
      const [ip, bits] = c.split('/') as [string, string];
      const family = isIP(ip) === 6 ? 'ipv6' : 'ipv4';
      this.list.addSubnet(ip, Number(bits), family);
    }
  }

  /** Whether `host` (an IP literal, as the driver gives it) lies in one of the networks; names never do. */
  contains(host: string): boolean {
    const ip = host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
    const v = isIP(ip);
    return v !== 0 && this.list.check(ip, v === 6 ? 'ipv6' : 'ipv4');
  }
}

/** A CIDR such as `127.0.0.0/8` or `fd00::/8` (for config validation). */
export function isCidr(s: string): boolean {
  const m = /^([^/]+)\/(\d{1,3})$/.exec(s);
  if (!m) return false;
  const v = isIP(m[1]!);
  const bits = Number(m[2]);
  return (v === 4 && bits <= 32) || (v === 6 && bits <= 128);
}
