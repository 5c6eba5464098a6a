import { z } from 'zod';
import { defineRequest } from './define';

export const SchedulerContracts = {
  /** How many live (not TERMINATED) instances an app version has; the repository's delete check. */
  countInstances: defineRequest(
    'scheduler.instance.count.v1',
    z.object({ appVersionId: z.string().min(1) }),
    z.object({ count: z.number().int().min(0) }),
  ),
} as const;
