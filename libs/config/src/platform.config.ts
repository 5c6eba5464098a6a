import { z } from 'zod';
import { ConfigError, envKey, loadSection } from './load-config';

/**
 * Secrets that were once shipped as defaults (in this code or its docs): a service configured with
 * one of them stops at boot, since anyone who read the code knows it.
 */
export const KNOWN_DEFAULT_SECRETS: readonly string[] = [
  'wharf-dev-internal-secret-change-me',
  'wharf-dev-client-secret-change-me',
  'change-me-to-a-long-random-secret',
];

/**
 * A secret key that has no default: required, at least 16 characters, never a known default.
 * `what` names the key for the message (e.g. `Platform.InternalSecret`).
 */
export function secretSchema(section: string, key: string) {
  const how = `generate one with \`openssl rand -hex 32\` and set ${section}.${key} in wharf.toml or env ${envKey(section, key)}`;
  return z
    .string({ error: (i) => (i.input === undefined ? `required (there is no default); ${how}` : 'must be a string') })
    .min(16, `must be at least 16 characters; ${how}`)
    .refine((v) => !KNOWN_DEFAULT_SECRETS.includes(v), `is a publicly known default; ${how}`);
}

/** Keys every service shares: `[Platform]` in wharf.toml. */
export const PlatformConfigSchema = z.object({
  /** NATS servers (comma separated). Falls back to env `NATS_URL`. */
  NatsUrl: z.string().min(1).default('nats://127.0.0.1:4222'),
  /**
   * This service's NATS user and password, when NATS requires authentication (it should: see
   * the docs). `pnpm start` generates one per service. Both or neither.
   */
  NatsUser: z.string().min(1).optional(),
  NatsPassword: z.string().min(1).optional(),
  /**
   * PUBLIC app versions and instances (anonymous access) on the whole platform: one key instead of
   * setting `Repository.AllowPublic`, `Scheduler.AllowPublicInstances` and `Router.AllowPublic` alike
   * (each of those can still turn it on for its own service alone). Default off.
   */
  AllowPublic: z.boolean().optional(),
  /** Timeout of every NATS request, in milliseconds. */
  RequestTimeoutMs: z.number().int().min(100).max(120_000).default(5000),
  /**
   * Shared secret of the platform's services: signs the caller assertions of NATS requests and of
   * the internal HTTP ports. Required (no default); `pnpm start` generates one in the data dir.
   */
  InternalSecret: secretSchema('Platform', 'InternalSecret'),
  /**
   * Who may read each service's `/metrics` (Prometheus text format): callers sending
   * `Authorization: Bearer <MetricsToken>`. Empty (the default): callers on the same machine only
   * (loopback), so an ingress never publishes them.
   */
  MetricsToken: z.string().max(256).optional(),
  /** Where local state lives (blobs, embedded Postgres, instance dirs). Falls back to env `WHARF_DATA_DIR`. */
  DataDir: z.string().default('.wharf'),
  /**
   * Graceful shutdown (SIGTERM, SIGINT): seconds a stopping service keeps serving while its
   * /readyz already answers 503, so load balancers and Kubernetes endpoints stop sending to it
   * before it closes its listeners. 0 outside a cluster; the Helm chart sets 5.
   */
  ShutdownDelaySeconds: z.number().int().min(0).max(300).default(0),
  /**
   * Graceful shutdown: seconds in-flight work (HTTP requests, NATS requests, proxied connections
   * and websockets at the router) gets to finish once the listeners are closed; what is left is
   * then closed. Keep delay + grace + 5 under the pod's terminationGracePeriodSeconds.
   */
  ShutdownGraceSeconds: z.number().int().min(0).max(3600).default(10),
  /** Log level: error, warn, log, debug, verbose. */
  LogLevel: z.enum(['error', 'warn', 'log', 'debug', 'verbose']).default('log'),
  /**
   * Log lines: `json` (one JSON object per line, for a log collector), `pretty` (for a person at
   * a terminal) or `auto` (the default, when unset: pretty when standard output is a terminal, else JSON).
   */
  LogFormat: z.enum(['auto', 'json', 'pretty']).optional(),
});
export type PlatformConfig = z.output<typeof PlatformConfigSchema>;

function withFallbacks(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const out = { ...env };
  if (env.NATS_URL && !env.WHARF_PLATFORM_NATS_URL) out.WHARF_PLATFORM_NATS_URL = env.NATS_URL;
  if (env.WHARF_DATA_DIR && !env.WHARF_PLATFORM_DATA_DIR) out.WHARF_PLATFORM_DATA_DIR = env.WHARF_DATA_DIR;
  return out;
}

function checkNatsUser<T extends { NatsUser?: string | undefined; NatsPassword?: string | undefined }>(c: T): T {
  if (!!c.NatsUser !== !!c.NatsPassword) {
    throw new ConfigError([
      `Platform.NatsUser (env WHARF_PLATFORM_NATS_USER) and Platform.NatsPassword (env WHARF_PLATFORM_NATS_PASSWORD) go together: set both or neither`,
    ]);
  }
  return c;
}

export function loadPlatformConfig(env: NodeJS.ProcessEnv = process.env): PlatformConfig {
  return checkNatsUser(loadSection('Platform', PlatformConfigSchema, withFallbacks(env)));
}

/**
 * `[Platform]` for programs that do not use the internal secret (the embedded launcher, which
 * generates one for the services, and the dev OpenID provider): InternalSecret may be missing.
 */
export function loadPlatformConfigWithoutSecret(env: NodeJS.ProcessEnv = process.env) {
  const schema = PlatformConfigSchema.extend({ InternalSecret: PlatformConfigSchema.shape.InternalSecret.optional() });
  return checkNatsUser(loadSection('Platform', schema, withFallbacks(env)));
}

/** Byte sizes: `200MB`, `512KiB`, `1GiB` or a number of bytes. */
export const ByteSizeSchema = z.union([
  z.number().int().min(0),
  z
    .string()
    .regex(/^\s*[0-9]+(\.[0-9]+)?\s*(B|KB|MB|GB|KiB|MiB|GiB)?\s*$/i, 'must be a size such as 200MB or 512KiB')
    .transform(parseByteSize),
]);

export function parseByteSize(s: string): number {
  const m = /^\s*([0-9]+(?:\.[0-9]+)?)\s*(B|KB|MB|GB|KiB|MiB|GiB)?\s*$/i.exec(s);
  if (!m) throw new Error(`not a size: ${s}`);
  const unit = (m[2] ?? 'B').toLowerCase();
  const mult: Record<string, number> = {
    b: 1,
    kb: 1e3,
    mb: 1e6,
    gb: 1e9,
    kib: 1024,
    mib: 1024 ** 2,
    gib: 1024 ** 3,
  };
  return Math.round(Number(m[1]) * mult[unit]!);
}
