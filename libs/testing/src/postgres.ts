import { randomBytes } from 'node:crypto';
import { Client } from 'pg';

/** The Postgres server tests use: `TEST_DATABASE_URL`, else the machine's local one. */
export const TEST_PG_ADMIN_URL = process.env.TEST_DATABASE_URL ?? 'postgresql://root@127.0.0.1:5432/postgres';

function withDatabase(url: string, db: string): string {
  const u = new URL(url);
  u.pathname = `/${db}`;
  return u.toString();
}

/**
 * A fresh, empty database per test file (so files run in parallel workers without
 * sharing rows); dropped by `drop()`.
 */
export async function createTestDatabase(prefix = 'wharf_test'): Promise<{ url: string; name: string; drop: () => Promise<void> }> {
  const name = `${prefix}_${process.pid}_${randomBytes(4).toString('hex')}`;
  const admin = new Client({ connectionString: TEST_PG_ADMIN_URL });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE "${name}"`);
  } finally {
    await admin.end();
  }
  return {
    name,
    url: withDatabase(TEST_PG_ADMIN_URL, name),
    drop: async () => {
      const c = new Client({ connectionString: TEST_PG_ADMIN_URL });
      await c.connect();
      try {
        await c.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
      } finally {
        await c.end();
      }
    },
  };
}

export const TEST_NATS_URL = process.env.NATS_URL ?? 'nats://127.0.0.1:4222';

/** A unique lower-case token for queue groups, subjects and names in one test run. */
export const uniqueId = (prefix = 't'): string => `${prefix}${randomBytes(5).toString('hex').replace(/[0-9]/g, (d) => 'ghijklmnop'[Number(d)]!)}`;

/**
 * Cuts every connection to the database of `url` but this one (`pg_terminate_backend`): what a
 * PostgreSQL restart does to the services' connection pools. Answers how many were cut.
 */
export async function cutConnections(url: string): Promise<number> {
  const pg = new Client({ connectionString: url });
  await pg.connect();
  try {
    const database = new URL(url).pathname.slice(1);
    const cut = await pg.query<{ n: string }>('SELECT count(pg_terminate_backend(pid)) AS n FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()', [database]);
    return Number(cut.rows[0]!.n);
  } finally {
    await pg.end();
  }
}
