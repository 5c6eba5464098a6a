import { z } from 'zod';
import { defineRequest, pageOf, PageRequestSchema } from './define';
import { AppNameSchema } from './enums';
import { SecretKeySchema, SecretNameSchema } from './scheduler.contracts';

/**
 * Self-service secrets: secrets users keep for their own apps and instances, next to the
 * admin-managed ("platform") secrets of `SchedulerContracts.secret*`.
 *
 * A user secret is named by its owner's user id and its name: each user has a namespace of their
 * own, so a user secret can never take the name of a platform secret or of another user's. An
 * app's `[[Env]] Secret` names one as `<owner id>/<name>`, or `~/<name>` for the secret of the
 * user who runs the instance (a platform secret is a bare name, as before). Who may read it is its
 * visibility:
 * - PRIVATE: only instances its owner runs;
 * - ALL_USERS: every instance, of any user, whose app names it;
 * - APP: only instances of the named apps (versions published by each name's owner).
 */
export const USER_SECRET_VISIBILITIES = ['PRIVATE', 'ALL_USERS', 'APP'] as const;
export const UserSecretVisibilitySchema = z.enum(USER_SECRET_VISIBILITIES).meta({ id: 'UserSecretVisibility' });
export type UserSecretVisibility = z.infer<typeof UserSecretVisibilitySchema>;

/** At most 63 characters, so every owner's Kubernetes Secret name has room for it. */
export const USER_SECRET_NAME_MAX = 63;
export const UserSecretNameSchema = SecretNameSchema.max(USER_SECRET_NAME_MAX, `must be at most ${USER_SECRET_NAME_MAX} characters`);
/** A user id (`sub`), as the owner of a user secret. */
export const UserSecretOwnerSchema = z.string().trim().min(1).max(200);

/** `~/<name>` in `[[Env]] Secret`: the secret `<name>` of the user who runs the instance. */
export const SELF_SECRET_OWNER = '~';

/** What an `[[Env]] Secret` value names: a platform secret (a bare name) or a user secret (`<owner>/<name>`, owner `~` for the instance's owner). */
export type SecretRefName = { kind: 'platform'; name: string } | { kind: 'user'; owner: string; name: string };

/** Splits an `[[Env]] Secret` value at its last `/` (user ids may hold one; secret names never do). */
export function parseSecretRefName(secret: string): SecretRefName {
  const slash = secret.lastIndexOf('/');
  if (slash < 0) return { kind: 'platform', name: secret };
  return { kind: 'user', owner: secret.slice(0, slash), name: secret.slice(slash + 1) };
}

/** How apps name a user secret: `<owner id>/<name>`. */
export const userSecretRef = (owner: string, name: string): string => `${owner}/${name}`;

/** A user secret as answers show it: its keys, never their values. */
export const UserSecretSchema = z
  .object({
    owner: z.object({ sub: z.string(), name: z.string() }),
    name: z.string(),
    /** What an app's `[[Env]] Secret` names to read it from any instance: `<owner id>/<name>` (`~/<name>` reads the runner's own). */
    ref: z.string(),
    /** Key names only; values never leave the scheduler. */
    keys: z.array(z.string()),
    visibility: UserSecretVisibilitySchema,
    /** The app names that may read it (visibility APP); empty otherwise. */
    apps: z.array(z.string()),
    updatedAt: z.string(),
  })
  .meta({ id: 'UserSecret' });
export type UserSecret = z.infer<typeof UserSecretSchema>;

/** One user secret: the caller's own, or (admins) another user's by `owner`. */
const TargetSchema = z.object({
  /** A user id; left out: the caller. Only admins name another user. */
  owner: UserSecretOwnerSchema.optional(),
  name: UserSecretNameSchema,
});

export const UserSecretAccessSchema = z.object({
  /** Left out: a new secret is PRIVATE, a replaced one keeps its visibility and apps. */
  visibility: z.enum(USER_SECRET_VISIBILITIES).optional(),
  /** The apps that may read it, required with (and only with) visibility APP. */
  apps: z.array(AppNameSchema).max(100).optional(),
});

export const UserSecretListRequestSchema = PageRequestSchema.extend({
  /** `mine` (default): the caller's; `all`: every user's (admins). */
  scope: z.enum(['mine', 'all']).default('mine'),
  /** One user's secrets (admins; a user may name themselves). */
  owner: UserSecretOwnerSchema.optional(),
});

export const UserSecretContracts = {
  /**
   * Creates or replaces one of the caller's secrets (all its keys), or with `mode` `create` only
   * creates it (CONFLICT when it exists), or with `update` changes visibility and apps of an
   * existing one and keeps its values (`data` left out). Full-access users and admins.
   */
  put: defineRequest(
    'scheduler.user-secret.put.v1',
    TargetSchema.extend(UserSecretAccessSchema.shape).extend({
      data: z.record(SecretKeySchema, z.string().max(64 * 1024)).optional(),
      mode: z.enum(['create', 'upsert', 'update']).default('upsert'),
    }),
    z.object({ created: z.boolean(), secret: UserSecretSchema }),
  ),
  get: defineRequest('scheduler.user-secret.get.v1', TargetSchema, UserSecretSchema),
  list: defineRequest('scheduler.user-secret.list.v1', UserSecretListRequestSchema, pageOf(UserSecretSchema)),
  /** CONFLICT while an instance that is not terminated reads it (a platform secret's delete does the same). */
  delete: defineRequest(
    'scheduler.user-secret.delete.v1',
    TargetSchema,
    z.object({ owner: z.string(), name: z.string(), ref: z.string(), deleted: z.literal(true) }),
  ),
} as const;
