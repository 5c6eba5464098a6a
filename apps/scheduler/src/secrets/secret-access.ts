import { invalid, type SecretGrants, type WharfError } from '@wharf/contracts';
import type { SecretGrantee, SecretRef, SecretSummary } from './secret.store';

/**
 * The rules every secret store follows (the local file, Kubernetes Secrets): which grants a put
 * keeps, who is granted, what a resolve answers and the one refusal. The stores only read and
 * write.
 */

/** One secret as a store keeps it. */
export interface StoredSecret {
  data: Record<string, string>;
  grants: SecretGrants;
  updatedAt: string;
}

export const NO_GRANTS: SecretGrants = { apps: [], owners: [] };

/** The grants a put writes: those given, else those the secret had (none for a new secret), without duplicates. */
export function keptGrants(given: SecretGrants | undefined, previous: SecretGrants | undefined): SecretGrants {
  const g = given ?? previous ?? NO_GRANTS;
  return { apps: [...new Set(g.apps)], owners: [...new Set(g.owners)] };
}

export const isGranted = (grants: SecretGrants, who: SecretGrantee): boolean =>
  (who.byNameOwner && grants.apps.includes(who.app)) || grants.owners.includes(who.owner);

/**
 * The one refusal for secrets an app may not read, naming only what the app itself wrote (its env
 * names): the same text whichever secret or key is missing or not granted, for any app.
 */
export function secretsRefused(refused: SecretRef[]): WharfError {
  const envs = [...new Set(refused.map((r) => r.env))];
  return invalid(
    `the app cannot start: its [[Env]] ${envs.join(', ')} ${envs.length === 1 ? 'names a secret' : 'name secrets'} that it was not granted or that is not set; ` +
      `ask an admin to create the secret with that key and grant it to this app's name or its owner (PUT /api/v1/secrets/<name> with "grants")`,
    { env: envs },
  );
}

/** What callers see of a secret: key names and sorted grants, never values. */
export function secretSummary(name: string, s: StoredSecret): SecretSummary {
  return { name, keys: Object.keys(s.data).sort(), grants: { apps: [...s.grants.apps].sort(), owners: [...s.grants.owners].sort() }, updatedAt: s.updatedAt };
}

/** Listing order: by name, as code units (the order the list handler's cursor compares with `>`). */
export const byName = (a: { name: string }, b: { name: string }): number => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);

/** A store's secrets by name, as read for one resolve (undefined: no such secret, or one it cannot read). */
export type SecretLookup = (name: string) => StoredSecret | undefined;

/**
 * `SecretStore.resolve` for any store: `load` reads the named secrets once (not called when there
 * are no refs); every ref must name a granted secret that has the key, else one refusal.
 */
export async function resolveSecretRefs(
  refs: SecretRef[],
  grantee: SecretGrantee,
  load: (names: string[]) => Promise<SecretLookup> | SecretLookup,
): Promise<Record<string, string>> {
  if (refs.length === 0) return {};
  const lookup = await load([...new Set(refs.map((r) => r.secret))]);
  const out: Record<string, string> = {};
  const refused: SecretRef[] = [];
  for (const r of refs) {
    const s = lookup(r.secret);
    const v = s && isGranted(s.grants, grantee) && Object.hasOwn(s.data, r.key) ? s.data[r.key] : undefined;
    if (v === undefined) refused.push(r);
    else out[r.env] = v;
  }
  if (refused.length) throw secretsRefused(refused);
  return out;
}
