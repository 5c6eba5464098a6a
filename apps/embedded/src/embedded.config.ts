import { loadSection } from '@wharf/config';
import { z } from 'zod';

/** `[Embedded]`: how `pnpm start` runs everything on one machine. */
export const EmbeddedConfigSchema = z.object({
  /** Port of the nats-server started when NATS_URL is not set. */
  NatsPort: z.number().int().min(1).max(65535).default(4223),
  /** Port of the embedded PostgreSQL started when DATABASE_URL is not set. */
  PostgresPort: z.number().int().min(1).max(65535).default(5433),
  /** Seconds to wait for every service to be ready. */
  ReadyTimeoutSeconds: z.number().int().min(5).default(60),
});
export type EmbeddedConfig = z.output<typeof EmbeddedConfigSchema>;
export const loadEmbeddedConfig = (env = process.env) => loadSection('Embedded', EmbeddedConfigSchema, env);
