import { z } from 'zod';
import { defineEvent, defineRequest, pageOf, PageRequestSchema } from './define';
import { INSTANCE_ID_PATTERN, InstanceIdSchema } from './scheduler.contracts';

/**
 * Aliases: admin-managed names that serve an instance at `<alias>.<AppsDomain>`. An alias points
 * at one instance or at none (then its host answers 404); an instance has at most one primary
 * alias, whose host serves it while its id host and its other aliases answer 302 there (GET and
 * HEAD). Moving an alias to another instance is one compare-and-set in the scheduler's alias
 * bucket: blue/green for MANAGED apps (start the new version, move the alias, stop the old one).
 */

/** A DNS label: lower-case letters, digits and inner dashes, at most 63 characters. */
export const ALIAS_NAME_PATTERN = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;
/**
 * Labels under the apps domain that are never aliases: names a platform could want for itself
 * (its own hosts next to the instances), so that an alias can never pass for one.
 */
export const RESERVED_ALIAS_NAMES = ['www', 'api', 'auth', 'admin', 'login', 'gateway', 'router', 'wharf', 'localhost', 'static'] as const;
/** At most this many aliases on a platform: the routers keep them all in memory, the scheduler in one KV value. */
export const MAX_ALIASES = 1000;

/** Why `name` cannot be an alias, or null when it can. */
export function aliasNameProblem(name: string): string | null {
  if (!ALIAS_NAME_PATTERN.test(name)) return `alias "${name}" must be a DNS label: 1 to 63 lower-case letters, digits and dashes, starting and ending with a letter or digit`;
  if (INSTANCE_ID_PATTERN.test(name)) return `alias "${name}" looks like an instance id (10 characters [a-z0-9] starting with a letter) and could be mistaken for one: add a dash or use another length`;
  if ((RESERVED_ALIAS_NAMES as readonly string[]).includes(name)) return `alias "${name}" is reserved for the platform (${RESERVED_ALIAS_NAMES.join(', ')}); choose another name`;
  return null;
}

export const AliasNameSchema = z.string().superRefine((name, ctx) => {
  const problem = aliasNameProblem(name);
  if (problem) ctx.addIssue({ code: 'custom', message: problem });
});

const UserRefSchema = z.object({ sub: z.string(), name: z.string() });

export const AliasSchema = z
  .object({
    name: z.string(),
    /** Where it is served: `<scheme>://<name>.<AppsDomain>[:<RouterPort>]`. */
    url: z.string(),
    /** The instance it serves; null: unassigned (its host answers 404). */
    instanceId: InstanceIdSchema.nullable(),
    /** Its instance's primary alias: the id host and the instance's other aliases redirect here. */
    primary: z.boolean(),
    createdBy: UserRefSchema,
    createdAt: z.string(),
    updatedBy: UserRefSchema,
    updatedAt: z.string(),
  })
  .meta({ id: 'Alias' });
export type Alias = z.infer<typeof AliasSchema>;

/** What the routers need of an alias; `seq` orders changes (an older answer never undoes a newer event). */
export const AliasRouteSchema = z.object({
  name: z.string(),
  instanceId: InstanceIdSchema.nullable(),
  primary: z.boolean(),
  seq: z.number().int().min(0),
});
export type AliasRoute = z.infer<typeof AliasRouteSchema>;

const ByName = z.object({ name: AliasNameSchema });

export const AliasCreateRequestSchema = z
  .object({
    name: AliasNameSchema,
    /** The instance it serves at once; left out or null: unassigned until `assign`. */
    instanceId: InstanceIdSchema.nullable().optional(),
    /** Make it its instance's primary alias (needs `instanceId`); the previous primary becomes a normal alias. */
    primary: z.boolean().optional(),
  })
  .strict();

export const AliasAssignRequestSchema = z
  .object({
    name: AliasNameSchema,
    /** The instance it serves from now on; null: unassigned. */
    instanceId: InstanceIdSchema.nullable(),
    /**
     * Whether it is the instance's primary alias afterwards. Left out: a primary alias stays primary
     * (of its new instance: blue/green), a normal one stays normal.
     */
    primary: z.boolean().optional(),
  })
  .strict();

export const AliasContracts = {
  /** Admin-only: every alias, by name. */
  list: defineRequest('scheduler.alias.list.v1', PageRequestSchema, pageOf(AliasSchema)),
  /** Admin-only: a new alias (409 when the name is taken). */
  create: defineRequest('scheduler.alias.create.v1', AliasCreateRequestSchema, AliasSchema),
  /** Admin-only: points an alias at another instance (or none). Atomic; the routers apply it at once. */
  assign: defineRequest('scheduler.alias.assign.v1', AliasAssignRequestSchema, AliasSchema),
  /** Admin-only: makes an alias the primary of its instance (the previous primary becomes a normal alias). */
  promote: defineRequest('scheduler.alias.promote.v1', ByName, AliasSchema),
  /** Admin-only: frees the name. */
  delete: defineRequest('scheduler.alias.delete.v1', ByName, z.object({ name: z.string(), deleted: z.literal(true) })),
  /**
   * The routers' (and the gateway's ticket check's) lookup, no caller check: every alias, or the
   * named ones, with where they point. `seq` is the table's change counter.
   */
  route: defineRequest(
    'scheduler.alias.route.v1',
    z.object({ names: z.array(z.string().max(63)).max(100).optional() }),
    z.object({ seq: z.number().int().min(0), aliases: z.array(AliasRouteSchema) }),
  ),
} as const;

/**
 * Published by the scheduler replica that changed the alias table: every alias the change touched
 * (as it is now) and the names deleted. Routers apply it at once.
 */
export const AliasChangedEvent = defineEvent(
  'events.alias.changed.v1',
  z.object({ seq: z.number().int().min(0), aliases: z.array(AliasRouteSchema), deleted: z.array(z.string()), at: z.string() }),
);
