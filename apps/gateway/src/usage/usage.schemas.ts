import { InstanceCeilingsSchema, PageRequestSchema, RoleSchema, UsageLimitSchema } from '@wharf/contracts';
import { z } from 'zod';

/**
 * One user's usage against the limits, as the services that enforce them count it: live
 * instances (the scheduler's slots) and imported app versions (the repository's count).
 */
export const UserUsageSchema = z
  .object({
    user: z.object({
      sub: z.string(),
      name: z.string(),
      /** The roles the gateway last saw the user with (their newest session, else their newest token); null when it never saw them. */
      roles: z.array(RoleSchema).nullable(),
    }),
    instances: z.object({
      /** Live instances (QUEUED to RUNNING): the slots the limit counts. */
      live: z.number().int().min(0),
      /** null when the user's roles are not known (the limit depends on them); `max` null is no limit. */
      limit: UsageLimitSchema.nullable(),
      /** Memory and GPUs their live instances were given (each instance is held to the ceilings; there is no per-user total). */
      memoryLimitBytes: z.number().int().min(0),
      memoryReservationBytes: z.number().int().min(0),
      gpus: z.number().int().min(0),
    }),
    versions: z.object({
      /** App versions the user owns (imported, or given to them). */
      count: z.number().int().min(0),
      limit: UsageLimitSchema.nullable(),
    }),
  })
  .meta({ id: 'UserUsage' });
export type UserUsage = z.infer<typeof UserUsageSchema>;

export const MyUsageSchema = UserUsageSchema.extend({ ceilings: InstanceCeilingsSchema }).meta({ id: 'MyUsage' });

export const UsagePageSchema = z
  .object({ items: z.array(UserUsageSchema), nextCursor: z.string().nullable(), ceilings: InstanceCeilingsSchema })
  .meta({ id: 'UserUsagePage' });

export const UsageQuerySchema = PageRequestSchema.extend({
  /** Only users whose name or id contains this (case-insensitive). */
  q: z.string().trim().max(200).optional(),
}).strict();
