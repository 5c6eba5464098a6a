import { loadPlatformConfig, loadSection, type PlatformConfig } from '@wharf/config';
import { z } from 'zod';

/** `[Gateway]` in wharf.toml; every key also as env `WHARF_GATEWAY_<KEY>`. */
export const GatewayConfigSchema = z.object({
  /** Public HTTP port: REST API `/api/v1`, OpenAPI `/api/docs`, and later the web UI. */
  Port: z.number().int().min(0).max(65535).default(8080),
  Host: z.string().default('127.0.0.1'),
  /** The URL users reach the gateway at (links in answers, OpenAPI server). */
  PublicUrl: z.url().optional(),
  /** PostgreSQL URL; falls back to env DATABASE_URL. */
  DatabaseUrl: z.string().min(1, 'set Gateway.DatabaseUrl or env DATABASE_URL'),
  DatabaseSchema: z.string().regex(/^[a-z_][a-z0-9_]*$/).default('gateway'),
  /** The repository's internal HTTP port, for bundle streams. */
  RepositoryUrl: z.url().default('http://127.0.0.1:8082'),
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
});
export type GatewayConfig = z.output<typeof GatewayConfigSchema>;

export interface GatewaySettings {
  platform: PlatformConfig;
  gateway: GatewayConfig;
}

export const GATEWAY_SETTINGS = Symbol('GATEWAY_SETTINGS');

export function loadGatewaySettings(env: NodeJS.ProcessEnv = process.env): GatewaySettings {
  const e = { ...env };
  if (env.DATABASE_URL && !env.WHARF_GATEWAY_DATABASE_URL) e.WHARF_GATEWAY_DATABASE_URL = env.DATABASE_URL;
  return { platform: loadPlatformConfig(e), gateway: loadSection('Gateway', GatewayConfigSchema, e) };
}
