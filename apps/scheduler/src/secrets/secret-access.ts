import {
  conflict,
  invalid,
  notFound,
  parseSecretRefName,
  SELF_SECRET_OWNER,
  userSecretRef,
  type EnvSpec,
  type SecretGrants,
  type UserSecret,
  type UserSecretVisibility,
  type WharfError,
} from '@wharf/contracts';
import type { InstanceRecord } from '../instances/instance.record';
import type { SecretGrantee, SecretRef, SecretSummary, UserSecretPut } from './secret.store';

/**
 * The rules every secret store follows (the local file, Kubernetes Secrets): which grants a put
 * keeps, who is granted, what a resolve answers and the one refusal. The stores only read and
 * write.
 */

/** One platform (admin) secret as a store keeps it. */
export interface StoredSecret {
  data: Record<string, string>;
  grants: SecretGrants;
  updatedAt: string;
}

/** One user secret as a store keeps it (its owner's id and its name are where it is kept). */
export interface StoredUserSecret {
  /** The owner's display name when it was last put (for admins' lists). */
  ownerName: string;
  data: Record<string, string>;
  visibility: UserSecretVisibility;
  apps: string[];
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
 * Whether an instance may read a user secret of `owner`: PRIVATE only the owner's own instances,
 * ALL_USERS every instance, APP instances of the named apps (versions published by the name's owner).
 */
export function userSecretReadable(owner: string, s: Pick<StoredUserSecret, 'visibility' | 'apps'>, who: SecretGrantee): boolean {
  switch (s.visibility) {
    case 'PRIVATE':
      return who.instanceOwner === owner;
    case 'ALL_USERS':
      return true;
    case 'APP':
      return who.byNameOwner && s.apps.includes(who.app);
    default:
      return false;
  }
}

/** Who reads the secrets of a stored instance: its app (name and owner, checked when it was created or upgraded) and its owner. */
export const recordGrantee = (r: Pick<InstanceRecord, 'appName' | 'appOwner' | 'owner'>): SecretGrantee => ({
  app: r.appName,
  owner: r.appOwner.sub,
  byNameOwner: true,
  instanceOwner: r.owner.sub,
});

/** The `[[Env]]` entries that name secrets. */
export function secretRefsOf(env: EnvSpec[]): SecretRef[] {
  return env.flatMap((e) => ('secret' in e ? [{ env: e.name, secret: e.secret, key: e.secretKey }] : []));
}

/** The secrets an instance reads (its `[[Env]]` and `[[File]]` entries), with `~/<name>` made `<its owner>/<name>`. */
export function recordSecretRefs(r: Pick<InstanceRecord, 'launch' | 'owner'>): SecretRef[] {
  const files = (r.launch.files ?? []).flatMap((f) => ('secret' in f ? [{ env: f.path, secret: f.secret, key: f.secretKey }] : []));
  return [...secretRefsOf(r.launch.env), ...files].map((ref) => canonicalSecretRef(ref, r.owner.sub));
}

/** The ref with `~/<name>` (the instance owner's secret) made `<instanceOwner>/<name>`, as the Kubernetes driver needs it. */
export function canonicalSecretRef<T extends { secret: string }>(ref: T, instanceOwner: string): T {
  const n = parseSecretRefName(ref.secret);
  return n.kind === 'user' && n.owner === SELF_SECRET_OWNER ? { ...ref, secret: userSecretRef(instanceOwner, n.name) } : ref;
}

/**
 * The one refusal for secrets an app may not read, naming only what the app itself wrote (its env
 * names): the same text whichever secret or key is missing or not granted, for any app.
 */
export function secretsRefused(refused: SecretRef[]): WharfError {
  const envs = [...new Set(refused.map((r) => r.env))];
  const user = refused.some((r) => parseSecretRefName(r.secret).kind === 'user');
  return invalid(
    `the app cannot start: its [[Env]] ${envs.join(', ')} ${envs.length === 1 ? 'names a secret' : 'name secrets'} that it was not granted or that is not set; ` +
      `ask an admin to create the secret with that key and grant it to this app's name or its owner (PUT /api/v1/secrets/<name> with "grants")` +
      (user
        ? `; a user secret (<owner id>/<name>, or ~/<name> for the secret of whoever runs the instance) must be created by its owner with that key ` +
          `and a visibility that lets this instance read it: PRIVATE (the owner's own instances), ALL_USERS, or APP with this app's name ` +
          `(PUT /api/v1/user-secrets/<name>, or wharf secret set <name>)`
        : ''),
    { env: envs },
  );
}

/** What callers see of a secret: key names and sorted grants, never values. */
export function secretSummary(name: string, s: StoredSecret): SecretSummary {
  return { name, keys: Object.keys(s.data).sort(), grants: { apps: [...s.grants.apps].sort(), owners: [...s.grants.owners].sort() }, updatedAt: s.updatedAt };
}

/** What callers see of a user secret: key names, visibility and apps, never values. */
export function userSecretSummary(owner: string, name: string, s: StoredUserSecret): UserSecret {
  return {
    owner: { sub: owner, name: s.ownerName },
    name,
    ref: userSecretRef(owner, name),
    keys: Object.keys(s.data).sort(),
    visibility: s.visibility,
    apps: [...s.apps].sort(),
    updatedAt: s.updatedAt,
  };
}

/**
 * The user secret a put writes over `previous` (undefined: there is none), or the error that
 * refuses it: `create` on one that exists, `update` of one that does not, a new one without data,
 * `apps` without visibility APP or APP without apps. Visibility and apps left out are kept (a new
 * secret is PRIVATE); data left out (mode `update`) keeps the values.
 */
export function nextUserSecret(previous: StoredUserSecret | undefined, put: UserSecretPut): StoredUserSecret {
  const ref = userSecretRef(put.owner.sub, put.name);
  if (put.mode === 'create' && previous) {
    throw conflict(`the secret ${put.name} (${ref}) already exists; replace it with PUT /api/v1/user-secrets/${put.name} (wharf secret set ${put.name}), or choose another name`);
  }
  if (put.mode === 'update' && !previous) throw notFound(`there is no secret ${put.name} (${ref}); create it first with PUT /api/v1/user-secrets/${put.name} and its "data"`);
  const data = put.data ?? previous?.data;
  if (!data) throw invalid(`the secret ${put.name} is new: give its keys and values in "data", e.g. {"data": {"API_KEY": "…"}}`);
  if (Object.keys(data).length === 0) throw invalid(`"data" has no keys: give at least one key and its value, e.g. {"data": {"API_KEY": "…"}}`);
  const visibility = put.visibility ?? previous?.visibility ?? 'PRIVATE';
  const apps = [...new Set(put.apps ?? (previous && visibility === previous.visibility ? previous.apps : []))];
  if (visibility === 'APP' && apps.length === 0) {
    throw invalid(`visibility APP needs "apps": the names of the apps whose instances may read the secret, e.g. {"visibility": "APP", "apps": ["sales-dashboard"]}`);
  }
  if (visibility !== 'APP' && apps.length > 0) {
    throw invalid(`"apps" is only for visibility APP (${visibility} ${visibility === 'PRIVATE' ? 'lets only your own instances read it' : 'lets every instance read it'}); leave "apps" out or set "visibility": "APP"`);
  }
  return { ownerName: put.owner.name ?? previous?.ownerName ?? put.owner.sub, data, visibility, apps, updatedAt: new Date().toISOString() };
}

/** Listing order: by name, as code units (the order the list handler's cursor compares with `>`). */
export const byName = (a: { name: string }, b: { name: string }): number => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);
/** User secrets: by owner id, then name (code units). */
export const byOwnerAndName = (a: UserSecret, b: UserSecret): number =>
  a.owner.sub < b.owner.sub ? -1 : a.owner.sub > b.owner.sub ? 1 : byName(a, b);

/** A store's secrets, as read for one resolve (undefined: no such secret, or one it cannot read). */
export interface SecretLookup {
  platform(name: string): StoredSecret | undefined;
  user(owner: string, name: string): StoredUserSecret | undefined;
}

/** The secrets one resolve reads: platform names and user (owner, name) pairs, each once. */
export interface SecretNames {
  platform: string[];
  user: { owner: string; name: string }[];
}

/**
 * `SecretStore.resolve` for any store: `load` reads the named secrets once (not called when there
 * are no refs); every ref must name a secret the grantee may read, that has the key, else one refusal.
 */
export async function resolveSecretRefs(
  refs: SecretRef[],
  grantee: SecretGrantee,
  load: (names: SecretNames) => Promise<SecretLookup> | SecretLookup,
): Promise<Record<string, string>> {
  if (refs.length === 0) return {};
  const parsed = refs.map((r) => {
    const n = parseSecretRefName(r.secret);
    return n.kind === 'user' && n.owner === SELF_SECRET_OWNER ? { ...n, owner: grantee.instanceOwner } : n;
  });
  const platform = [...new Set(parsed.flatMap((n) => (n.kind === 'platform' ? [n.name] : [])))];
  const userKeys = new Map(parsed.flatMap((n) => (n.kind === 'user' ? [[JSON.stringify([n.owner, n.name]), { owner: n.owner, name: n.name }] as const] : [])));
  const lookup = await load({ platform, user: [...userKeys.values()] });
  const out: Record<string, string> = {};
  const refused: SecretRef[] = [];
  refs.forEach((r, i) => {
    const n = parsed[i]!;
    let data: Record<string, string> | undefined;
    if (n.kind === 'platform') {
      const s = lookup.platform(n.name);
      data = s && isGranted(s.grants, grantee) ? s.data : undefined;
    } else {
      const s = lookup.user(n.owner, n.name);
      data = s && userSecretReadable(n.owner, s, grantee) ? s.data : undefined;
    }
    const v = data && Object.hasOwn(data, r.key) ? data[r.key] : undefined;
    if (v === undefined) refused.push(r);
    else out[r.env] = v;
  });
  if (refused.length) throw secretsRefused(refused);
  return out;
}
