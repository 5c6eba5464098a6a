import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { processAlive, procStat } from '@wharf/host';
import { freePort, workerProcessPortRange } from './nats-server';
import { createTestDatabase } from './postgres';

export interface RunningSystem {
  gateway: string;
  /** The router's port: instances are at http://<id>.apps.localhost:<routerPort>. */
  routerPort: number;
  /** Every service's HTTP port on 127.0.0.1 (its /healthz, /readyz, /metrics). */
  ports: { gateway: number; repository: number; scheduler: number; router: number };
  /** The dev OpenID provider's issuer (users admin, alice, bob, vic: see devUsers). */
  idp: string;
  /** The dev users' generated passwords by username (admin, alice, bob, vic), as printed on the first start. */
  devUsers: Record<string, string>;
  /** pid of each service process started by the embedded launcher, by name (gateway, repository, …). */
  pids(): Record<string, number>;
  adminToken: string;
  /** Where the platform's PostgreSQL is, credentials included (the embedded one, or a throw-away database on the test server). */
  databaseUrl: string;
  dataDir: string;
  output: string[];
  proc: ChildProcess;
  /**
   * Secrets a spec made or saw (cookies, user secrets' values, tickets…) that must never appear in
   * the platform's output. stop() scans for them, for the platform's own secrets and for anything
   * shaped like a token, and fails when one is there (see leakedSecrets).
   */
  remember(...secrets: string[]): void;
  /** Output lines that hold a secret (each secret masked), none when all is well. */
  leaks(): string[];
  /** Ctrl-C, then the exit code; throws if the output held a secret. */
  stop(): Promise<number | null>;
}

/** Shapes of Wharf's tokens, found in any output line whoever made them: access tokens, device codes, share links, JWTs. */
const TOKEN_SHAPES = [/wharf_pat_[A-Za-z0-9]{20,}/g, /wharf_dc_[A-Za-z0-9_-]{20,}/g, /wsh_[A-Za-z0-9_-]{20,}/g, /eyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}/g];
/** `pnpm start`'s banner shows the first admin token and the dev users' passwords on purpose: not a log line. */
const BANNER = /^(Admin token: |Dev users \(generated passwords)/;

/**
 * Lines of `output` holding one of `secrets` or a token-shaped string, each secret masked (so the
 * report leaks nothing either). Banner lines are skipped.
 */
export function leakedSecrets(output: readonly string[], secrets: Iterable<string>): string[] {
  const exact = [...new Set(secrets)].filter((v) => v.length >= 8);
  const out: string[] = [];
  for (const line of output) {
    if (BANNER.test(line)) continue;
    let masked = line;
    let found = false;
    for (const v of exact) {
      if (masked.includes(v)) {
        found = true;
        masked = masked.split(v).join('[SECRET]');
      }
    }
    for (const shape of TOKEN_SHAPES) {
      masked = masked.replace(shape, () => {
        found = true;
        return '[TOKEN]';
      });
    }
    if (found) out.push(masked);
  }
  return out;
}

/** The platform's own secrets in its data dir (pnpm start generates them there): internal secret, client secret, passwords. */
function dataDirSecrets(dataDir: string): string[] {
  const out: string[] = [];
  const read = (name: string) => {
    try {
      return readFileSync(path.join(dataDir, name), 'utf8').trim();
    } catch {
      return '';
    }
  };
  for (const name of ['internal-secret', 'dev-idp-client-secret', 'postgres-password']) out.push(read(name));
  for (const name of ['nats-passwords.json', 'dev-idp/passwords.json']) {
    try {
      out.push(...Object.values(JSON.parse(read(name) || '{}') as Record<string, string>));
    } catch {
      /* not there */
    }
  }
  return out.filter(Boolean);
}

const ROOT = path.resolve(__dirname, '../../..');

/**
 * Starts Wharf exactly as `pnpm start` does (the built apps/embedded/dist/main.js), on free
 * ports and a temporary data dir, and waits for its banner. `env` adds or overrides variables.
 */
export interface StartOptions {
  timeoutMs?: number;
  /**
   * Start PostgreSQL as `pnpm start` does (initdb in the data dir, about 5 s), instead of a
   * throw-away database on the machine's test server (the default: the services cannot tell the
   * difference, and every spec file saves those seconds). The README tour and the resilience suite
   * use the embedded one.
   */
  embeddedPostgres?: boolean;
}

export async function startWharf(env: NodeJS.ProcessEnv = {}, opts: StartOptions = {}): Promise<RunningSystem> {
  const timeoutMs = opts.timeoutMs ?? 120_000;
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'wharf-e2e-'));
  const [gw, repo, sched, natsPort, pgPort, idpPort, router] = await Promise.all([
    freePort(),
    freePort(),
    freePort(),
    freePort(),
    freePort(),
    freePort(),
    freePort(),
  ]);
  const launcherPorts = workerProcessPortRange();
  const childEnv: NodeJS.ProcessEnv = {
    ...process.env,
    WHARF_DATA_DIR: dataDir,
    WHARF_GATEWAY_PORT: String(gw),
    WHARF_DEV_IDP_PORT: String(idpPort),
    WHARF_REPOSITORY_PORT: String(repo),
    WHARF_SCHEDULER_PORT: String(sched),
    WHARF_ROUTER_PORT: String(router),
    WHARF_GATEWAY_REPOSITORY_URL: `http://127.0.0.1:${repo}`,
    WHARF_GATEWAY_SCHEDULER_URL: `http://127.0.0.1:${sched}`,
    WHARF_EMBEDDED_NATS_PORT: String(natsPort),
    WHARF_EMBEDDED_POSTGRES_PORT: String(pgPort),
    // launcher ports of its own: another worker's system on this host claims from another slice
    ...(launcherPorts ? { WHARF_SCHEDULER_PROCESS_PORT_RANGE: launcherPorts } : {}),
    // every request's log line, so that stop() can look for secrets in all of them
    WHARF_PLATFORM_LOG_LEVEL: 'log',
    ...env,
  };
  for (const k of ['NATS_URL', 'DATABASE_URL', 'WHARF_CONFIG']) if (!(k in env)) delete childEnv[k];
  // The embedded PostgreSQL runs as the `postgres` user when we are root; in a checkout that user
  // cannot enter (e.g. under a 0700 temp dir) use a throw-away database on the test server instead.
  let testDb: Awaited<ReturnType<typeof createTestDatabase>> | undefined;
  if (!('DATABASE_URL' in env) && (!opts.embeddedPostgres || !embeddedPostgresUsable())) {
    testDb = await createTestDatabase('wharf_e2e');
    childEnv.DATABASE_URL = testDb.url;
  }
  const proc = spawn(process.execPath, [path.join(ROOT, 'apps/embedded/dist/main.js')], { env: childEnv, stdio: ['ignore', 'pipe', 'pipe'] });
  const output: string[] = [];
  let gateway = '';
  let adminToken = '';
  const ready = new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`Wharf did not start within ${timeoutMs} ms:\n${output.join('\n')}`)), timeoutMs);
    for (const s of [proc.stdout!, proc.stderr!]) {
      createInterface({ input: s }).on('line', (line) => {
        output.push(line);
        const g = /^Gateway: (\S+)/.exec(line);
        if (g) gateway = g[1]!;
        const t = /^Admin token: (\S+)/.exec(line);
        if (t) adminToken = t[1]!;
        if (/^Ready\./.test(line)) {
          clearTimeout(timer);
          resolve();
        }
      });
    }
    proc.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`Wharf exited with ${code} before it was ready:\n${output.join('\n')}`));
    });
  });
  try {
    await ready;
  } catch (e) {
    if (proc.exitCode === null) proc.kill('SIGKILL');
    rmSync(dataDir, { recursive: true, force: true });
    await testDb?.drop();
    throw e;
  }
  const secrets = new Set<string>([adminToken, ...dataDirSecrets(dataDir)]);
  const devUsers = devUsersOf(output);
  for (const pw of Object.values(devUsers)) secrets.add(pw);
  const leaks = () => leakedSecrets(output, secrets);
  return {
    gateway,
    routerPort: Number(childEnv.WHARF_ROUTER_PORT),
    ports: { gateway: gw, repository: repo, scheduler: sched, router },
    idp: `http://127.0.0.1:${idpPort}`,
    devUsers,
    pids: () => servicePids(proc.pid!),
    adminToken,
    // the embedded PostgreSQL: user wharf, with the password it generated into the data dir
    databaseUrl: childEnv.DATABASE_URL ?? `postgresql://wharf:${encodeURIComponent(readFileSync(path.join(dataDir, 'postgres-password'), 'utf8').trim())}@127.0.0.1:${pgPort}/wharf`,
    dataDir,
    output,
    proc,
    remember: (...values) => {
      for (const v of values) secrets.add(v);
    },
    leaks,
    stop: async () => {
      let code = proc.exitCode;
      if (code === null) {
        const exited = new Promise<number | null>((r) => proc.once('exit', (c) => r(c)));
        proc.kill('SIGINT');
        code = await exited;
        rmSync(dataDir, { recursive: true, force: true });
        await testDb?.drop();
      }
      const found = leaks();
      if (found.length > 0) throw new Error(`secrets in the platform's output (masked here):\n${found.slice(0, 20).join('\n')}`);
      return code;
    },
  };
}

/** The dev users and their passwords from the banner's `Dev users (generated passwords…): admin/pw (admin), …` line. */
function devUsersOf(output: string[]): Record<string, string> {
  const line = output.find((l) => l.startsWith('Dev users (generated passwords'));
  const out: Record<string, string> = {};
  if (!line) return out;
  for (const m of line.slice(line.indexOf('): ') + 3).matchAll(/([A-Za-z0-9._@-]+)\/(\S+?)(?: \([^)]*\))?(?:, |$)/g)) out[m[1]!] = m[2]!;
  return out;
}

/** `/proc/<pid>/stat` (state, ppid, pgrp, CPU ticks, start time), or null when the process is gone: the platform's own parser. */
export { procStat, type ProcStat } from '@wharf/host';

/** Children of `parent` running `apps/<name>/dist/main.js`, by name (Linux /proc). */
export function servicePids(parent: number): Record<string, number> {
  const out: Record<string, number> = {};
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      if (procStat(d)?.ppid !== parent) continue;
      const m = /apps\/([a-z-]+)\/dist\/main\.js/.exec(readFileSync(`/proc/${d}/cmdline`, 'utf8'));
      if (m) out[m[1]!] = Number(d);
    } catch {
      // the process went away
    }
  }
  return out;
}

/**
 * Pids of live launchers serving instances under `dataDir` (Linux /proc): cold-started ones carry
 * WHARF_STATE_DIR in their environment; standby launchers got theirs after exec (invisible in
 * /proc), so they count once their working folder is inside `<dataDir>/instances/`. Idle standbys
 * (not serving an instance) are not counted: see {@link standbyPids}.
 */
export function launcherPids(dataDir: string): number[] {
  const instances = `${path.join(dataDir, 'instances')}/`;
  return procScan((pid, environ) => {
    if (environ.includes(`WHARF_STATE_DIR=${dataDir}`)) return true;
    if (!environ.includes(`WHARF_STANDBY_DIR=${path.join(dataDir, 'standby')}`)) return false;
    try {
      return readlinkSync(`/proc/${pid}/cwd`).startsWith(instances);
    } catch {
      return false;
    }
  });
}

/** Pids of idle standby launchers of the process driver under `dataDir` (not yet given an instance). */
export function standbyPids(dataDir: string): number[] {
  const standby = path.join(dataDir, 'standby');
  return procScan((pid, environ) => {
    if (!environ.includes(`WHARF_STANDBY_DIR=${standby}`)) return false;
    try {
      return readlinkSync(`/proc/${pid}/cwd`) === standby;
    } catch {
      return false;
    }
  });
}

/** Live (non-zombie) children of `pid` (Linux /proc). */
export function childPids(pid: number): number[] {
  const out: number[] = [];
  for (const e of readdirSync('/proc')) {
    if (!/^[0-9]+$/.test(e)) continue;
    try {
      const st = procStat(e);
      if (st && st.state !== 'Z' && st.ppid === pid) out.push(Number(e));
    } catch {
      /* gone */
    }
  }
  return out;
}

/** Live (non-zombie) processes for which `match(pid, environ)` holds. */
function procScan(match: (pid: string, environ: string) => boolean): number[] {
  const out: number[] = [];
  for (const e of readdirSync('/proc')) {
    if (!/^[0-9]+$/.test(e)) continue;
    try {
      if (!match(e, readFileSync(`/proc/${e}/environ`, 'utf8'))) continue;
      const st = procStat(e);
      if (!st || st.state === 'Z') continue;
      out.push(Number(e));
    } catch {
      /* gone or not ours */
    }
  }
  return out;
}

/** Resident set size of a process in bytes (Linux /proc), 0 when gone. */
export function rssBytes(pid: number): number {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) * 1024 : 0;
  } catch {
    return 0;
  }
}

/**
 * True when other users may enter every folder from this checkout up to `/` (o+x): then programs
 * run as another user (the embedded PostgreSQL's `postgres`, a launcher run as non-root) can reach
 * its files. A clone under a private temporary folder (mode 0700) is not.
 */
export function checkoutOpenToOthers(): boolean {
  for (let d = ROOT; d !== path.dirname(d); d = path.dirname(d)) {
    if ((statSync(d).mode & 0o001) === 0) return false;
  }
  return true;
}

/** False when we are root and the `postgres` user could not reach this checkout (see apps/embedded infra.ts). */
export function embeddedPostgresUsable(): boolean {
  return process.getuid?.() !== 0 || checkoutOpenToOthers();
}

/**
 * The pids among `pids` that still run. A zombie has exited: one whose parent died (a launcher
 * adopted by a restarted scheduler) waits for the machine's init to reap it, which is not ours.
 */
export function alivePids(pids: number[]): number[] {
  return pids.filter((pid) => processAlive(pid, null));
}
