import { z } from 'zod';

export const ROLES = ['admin', 'full-access', 'visitor'] as const;
export const RoleSchema = z.enum(ROLES);
export type Role = z.infer<typeof RoleSchema>;

export const VISIBILITIES = ['PRIVATE', 'ALL_USERS', 'PUBLIC'] as const;
export const VisibilitySchema = z.enum(VISIBILITIES);
export type Visibility = z.infer<typeof VisibilitySchema>;

export const INSTANCE_STATUSES = [
  'QUEUED',
  'PROVISIONING',
  'INSTALLING',
  'STARTING',
  'RUNNING',
  'FAILED',
  'SUSPENDED',
  'TERMINATED',
] as const;
export const InstanceStatusSchema = z.enum(INSTANCE_STATUSES);
export type InstanceStatus = z.infer<typeof InstanceStatusSchema>;

export const RUNTIME_STATES = ['ACTIVE', 'DEPRECATED', 'DISABLED'] as const;
export const RuntimeStateSchema = z.enum(RUNTIME_STATES);
export type RuntimeState = z.infer<typeof RuntimeStateSchema>;

/** The catalog's recognised categories; `app.toml` may use only these. */
export const CATEGORIES = [
  'All',
  'Data Science',
  'Financial Services',
  'Healthcare',
  'Insurance',
  'Manufacturing',
  'Marketing',
  'Retail',
  'Sales',
  'Telecommunications',
  'Other',
] as const;
export const CategorySchema = z.enum(CATEGORIES);
export type Category = z.infer<typeof CategorySchema>;

/** App names: DNS-friendly, lower case. */
export const APP_NAME_PATTERN = /^[a-z0-9][a-z0-9.-]*$/;
export const AppNameSchema = z
  .string()
  .max(63)
  .regex(APP_NAME_PATTERN, 'must match [a-z0-9][a-z0-9.-]* (lower-case letters, digits, dots, dashes)');
