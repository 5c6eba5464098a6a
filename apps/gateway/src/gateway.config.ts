import { KNOWN_DEFAULT_SECRETS, loadPlatformConfig, loadSection, type PlatformConfig } from '@wharf/config';
import { RoleSchema } from '@wharf/contracts';
import { z } from 'zod';

const DEFAULT_ROLE_MAPPING = { admin: ['admin'], 'full-access': ['full-access'], visitor: ['visitor'] };

/** `[Gateway]` in wharf.toml; every key also as env `WHARF_GATEWAY_<KEY>`. */
export const GatewayConfigSchema = z.object({
  /** Public HTTP port: REST API `/api/v1`, OpenAPI `/api/docs`, and later the web UI. */
  Port: z.number().int().min(0).max(65535).default(8080),
  Host: z.string().default('127.0.0.1'),
  /**
   * Idle keep-alive connections from clients are closed after this: longer than a load balancer's
   * or ingress's idle timeout (often 60 s), so the proxy in front, not the gateway, closes first.
   */
  KeepAliveTimeoutSeconds: z.number().int().min(1).max(3600).default(65),
  /** The URL users reach the gateway at (links in answers, OpenAPI server). */
  PublicUrl: z.url().optional(),
  /**
   * Folder of the built web UI, served at `/` (index.html and its assets). Unset: the monorepo's
   * apps/web/dist (`pnpm --filter @wharf/web build`); the container image sets its own copy.
   */
  WebDir: z.string().min(1, 'a folder path').optional(),
  /** PostgreSQL URL; falls back to env DATABASE_URL. */
  DatabaseUrl: z.string().min(1, 'set Gateway.DatabaseUrl or env DATABASE_URL'),
  DatabaseSchema: z.string().regex(/^[a-z_][a-z0-9_]*$/).default('gateway'),
  /** The repository's internal HTTP port, for bundle streams. */
  RepositoryUrl: z.url().default('http://127.0.0.1:8082'),
  /** How long catalog answers are served from memory per caller (dropped at once on changes); 0 turns it off. */
  CatalogCacheMs: z.number().int().min(0).max(60_000).default(5000),
  /** The scheduler's internal HTTP port, for following instance logs. */
  SchedulerUrl: z.url().default('http://127.0.0.1:8083'),
  /**
   * The first admin token. Unset: the first start generates one and prints it once.
   * Set (e.g. from a Kubernetes Secret): that exact token is the bootstrap admin token.
   */
  BootstrapAdminToken: z
    .string()
    .regex(/^wharf_pat_[A-Za-z0-9]{20,}$/, 'must look like wharf_pat_ followed by at least 20 letters/digits')
    .optional(),
  /** Default lifetime of new personal access tokens, in days. */
  TokenDefaultTtlDays: z.number().int().min(1).max(3650).default(90),
  TokenMaxTtlDays: z.number().int().min(1).max(3650).default(365),

  // ---- Browser sign-in (OpenID Connect) ----
  /** The OpenID provider (e.g. https://keycloak.example.com/realms/wharf). Unset: browser and device login answer 503. */
  OidcIssuer: z.url().optional(),
  OidcClientId: z.string().min(1).default('wharf-gateway'),
  OidcClientSecret: z
    .string()
    .min(1)
    .refine((v) => !KNOWN_DEFAULT_SECRETS.includes(v), 'is a publicly known default; use the client secret of your OpenID provider (for the dev provider: openssl rand -hex 32, as DevIdp.ClientSecret too)')
    .optional(),
  /** Scopes asked for at login (`openid` is always added). */
  OidcScopes: z.array(z.string().regex(/^[\x21\x23-\x5B\x5D-\x7E]+$/, 'a scope token')).default(['openid', 'profile', 'email']),
  /** Dotted path of the ID-token claim holding the user's roles or groups: Keycloak `realm_access.roles`, or `groups`. */
  OidcRolesClaim: z.string().min(1).default('realm_access.roles'),
  /** Wharf role → the claim values that grant it, e.g. `{ admin = ["wharf-admins"], "full-access" = ["staff"] }`. */
  OidcRoleMapping: z.partialRecord(RoleSchema, z.array(z.string().min(1))).default(DEFAULT_ROLE_MAPPING),
  /** Role of a signed-in user whose claims map to no role; `none` refuses them sign-in. */
  DefaultRole: z.enum(['admin', 'full-access', 'visitor', 'none']).default('visitor'),
  /** Audience that OIDC access tokens (JWT) must carry to be accepted as bearer tokens; unset: only personal access tokens. */
  OidcAudience: z.string().min(1).optional(),
  /** Also end the provider's session on logout (RP-initiated logout), when the provider supports it. */
  OidcEndProviderSession: z.boolean().default(true),
  /** Lifetime of a browser session, in hours. Roles are read again at each login. */
  SessionTtlHours: z.number().min(0.01).max(24 * 30).default(12),

  // ---- Instances ----
  /** Instances live at `<id>.<AppsDomain>`; instance tickets are issued only for hosts under it. */
  AppsDomain: z
    .string()
    .regex(/^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*$/, 'a DNS domain such as apps.example.com')
    .default('apps.localhost'),
  /** Scheme of instance URLs; default: that of PublicUrl. */
  AppsScheme: z.enum(['http', 'https']).optional(),
  /**
   * The router's public port (instances at `<id>.<AppsDomain>:<AppsPort>`): tickets are made out
   * to that port only. Same value as Router.PublicPort (or Port) and Scheduler.RouterPort.
   */
  AppsPort: z.number().int().min(1).max(65535).default(8081),
  /** Lifetime of an instance ticket, in seconds. */
  TicketTtlSeconds: z.number().int().min(5).max(300).default(30),

  // ---- Share links (POST /api/v1/instances/{id}/shares) ----
  /** The longest a share link may stay valid, in hours (expiresIn / expiresAt beyond it are refused). */
  ShareMaxHours: z.number().min(0.1).max(24 * 365).default(24 * 7),
  /** Lifetime of a share link made without expiresIn or expiresAt, in hours (at most ShareMaxHours). */
  ShareDefaultHours: z.number().min(0.1).max(24 * 365).default(24),
  /** Owners may make links that anonymous guests (nobody signed in) can use; off: every share link needs a signed-in user. */
  AllowAnonymousShares: z.boolean().default(false),

  // ---- Live events (GET /api/v1/events) ----
  /** Seconds between the comment lines each event stream gets, so that proxies keep it open. */
  EventsHeartbeatSeconds: z.number().int().min(1).max(300).default(15),
  /** Seconds between checks of every open event stream's session or token: a stream whose sign-in ended closes. */
  EventsRevalidateSeconds: z.number().int().min(1).max(300).default(5),
  /** Event streams one user may hold open on one gateway replica (429 beyond). */
  EventsMaxStreamsPerUser: z.number().int().min(1).max(1000).default(20),

  // ---- CLI device login (RFC 8628) ----
  DeviceCodeTtlSeconds: z.number().int().min(60).max(3600).default(600),
  DevicePollIntervalSeconds: z.number().int().min(1).max(60).default(5),
  /** A device code is locked after this many failed attempts on that very code (entered after it expired or was used); wrong codes never touch other pending codes. */
  DeviceCodeMaxFailedAttempts: z.number().int().min(1).default(20),
  /** Wrong user codes one IP or one user may enter per 10 minutes. */
  DeviceCodeFailuresPerIp: z.number().int().min(1).default(10),

  // ---- Rate limits (per replica, token bucket: burst = the per-minute number) ----
  /** Login, callback and logout requests per minute, per IP. */
  LoginRatePerMinute: z.number().int().min(1).default(30),
  /** Token creations and device-login starts per minute, per IP and per user. */
  TokenRatePerMinute: z.number().int().min(1).default(20),
  /** Device-token polls per minute, per IP (on top of the RFC 8628 interval). */
  DevicePollRatePerMinute: z.number().int().min(1).default(60),
  /** Express `trust proxy`: true, a hop count, or false (default) — decides which IP is rate limited and audited. */
  TrustProxy: z.union([z.boolean(), z.number().int().min(0)]).default(false),
});
export type GatewayConfig = z.output<typeof GatewayConfigSchema>;

export interface GatewaySettings {
  platform: PlatformConfig;
  gateway: GatewayConfig;
}

export const GATEWAY_SETTINGS = Symbol('GATEWAY_SETTINGS');

/** The gateway's public origin: PublicUrl, else http://<Host>:<Port> (0.0.0.0 read as 127.0.0.1). */
export function publicUrlOf(gateway: GatewayConfig): string {
  if (gateway.PublicUrl) return gateway.PublicUrl.replace(/\/+$/, '');
  const host = gateway.Host === '0.0.0.0' || gateway.Host === '::' ? '127.0.0.1' : gateway.Host;
  return `http://${host.includes(':') ? `[${host}]` : host}:${gateway.Port}`;
}

export function loadGatewaySettings(env: NodeJS.ProcessEnv = process.env): GatewaySettings {
  const e = { ...env };
  if (env.DATABASE_URL && !env.WHARF_GATEWAY_DATABASE_URL) e.WHARF_GATEWAY_DATABASE_URL = env.DATABASE_URL;
  return { platform: loadPlatformConfig(e), gateway: loadSection('Gateway', GatewayConfigSchema, e) };
}
