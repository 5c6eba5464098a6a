import { loadSection, secretSchema } from '@wharf/config';
import { z } from 'zod';

const RoleName = z.string().min(1).max(100);

export const DevUserSchema = z
  .object({
    Username: z.string().min(1).max(100).regex(/^[A-Za-z0-9._@-]+$/, 'letters, digits, . _ @ - only'),
    Password: z.string().min(1),
    /** Values of the roles claim (`realm_access.roles` and `groups`), mapped to Wharf roles by the gateway. */
    Roles: z.array(RoleName).default([]),
    Name: z.string().optional(),
    Email: z.string().optional(),
  })
  .strict();
export type DevUser = z.output<typeof DevUserSchema>;

export const MachineClientSchema = z
  .object({
    ClientId: z.string().min(1),
    ClientSecret: z.string().min(16, 'must be at least 16 characters'),
    /** Roles claim values put in its access tokens (client credentials grant). */
    Roles: z.array(RoleName).default([]),
  })
  .strict();

/** The default users when `Users` is not configured; their passwords are generated (see PasswordsFile). */
export const DEFAULT_USER_PROFILES: readonly Omit<DevUser, 'Password'>[] = [
  { Username: 'admin', Roles: ['admin'], Name: 'Ada Admin' },
  { Username: 'alice', Roles: ['full-access'], Name: 'Alice Author' },
  { Username: 'bob', Roles: ['full-access'], Name: 'Bob Builder' },
  { Username: 'vic', Roles: ['visitor'], Name: 'Vic Visitor' },
];

/** `[DevIdp]` in wharf.toml; every key also as env `WHARF_DEV_IDP_<KEY>`. */
export const DevIdpConfigSchema = z.object({
  Port: z.number().int().min(0).max(65535).default(8090),
  Host: z.string().default('127.0.0.1'),
  /** The issuer URL; default `http://127.0.0.1:<Port>`. */
  Issuer: z.url().optional(),
  /** The gateway's client. */
  ClientId: z.string().min(1).default('wharf-gateway'),
  /** The gateway's client secret: required (`pnpm start` generates one). */
  ClientSecret: secretSchema('DevIdp', 'ClientSecret'),
  /** Where the gateway receives the code: `<gateway>/auth/callback`. */
  RedirectUris: z.array(z.url()).default(['http://127.0.0.1:8080/auth/callback', 'http://localhost:8080/auth/callback']),
  /** Where the provider may send the browser after RP-initiated logout. */
  PostLogoutRedirectUris: z
    .array(z.url())
    .default(['http://127.0.0.1:8080/auth/logged-out', 'http://localhost:8080/auth/logged-out']),
  /** Audience (resource indicator) of JWT access tokens; the gateway's `Gateway.OidcAudience`. */
  Audience: z.string().regex(/^[a-z][a-z0-9+.-]*:/, 'must be an absolute URI, e.g. urn:wharf:api').default('urn:wharf:api'),
  /** Users with their passwords; default: DEFAULT_USER_PROFILES with generated passwords. */
  Users: z.array(DevUserSchema).optional(),
  /**
   * JSON file (`{ "<username>": "<password>" }`, mode 0600) with the generated passwords of the
   * default users, created on first start; without it they get new passwords at every start.
   */
  PasswordsFile: z.string().optional(),
  /** Machine clients (client credentials grant) that get JWT access tokens for `Audience`. */
  MachineClients: z.array(MachineClientSchema).default([]),
  /** JSON file holding the signing key (created on first start) so tokens survive restarts; default: a new key per start. */
  KeysFile: z.string().optional(),
  AccessTokenTtlSeconds: z.number().int().min(10).default(3600),
});
export type DevIdpConfig = z.output<typeof DevIdpConfigSchema>;

export const loadDevIdpConfig = (env: NodeJS.ProcessEnv = process.env): DevIdpConfig => loadSection('DevIdp', DevIdpConfigSchema, env);
