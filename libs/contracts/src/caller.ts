import { z } from 'zod';
import { RoleSchema, type Role } from './enums';

/** Who is asking. Every NATS request carries it; `null` is an anonymous caller. */
export const CallerSchema = z.object({
  sub: z.string().min(1),
  name: z.string().min(1),
  roles: z.array(RoleSchema),
});
export type Caller = z.infer<typeof CallerSchema>;

export const isAdmin = (c: Caller | null | undefined): boolean => !!c && c.roles.includes('admin');
/** Full access: admins and `full-access` users. Everyone else signed in is a visitor. */
export const isFullAccess = (c: Caller | null | undefined): boolean =>
  !!c && (c.roles.includes('admin') || c.roles.includes('full-access'));
/** Roles that tags can grant visitors. */
export const visitorRoles = (c: Caller): Role[] => c.roles.filter((r) => r !== 'admin' && r !== 'full-access');
