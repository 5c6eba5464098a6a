import { INSTANCE_ID_PATTERN } from '@wharf/contracts';

/**
 * `abc123defg.apps.localhost:8081` → `abc123defg` when the host is an instance host under
 * `appsDomain`; null for any other host (the router's own endpoints: /healthz, /readyz);
 * `''` for a host under the domain that cannot be an instance (404).
 */
export function instanceIdOf(host: string, appsDomain: string): string | null {
  const colon = host.lastIndexOf(':');
  const name = (colon > 0 && !host.endsWith(']') ? host.slice(0, colon) : host).toLowerCase();
  const suffix = `.${appsDomain}`;
  if (!name.endsWith(suffix)) return null;
  const id = name.slice(0, -suffix.length);
  return INSTANCE_ID_PATTERN.test(id) ? id : '';
}

/** Header values must be Latin-1; names outside printable ASCII are percent-encoded. */
export const headerSafe = (s: string): string => (/^[\x20-\x7e]*$/.test(s) ? s : encodeURIComponent(s));
