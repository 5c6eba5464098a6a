import { z } from 'zod';
import { RoleSchema } from './enums';

/**
 * Usage against limits: each service reports what its own limit check counts and the limit that
 * check would apply, computed by the very functions the check calls (the scheduler's leases and
 * maxInstancesFor, the repository's version count and its per-user limit), so that what admins
 * see cannot drift from what is enforced.
 */

/** A user whose usage is asked for, with the roles the asker last saw them with (the limits depend on them). */
export const UsageUserSchema = z.object({
  sub: z.string().min(1).max(200),
  roles: z.array(RoleSchema).max(3),
});

/** What asking for everyone's usage sends: users with known roles; the service adds everyone else it counts something for. */
export const UsageListRequestSchema = z.object({ users: z.array(UsageUserSchema).max(10_000).default([]) });

/**
 * A limit: `max` null is no limit; `setting` the configuration key it comes from (null when none
 * applies). Not a named schema: it is nullable where used, and OpenAPI 3.0 has no nullable $ref.
 */
export const UsageLimitSchema = z.object({
  max: z.number().int().min(0).nullable(),
  setting: z.string().nullable(),
  /** Why this limit applies, e.g. "full-access users" or "importing needs the full-access role". */
  reason: z.string(),
});

/** One user's instances, as the scheduler's limit check sees them. */
export const InstanceUsageSchema = z.object({
  sub: z.string(),
  /** The name on the user's instances, when they have any. */
  name: z.string().nullable(),
  /** Live instances holding a slot of the limit (the leases the limit check counts). */
  live: z.number().int().min(0),
  /** null when the user's roles were not given (the limit depends on them). */
  limit: UsageLimitSchema.nullable(),
  /** What the user's live instances were given (per-instance ceilings apply; there is no per-user total). */
  memoryLimitBytes: z.number().int().min(0),
  memoryReservationBytes: z.number().int().min(0),
  gpus: z.number().int().min(0),
});

/** Per-instance ceilings of the scheduler (each instance is checked against them when it starts). */
export const InstanceCeilingsSchema = z
  .object({
    maxMemoryLimit: z.string(),
    maxMemoryReservation: z.string(),
    /** What one instance may ask for on this platform (the lower of Scheduler.MaxGpus and what the driver offers). */
    maxGpus: z.number().int().min(0),
  })
  .meta({ id: 'InstanceCeilings' });

export const SchedulerUsageSchema = z.object({ users: z.array(InstanceUsageSchema), ceilings: InstanceCeilingsSchema });

/** One user's imported app versions, as the repository's import check sees them. */
export const VersionUsageSchema = z.object({
  sub: z.string(),
  /** The owner name on the user's versions, when they have any. */
  name: z.string().nullable(),
  /** App versions the user owns (what Repository.MaxVersionsPerUser counts). */
  versions: z.number().int().min(0),
  /** null when the user's roles were not given. */
  limit: UsageLimitSchema.nullable(),
});

export const RepositoryUsageSchema = z.object({ users: z.array(VersionUsageSchema) });
