import { PageRequestSchema } from '@wharf/contracts';
import { z } from 'zod';

export const OUTCOMES = ['success', 'denied', 'failure'] as const;
export type Outcome = (typeof OUTCOMES)[number];

export const AuditEventSchema = z.object({
  id: z.string(),
  at: z.string(),
  actor: z.object({ sub: z.string().nullable(), name: z.string().nullable(), kind: z.string() }),
  action: z.string(),
  target: z.string().nullable(),
  outcome: z.enum(OUTCOMES),
  status: z.number().nullable(),
  requestId: z.string().nullable(),
  ip: z.string().nullable(),
  details: z.unknown().nullable(),
}).meta({ id: 'AuditEvent' });
export type AuditEventInfo = z.infer<typeof AuditEventSchema>;

export const AuditQuerySchema = PageRequestSchema.extend({
  /** The actor's sub or name. */
  actor: z.string().max(200).optional(),
  /** An action (`app.delete`) or a prefix ending in `*` (`app.*`). */
  action: z.string().max(100).optional(),
  target: z.string().max(300).optional(),
  outcome: z.enum(OUTCOMES).optional(),
  /** ISO 8601 times, inclusive / exclusive. */
  since: z.iso.datetime({ offset: true }).optional(),
  until: z.iso.datetime({ offset: true }).optional(),
}).strict();
export type AuditQuery = z.output<typeof AuditQuerySchema>;
