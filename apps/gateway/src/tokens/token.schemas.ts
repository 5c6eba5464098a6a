import { RoleSchema } from '@wharf/contracts';
import { z } from 'zod';

export const TOKEN_PREFIX = 'wharf_pat_';

/**
 * Users that exist only as admin-minted tokens (service accounts, automation) have the subject
 * `svc:<user>`. An OIDC subject never starts with it (the gateway refuses such logins), so a
 * token an admin mints for "alice" is not alice: it opens none of her PRIVATE apps or instances.
 */
export const SERVICE_SUBJECT_PREFIX = 'svc:';
export const serviceSubject = (user: string): string => `${SERVICE_SUBJECT_PREFIX}${user}`;
export const isServiceSubject = (sub: string): boolean => sub.startsWith(SERVICE_SUBJECT_PREFIX);

export const CreateTokenSchema = z
  .object({
    name: z.string().trim().min(1).max(100).default('token'),
    /** Lifetime in days; default Gateway.TokenDefaultTtlDays. */
    expiresInDays: z.number().int().min(1).optional(),
    /** A read-only token may only read (GET/HEAD). */
    readOnly: z.boolean().default(false),
    /**
     * Admins only: mint the token for a service user (automation, tests). Its subject is
     * `svc:<user>`, a user of its own that can never be an OIDC user.
     */
    user: z.string().trim().min(1).max(100).regex(/^[A-Za-z0-9._@-]+$/, 'letters, digits, . _ @ - only').optional(),
    /** Admins only, with `user`: that user's roles. Default ["full-access"]. */
    roles: z.array(RoleSchema).min(1).optional(),
  })
  .strict()
  .meta({ id: 'TokenCreate' });
export type CreateToken = z.output<typeof CreateTokenSchema>;

export const TokenInfoSchema = z.object({
  id: z.string(),
  name: z.string(),
  hint: z.string(),
  user: z.object({ sub: z.string(), name: z.string() }),
  roles: z.array(RoleSchema),
  readOnly: z.boolean(),
  expiresAt: z.string().nullable(),
  createdAt: z.string(),
  createdBy: z.string(),
  lastUsedAt: z.string().nullable(),
  revokedAt: z.string().nullable(),
}).meta({ id: 'TokenInfo' });
export type TokenInfo = z.infer<typeof TokenInfoSchema>;

export const CreatedTokenSchema = TokenInfoSchema.extend({
  /** The secret, shown this once. */
  token: z.string(),
}).meta({ id: 'CreatedToken' });

export const MeSchema = z.object({
  sub: z.string(),
  name: z.string(),
  roles: z.array(RoleSchema),
  /** How the caller signed in: a personal access token, a browser session (OIDC), or an OIDC access token. */
  auth: z.object({
    kind: z.enum(['token', 'session', 'oidc']),
    tokenId: z.string().optional(),
    clientId: z.string().nullable().optional(),
    readOnly: z.boolean(),
    expiresAt: z.string().nullable(),
  }),
}).meta({ id: 'Me' });
