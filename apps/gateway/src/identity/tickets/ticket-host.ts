import { aliasNameProblem, hostPortSuffix, INSTANCE_ID_PATTERN, isDefaultPort } from '@wharf/contracts';

/** Where the router serves instances, as browsers reach it (Gateway.AppsDomain, AppsScheme, AppsPort). */
export interface AppsOrigin {
  domain: string;
  scheme: 'http' | 'https';
  port: number;
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

/** `<label>.<AppsDomain>` at the public port, in the browser's form, with its label. */
function appsHost(host: unknown, o: AppsOrigin): { host: string; label: string } | null {
  if (typeof host !== 'string' || host.length > 255) return null;
  const m = /^([a-z0-9-]+)\.(.+?)(?::(\d{1,5}))?$/.exec(host.toLowerCase());
  if (!m || m[2] !== o.domain.toLowerCase()) return null;
  const port = m[3] === undefined ? null : Number(m[3]);
  if (port === null ? !isDefaultPort(o.scheme, o.port) : port !== o.port || m[3] !== String(port)) return null;
  return { host: `${m[1]}.${m[2]}${hostPortSuffix(o.scheme, o.port)}`, label: m[1]! };
}

/** How to say what a ticket host must look like (for the 400 answer). */
export function ticketHostHint(o: AppsOrigin): string {
  return `<instance id or alias>.${o.domain}${hostPortSuffix(o.scheme, o.port)}`;
}
