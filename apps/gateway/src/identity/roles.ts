import { ROLES, type Role } from '@wharf/contracts';

/** The value at a dotted claim path (`realm_access.roles`), or undefined. */
export function claimAt(claims: Record<string, unknown>, path: string): unknown {
  let v: unknown = claims;
  for (const key of path.split('.')) {
    if (!v || typeof v !== 'object' || Array.isArray(v)) return undefined;
    v = (v as Record<string, unknown>)[key];
  }
  return v;
}

export interface RoleMappingOptions {
  claimPath: string;
  mapping: Partial<Record<Role, string[]>>;
  defaultRole: Role | 'none';
}

/**
 * Wharf roles from ID-token (or access-token) claims: the claim at `claimPath` (an array, or a
 * space/comma separated string) mapped through `mapping`. A user with none of the mapped values
 * gets `defaultRole`; `null` when that is `none` (sign-in refused).
 */
export function rolesFromClaims(claims: Record<string, unknown>, opts: RoleMappingOptions): Role[] | null {
  const raw = claimAt(claims, opts.claimPath);
  const values = new Set(
    (Array.isArray(raw) ? raw : typeof raw === 'string' ? raw.split(/[\s,]+/) : [])
      .filter((x): x is string => typeof x === 'string' && x.length > 0)
      // Keycloak `groups` come as paths (`/wharf-admins`) when full paths are on
      .flatMap((x) => (x.startsWith('/') ? [x, x.slice(1)] : [x])),
  );
  const roles = ROLES.filter((role) => (opts.mapping[role] ?? []).some((v) => values.has(v)));
  if (roles.length) return roles;
  return opts.defaultRole === 'none' ? null : [opts.defaultRole];
}

/** A display name from standard claims. */
export function nameFromClaims(claims: Record<string, unknown>, sub: string): string {
  for (const k of ['preferred_username', 'email', 'name']) {
    const v = claims[k];
    if (typeof v === 'string' && v.trim()) return v.trim().slice(0, 100);
  }
  return sub;
}
