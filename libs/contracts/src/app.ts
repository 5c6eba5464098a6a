import { z } from 'zod';
import { AppNameSchema, CategorySchema, RoleSchema, VisibilitySchema } from './enums';

/** Kubernetes-style quantity, e.g. `512Mi`, `1Gi`, `500M`. */
export const QuantitySchema = z
  .string()
  .regex(/^[0-9]+(\.[0-9]+)?(Ki|Mi|Gi|Ti|k|M|G|T)?$/, 'must be a quantity such as 512Mi or 1Gi');

/** What an app version needs to run; read from `[Runtime]` in app.toml. */
export const RuntimeSpecSchema = z.object({
  module: z.string(),
  runtimeVersion: z.string().nullable(),
  memoryLimit: QuantitySchema.nullable(),
  memoryReservation: QuantitySchema.nullable(),
  volumeMount: z.string().nullable(),
  volumeSize: QuantitySchema.nullable(),
  gpuCount: z.number().int().min(0),
});
export type RuntimeSpec = z.infer<typeof RuntimeSpecSchema>;

/** One `[[Env]]` entry: a literal value or a reference to an admin-managed secret. */
export const EnvSpecSchema = z.union([
  z.object({ name: z.string(), value: z.string() }),
  z.object({ name: z.string(), secret: z.string(), secretKey: z.string() }),
]);
export type EnvSpec = z.infer<typeof EnvSpecSchema>;

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
});
export type Tag = z.infer<typeof TagSchema>;
export const TagRefSchema = TagSchema.pick({ name: true, title: true, color: true });

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
  visibility: VisibilitySchema,
  tags: z.array(TagRefSchema),
  runtime: RuntimeSpecSchema,
  env: z.array(EnvSpecSchema),
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
  size: z.number().int(),
  hasIcon: z.boolean(),
  screenshotCount: z.number().int(),
  createdAt: z.string(),
});
export type AppVersion = z.infer<typeof AppVersionSchema>;
