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
  /**
   * A service that dies after start-up is started again after this delay, doubled at each further
   * exit in a row up to RestartMaxDelaySeconds, and back to it once the service stayed up for
   * RestartStableSeconds.
   */
  RestartDelaySeconds: z.number().min(0.05).max(60).default(1),
  RestartMaxDelaySeconds: z.number().min(0.05).max(3600).default(30),
  RestartStableSeconds: z.number().min(1).max(86_400).default(60),
  /** This many exits of one service within CrashLoopWindowSeconds are reported as a crash loop at each restart. */
  CrashLoopExits: z.number().int().min(2).max(1000).default(5),
  CrashLoopWindowSeconds: z.number().min(1).max(86_400).default(300),
});
export type EmbeddedConfig = z.output<typeof EmbeddedConfigSchema>;
export const loadEmbeddedConfig = (env = process.env) => loadSection('Embedded', EmbeddedConfigSchema, env);
