import { z } from 'zod';
import { isAdmin, type Caller } from './caller';
import { AppNameSchema, CategorySchema, RoleSchema, VisibilitySchema } from './enums';

/** Kubernetes-style quantity, e.g. `512Mi`, `1Gi`, `500M`. */
export const QuantitySchema = z
  .string()
  .regex(/^[0-9]+(\.[0-9]+)?(Ki|Mi|Gi|Ti|k|M|G|T)?$/, 'must be a quantity such as 512Mi or 1Gi');

/** What an app version needs to run; read from `[Runtime]` in app.toml. */
export const INSTANCE_LIFECYCLES = ['ON_DEMAND', 'MANAGED', 'LINK'] as const;
export const InstanceLifecycleSchema = z.enum(INSTANCE_LIFECYCLES);
export type InstanceLifecycle = z.infer<typeof InstanceLifecycleSchema>;

/**
 * Where an instance is served: DOMAIN (`<id>.<AppsDomain>`, an origin of its own: needs wildcard
 * DNS and a wildcard certificate) or BASE_URL (`<AppsDomain>/instance/<id>/`, one host shared by
 * every BASE_URL instance: for sites without wildcard DNS or certificates).
 */
export const ROUTING_MODES = ['DOMAIN', 'BASE_URL'] as const;
export const RoutingModeSchema = z.enum(ROUTING_MODES);
export type RoutingMode = z.infer<typeof RoutingModeSchema>;

/** The path under which BASE_URL instances are served: `/instance/<id>/`. */
export const BASE_URL_PREFIX = '/instance/';

/** The path an instance's app is served under: `/` (DOMAIN) or `/instance/<id>/` (BASE_URL). */
export const instanceBasePath = (id: string, mode: RoutingMode): string => (mode === 'BASE_URL' ? `${BASE_URL_PREFIX}${id}/` : '/');

export const RuntimeSpecSchema = z.object({
  module: z.string(),
  runtimeVersion: z.string().nullable(),
  memoryLimit: QuantitySchema.nullable(),
  memoryReservation: QuantitySchema.nullable(),
  volumeMount: z.string().nullable(),
  volumeSize: QuantitySchema.nullable(),
  gpuCount: z.number().int().min(0),
  /** `[Runtime] GPUType`; absent in app versions imported before it existed. */
  gpuType: z.string().nullable().default(null),
  /**
   * `[App] InstanceTimeout`: minutes without traffic before an instance is suspended; -1 never;
   * null (and absent, in versions imported before it existed): the platform's default.
   */
  instanceTimeoutMinutes: z.number().int().min(-1).nullable().default(null),
  /**
   * `[App] InstanceLifecycle`: ON_DEMAND (each user runs their own instance), MANAGED (one
   * instance of the version, started by its owner or an admin, opened by everyone who may see the
   * app), LINK (no instance: the catalog opens `linkAddress`). Absent in versions imported before
   * it existed: ON_DEMAND.
   */
  lifecycle: InstanceLifecycleSchema.default('ON_DEMAND'),
  /** `[Link] Address` of a LINK app (an http(s) URL); null for the others. */
  linkAddress: z.string().nullable().default(null),
  /**
   * `[Runtime] RoutingMode`: where the app's instances are served; null (and absent, in versions
   * imported before it existed): the platform's `Scheduler.RoutingMode`.
   */
  routingMode: RoutingModeSchema.nullable().default(null),
});
export type RuntimeSpec = z.infer<typeof RuntimeSpecSchema>;

/** One `[[Env]]` entry: a literal value or a reference to an admin-managed secret. */
export const EnvSpecSchema = z.union([
  z.object({ name: z.string(), value: z.string() }),
  z.object({ name: z.string(), secret: z.string(), secretKey: z.string() }),
]);
export type EnvSpec = z.infer<typeof EnvSpecSchema>;

/**
 * One `[[File]]` entry: a file mounted read-only at `path` (absolute) in the instance, holding a
 * literal value or the value of a key of an admin-managed secret.
 */
export const FileSpecSchema = z.union([
  z.object({ path: z.string(), value: z.string() }),
  z.object({ path: z.string(), secret: z.string(), secretKey: z.string() }),
]);
export type FileSpec = z.infer<typeof FileSpecSchema>;

export const TAG_NAME_PATTERN = /^[a-z0-9][a-z0-9-]{0,62}$/;
export const TagNameSchema = z
  .string()
  .regex(TAG_NAME_PATTERN, 'must be 1-63 lower-case letters, digits or dashes, starting with a letter or digit');

export const TagSchema = z.object({
  name: TagNameSchema,
  title: z.string().min(1).max(100),
  color: z.string().regex(/^#[0-9a-fA-F]{6}$/, 'must be a colour like #1f6feb'),
  description: z.string().max(2000),
  visitorRoles: z.array(RoleSchema),
  createdAt: z.string(),
}).meta({ id: 'Tag' });
export type Tag = z.infer<typeof TagSchema>;
/** A tag on an app version; its visitor roles tell who, besides full-access users, may open ALL_USERS instances of it. */
export const TagRefSchema = TagSchema.pick({ name: true, title: true, color: true, visitorRoles: true });

export const AppVersionSchema = z.object({
  id: z.string(),
  name: AppNameSchema,
  version: z.string(),
  title: z.string(),
  description: z.string(),
  longDescription: z.string().nullable(),
  categories: z.array(CategorySchema),
  keywords: z.array(z.string()),
  owner: z.object({ sub: z.string(), name: z.string() }),
  /**
   * False for a version another user published under this name before names had owners: it does
   * not answer for the bare name, and secrets granted to the name do not reach it.
   */
  byNameOwner: z.boolean().optional(),
  visibility: VisibilitySchema,
  tags: z.array(TagRefSchema),
  runtime: RuntimeSpecSchema,
  env: z.array(EnvSpecSchema),
  /** `[[File]]` entries; absent in versions imported before files existed. */
  files: z.array(FileSpecSchema).default([]),
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
  size: z.number().int(),
  hasIcon: z.boolean(),
  screenshotCount: z.number().int(),
  createdAt: z.string(),
}).meta({ id: 'AppVersion' });
export type AppVersion = z.infer<typeof AppVersionSchema>;

/** An `[[Env]]` entry filled from a secret, as shown to users who may not see which secret: its name only. */
export const HiddenSecretEnvSchema = z.object({ name: z.string(), secret: z.null(), secretKey: z.null() });

/** A `[[File]]` entry filled from a secret, as shown to users who may not see which secret: its path only. */
export const HiddenSecretFileSchema = z.object({ path: z.string(), secret: z.null(), secretKey: z.null() });

/** An app version as the public API answers it: secret names and keys of `[[Env]]` and `[[File]]` only for its owner and admins. */
export const PublicAppVersionSchema = AppVersionSchema.extend({
  env: z.array(z.union([EnvSpecSchema, HiddenSecretEnvSchema])),
  files: z.array(z.union([FileSpecSchema, HiddenSecretFileSchema])),
}).meta({
  id: 'PublicAppVersion',
});
export type PublicAppVersion = z.infer<typeof PublicAppVersionSchema>;

/** Which secrets (and keys) an app version's `[[Env]]` and `[[File]]` name: for its owner and admins only. */
export const canSeeSecretRefs = (caller: Caller | null, app: { owner: { sub: string } }): boolean =>
  isAdmin(caller) || (!!caller && caller.sub === app.owner.sub);

/**
 * `~/<name>`: the secret of whoever runs the instance. Everyone who may run the version sees such
 * references (they name no one's secret but the reader's own, which running the app hands to it).
 */
const readsRunnersSecret = (secret: string): boolean => secret.startsWith('~/');

/**
 * The app version with the secret names and keys of its `[[Env]]` and `[[File]]` left out, unless
 * the caller may see them; references to the runner's own secrets (`~/<name>`) are kept for all.
 */
export function hideSecretRefs(caller: Caller | null, app: AppVersion): PublicAppVersion {
  if (canSeeSecretRefs(caller, app)) return app;
  return {
    ...app,
    env: app.env.map((e) => ('secret' in e && !readsRunnersSecret(e.secret) ? { name: e.name, secret: null, secretKey: null } : e)),
    files: (app.files ?? []).map((f) => ('secret' in f && !readsRunnersSecret(f.secret) ? { path: f.path, secret: null, secretKey: null } : f)),
  };
}
