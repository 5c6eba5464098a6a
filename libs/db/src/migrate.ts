import { createHash, randomUUID } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { Client } from 'pg';

export interface MigrateOptions {
  url: string;
  /** Postgres schema that holds this service's tables (each service owns one). */
  schema: string;
  /** Folder of `<timestamp>_<name>/migration.sql`, as Prisma writes them. */
  dir: string;
  log?: (line: string) => void;
}

const SCHEMA_NAME = /^[a-z_][a-z0-9_]*$/;

/**
 * Applies committed Prisma migrations with plain `pg` (Prisma's schema engine cannot be
 * downloaded here). Compatible with `prisma migrate deploy`: same `_prisma_migrations`
 * table and checksums. Serialized across replicas by an advisory lock; each migration
 * runs in its own transaction, so a failure leaves the schema as it was before it.
 */
export async function migrate({ url, schema, dir, log = () => {} }: MigrateOptions): Promise<string[]> {
  if (!SCHEMA_NAME.test(schema)) throw new Error(`invalid schema name ${schema}`);
  if (!existsSync(dir)) throw new Error(`migrations folder ${dir} does not exist`);
  const c = new Client({ connectionString: url });
  await c.connect();
  const applied: string[] = [];
  try {
    await c.query('SELECT pg_advisory_lock(72707369)');
    await c.query(`CREATE SCHEMA IF NOT EXISTS "${schema}"`);
    await c.query(`SET search_path TO "${schema}"`);
    await c.query(`CREATE TABLE IF NOT EXISTS "_prisma_migrations" ("id" VARCHAR(36) PRIMARY KEY NOT NULL,
      "checksum" VARCHAR(64) NOT NULL, "finished_at" TIMESTAMPTZ, "migration_name" VARCHAR(255) NOT NULL, "logs" TEXT,
      "rolled_back_at" TIMESTAMPTZ, "started_at" TIMESTAMPTZ NOT NULL DEFAULT now(), "applied_steps_count" INTEGER NOT NULL DEFAULT 0)`);
    const { rows } = await c.query<{ migration_name: string }>(
      `SELECT migration_name FROM "_prisma_migrations" WHERE finished_at IS NOT NULL AND rolled_back_at IS NULL`,
    );
    const done = new Set(rows.map((r) => r.migration_name));
    const names = readdirSync(dir)
      .filter((n) => existsSync(path.join(dir, n, 'migration.sql')))
      .sort();
    for (const name of names) {
      if (done.has(name)) continue;
      const sql = readFileSync(path.join(dir, name, 'migration.sql'), 'utf8');
      await c.query('BEGIN');
      try {
        await c.query(sql);
        await c.query(
          `INSERT INTO "_prisma_migrations" (id, checksum, migration_name, finished_at, applied_steps_count)
           VALUES ($1, $2, $3, now(), 1)`,
          [randomUUID(), createHash('sha256').update(sql).digest('hex'), name],
        );
        await c.query('COMMIT');
        applied.push(name);
        log(`applied migration ${schema}/${name}`);
      } catch (e) {
        await c.query('ROLLBACK');
        throw new Error(`migration ${schema}/${name} failed: ${(e as Error).message}`);
      }
    }
  } finally {
    await c.query('SELECT pg_advisory_unlock(72707369)').catch(() => {});
    await c.end();
  }
  return applied;
}

/** Connection options that make unqualified table names resolve in the service's schema. */
export function schemaConnection(url: string, schema: string): { connectionString: string; options: string } {
  if (!SCHEMA_NAME.test(schema)) throw new Error(`invalid schema name ${schema}`);
  return { connectionString: url, options: `-c search_path="${schema}"` };
}

/** Checks the database answers: used by `/readyz`. */
export async function pingDatabase(url: string, timeoutMs = 2000): Promise<void> {
  const c = new Client({ connectionString: url, connectionTimeoutMillis: timeoutMs });
  try {
    await c.connect();
    await c.query('SELECT 1');
  } finally {
    await c.end().catch(() => {});
  }
}
