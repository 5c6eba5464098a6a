import { z } from 'zod';
import { loadSection } from './load-config';

/** Keys every service shares: `[Platform]` in wharf.toml. */
export const PlatformConfigSchema = z.object({
  /** NATS servers (comma separated). Falls back to env `NATS_URL`. */
  NatsUrl: z.string().min(1).default('nats://127.0.0.1:4222'),
  /** Timeout of every NATS request, in milliseconds. */
  RequestTimeoutMs: z.number().int().min(100).max(120_000).default(5000),
  /** Shared secret that signs caller assertions on the services' internal HTTP ports. */
  InternalSecret: z.string().min(16, 'must be at least 16 characters').default('wharf-dev-internal-secret-change-me'),
  /** Where local state lives (blobs, embedded Postgres, instance dirs). Falls back to env `WHARF_DATA_DIR`. */
  DataDir: z.string().default('.wharf'),
  /** Log level: error, warn, log, debug, verbose. */
  LogLevel: z.enum(['error', 'warn', 'log', 'debug', 'verbose']).default('log'),
});
export type PlatformConfig = z.output<typeof PlatformConfigSchema>;

export function loadPlatformConfig(env: NodeJS.ProcessEnv = process.env): PlatformConfig {
  const withFallbacks = { ...env };
  if (env.NATS_URL && !env.WHARF_PLATFORM_NATS_URL) withFallbacks.WHARF_PLATFORM_NATS_URL = env.NATS_URL;
  if (env.WHARF_DATA_DIR && !env.WHARF_PLATFORM_DATA_DIR) withFallbacks.WHARF_PLATFORM_DATA_DIR = env.WHARF_DATA_DIR;
  return loadSection('Platform', PlatformConfigSchema, withFallbacks);
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
