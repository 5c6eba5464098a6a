import { aliasNameProblem, BASE_URL_PREFIX, hostPortSuffix, INSTANCE_ID_PATTERN, isDefaultPort, safeSitePath } from '@wharf/contracts';
import { publicUrlOf, type GatewayConfig } from '../../gateway.config';

/** Where the router serves instances, as browsers reach it (Gateway.AppsDomain, AppsScheme, AppsPort). */
export interface AppsOrigin {
  domain: string;
  scheme: 'http' | 'https';
  port: number;
}

/** The router's public origin from the gateway's settings: AppsScheme defaults to PublicUrl's scheme. */
export function appsOriginOf(g: GatewayConfig): AppsOrigin {
  return { domain: g.AppsDomain, port: g.AppsPort, scheme: g.AppsScheme ?? (new URL(publicUrlOf(g)).protocol === 'https:' ? 'https' : 'http') };
}

/**
 * The host an instance ticket may be made out to: `<instance id>.<AppsDomain>` at the router's
 * public port, in the form browsers send it (no port when it is the scheme's default), or null.
 * Browsers do not bind cookies to ports, so a ticket for another port of an instance's host would
 * go to whatever listens there (an app, say) instead of the router.
 */
export function ticketHost(host: unknown, o: AppsOrigin): string | null {
  const h = appsHost(host, o);
  return h && INSTANCE_ID_PATTERN.test(h.label) ? h.host : null;
}

/**
 * The same for an alias host, `<alias>.<AppsDomain>` at the router's public port: the host and the
 * alias name (which the caller must still find in the alias table: only existing aliases get
 * tickets), or null when the label cannot be an alias.
 */
export function ticketAliasHost(host: unknown, o: AppsOrigin): { host: string; alias: string } | null {
  const h = appsHost(host, o);
  return h && aliasNameProblem(h.label) === null ? { host: h.host, alias: h.label } : null;
}

/**
 * A BASE_URL instance's site, `<AppsDomain>[:port]/instance/<id>`: the bare apps domain at the
 * router's public port (the same port rule as instance hosts), the prefix and an instance id, and
 * nothing else (no trailing slash, path, query or user info). Read case-insensitively like a host
 * and made out lower-case (ids are lower-case), which is the string the router presents when it
 * redeems the ticket: the site (not the bare host, shared by every BASE_URL instance) is what
 * keeps a ticket for one instance from opening another. Null when it is not one.
 */
export function ticketSite(site: unknown, o: AppsOrigin): { site: string; id: string } | null {
  if (typeof site !== 'string' || site.length > 255) return null;
  const s = site.toLowerCase();
  const slash = s.indexOf('/');
  if (slash < 0 || !s.startsWith(BASE_URL_PREFIX, slash)) return null;
  const id = s.slice(slash + BASE_URL_PREFIX.length);
  const m = /^([^:]+)(?::(\d{1,5}))?$/.exec(s.slice(0, slash));
  if (!m || m[1] !== o.domain.toLowerCase() || !portMatches(m[2], o) || !INSTANCE_ID_PATTERN.test(id)) return null;
  return { site: `${baseUrlHost(o)}${BASE_URL_PREFIX}${id}`, id };
}

/** `<AppsDomain>[:port]`: the bare apps host, as browsers write it, where BASE_URL instances are served. */
export function baseUrlHost(o: AppsOrigin): string {
  return `${o.domain.toLowerCase()}${hostPortSuffix(o.scheme, o.port)}`;
}

/** `<label>.<AppsDomain>` at the public port, in the browser's form, with its label. */
function appsHost(host: unknown, o: AppsOrigin): { host: string; label: string } | null {
  if (typeof host !== 'string' || host.length > 255) return null;
  const m = /^([a-z0-9-]+)\.(.+?)(?::(\d{1,5}))?$/.exec(host.toLowerCase());
  if (!m || m[2] !== o.domain.toLowerCase() || !portMatches(m[3], o)) return null;
  return { host: `${m[1]}.${m[2]}${hostPortSuffix(o.scheme, o.port)}`, label: m[1]! };
}

/** Whether a host's written port (undefined: none) is the router's public port, in a form browsers send. */
function portMatches(written: string | undefined, o: AppsOrigin): boolean {
  if (written === undefined) return isDefaultPort(o.scheme, o.port);
  return Number(written) === o.port && written === String(o.port);
}

/** How to say what a ticket host must look like (for the 400 answer). */
export function ticketHostHint(o: AppsOrigin): string {
  return `<instance id or alias>.${o.domain}${hostPortSuffix(o.scheme, o.port)}`;
}

/** How to say what a BASE_URL instance's site must look like (for the 400 answer). */
export function ticketSiteHint(o: AppsOrigin): string {
  return `${baseUrlHost(o)}${BASE_URL_PREFIX}<instance id>`;
}

/**
 * The `next` of a ticket for a BASE_URL instance's site: a path under its `/instance/<id>/`, as
 * the browser will resolve it (dot segments, `%2e` ones included, cannot climb out into another
 * instance's path); anything else is `/instance/<id>/` itself. The router sends the browser there
 * after redeeming the ticket.
 */
export function siteNext(next: unknown, id: string): string {
  return safeSitePath(next, `${BASE_URL_PREFIX}${id}/`);
}
