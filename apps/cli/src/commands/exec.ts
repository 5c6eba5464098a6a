import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createReadStream, existsSync, mkdirSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import type { Command } from 'commander';
import { examples, type Ctx } from '../context';
import { CliError, UsageError } from '../errors';
import { buildTemporary } from '../bundle/build';
import { Interrupted } from '../bundle/upload';
import { readManifest } from './bundle';

/** The header the launcher sends its bundle token in (INTERNAL_TOKEN_HEADER of @wharf/contracts/wire). */
const TOKEN_HEADER = 'x-wharf-internal-token';
const LAUNCHER = path.join('apps', 'launcher', 'dist', 'main.js');

/**
 * The launcher to run an app with: $WHARF_LAUNCHER, else the built launcher of the repository this
 * CLI runs from (found upwards from this file: dist/wharf.cjs or src/commands when run from source);
 * a launcher.cjs next to this file first.
 */
export function findLauncher(env: NodeJS.ProcessEnv, from = __dirname): string {
  if (env.WHARF_LAUNCHER) {
    if (!existsSync(env.WHARF_LAUNCHER)) throw new CliError(`WHARF_LAUNCHER=${env.WHARF_LAUNCHER}: no such file; point it at the launcher's main.js (apps/launcher/dist/main.js of a Wharf checkout)`);
    return path.resolve(env.WHARF_LAUNCHER);
  }
  // a packaged CLI would carry the launcher bundled next to itself (dist/launcher.cjs)
  const packaged = path.join(from, 'launcher.cjs');
  if (existsSync(packaged)) return packaged;
  for (let dir = path.resolve(from); ; dir = path.dirname(dir)) {
    const candidate = path.join(dir, LAUNCHER);
    if (existsSync(candidate)) return candidate;
    if (path.dirname(dir) === dir) break;
  }
  throw new CliError(
    `wharf exec needs Wharf's launcher, and none was found above ${from}: run it from a Wharf checkout after \`pnpm --filter @wharf/launcher build\`, or set WHARF_LAUNCHER to its dist/main.js`,
  );
}

/** `-e NAME=value`, repeatable. */
function envPairs(values: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const v of values) {
    const m = /^([A-Za-z_][A-Za-z0-9_]*)=(.*)$/s.exec(v);
    if (!m) throw new UsageError(`-e/--env: "${v}" is not NAME=value`);
    if (m[1]!.toUpperCase().startsWith('WHARF_') || m[1] === 'PORT') throw new UsageError(`-e/--env: ${m[1]} is the platform's; choose another name`);
    out[m[1]!] = m[2]!;
  }
  return out;
}

const cacheRoot = (env: NodeJS.ProcessEnv) => path.join(env.XDG_CACHE_HOME && path.isAbsolute(env.XDG_CACHE_HOME) ? env.XDG_CACHE_HOME : path.join(os.homedir(), '.cache'), 'wharf');

/** Serves one file to whoever has the token, on a loopback port: the launcher fetches the bundle from it as from the repository. */
function serveBundle(file: string, token: string): Promise<{ url: string; close: () => void }> {
  const server = http.createServer((req, res) => {
    if (req.headers[TOKEN_HEADER] !== token) return void res.writeHead(401).end('wrong token');
    res.writeHead(200, { 'content-type': 'application/zip' });
    createReadStream(file).pipe(res);
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      resolve({ url: `http://127.0.0.1:${port}/bundle.zip`, close: () => server.close() });
    });
  });
}

export function registerExec(program: Command, ctx: Ctx): void {
  examples(
    program
      .command('exec')
      .description("run an app folder here as an instance runs it: the platform's launcher, a venv with the bundle's wheels, `python -m <Module>`, the same environment variables, on a local port")
      .argument('[dir]', 'the app folder', '.')
      .option('--port <port>', 'the local port to serve on', '55555')
      .option('--python <path>', "the Python to run on (the runtime's interpreter on the platform)", 'python3')
      .option('-e, --env <NAME=value...>', "set an app variable (e.g. one that app.toml takes from a secret); repeatable", (v: string, acc: string[]) => [...acc, v], [] as string[])
      .option('--wheels <folder>', 'copy the wheels its requirements name from this folder into the bundle')
      .addHelpText(
        'after',
        `
The app gets PORT, WHARF_INSTANCE_ID (local), WHARF_BASE_PATH (/: served at the root),
WHARF_IDENTITY_KEY (a new key each run), WHARF_VOLUME_DIR (kept between runs, in
~/.cache/wharf/exec/<name>/data), WHARF_CONTROL_SOCKET, its [[Env]] values and -e values.
Unlike the platform, it runs unsandboxed, with your network, and without the router (no
X-Wharf-User header). Ctrl-C stops the app and the launcher.`,
      )
      .action(async (dir: string, opts: { port: string; python: string; env: string[]; wheels?: string }) => {
        const port = Number(opts.port);
        if (!Number.isInteger(port) || port < 1 || port > 65535) throw new UsageError(`--port: "${opts.port}" is not a port (1-65535)`);
        const launcher = findLauncher(ctx.env);
        const { manifest } = readManifest(dir);
        const given = envPairs(opts.env);
        const appEnv: Record<string, string> = {};
        const unset: string[] = [];
        for (const e of manifest.env) {
          if ('value' in e) appEnv[e.name] = e.value;
          else if (!(e.name in given)) unset.push(`${e.name} (secret ${e.secret}, key ${e.secretKey})`);
        }
        Object.assign(appEnv, given);
        if (unset.length) ctx.term.note(`${ctx.term.c.yellow('warning:')} not set here, as secrets live on the platform: ${unset.join(', ')}; give them with -e NAME=value`);

        const built = await buildTemporary(dir, { wheels: opts.wheels });
        const base = path.join(cacheRoot(ctx.env), 'exec', manifest.name);
        const work = path.join(base, 'work');
        const data = path.join(base, 'data');
        mkdirSync(work, { recursive: true, mode: 0o700 });
        mkdirSync(data, { recursive: true, mode: 0o700 });
        const token = randomBytes(16).toString('hex');
        const served = await serveBundle(built.file, token);
        const env: Record<string, string> = {
          PATH: ctx.env.PATH ?? '/usr/bin:/bin',
          LANG: ctx.env.LANG ?? 'C.UTF-8',
          PORT: String(port),
          WHARF_LISTEN_HOST: '127.0.0.1',
          WHARF_INSTANCE_ID: 'local',
          WHARF_BUNDLE_URL: served.url,
          WHARF_BUNDLE_TOKEN: token,
          WHARF_BUNDLE_SHA256: built.sha256,
          WHARF_MODULE: manifest.runtime.module,
          WHARF_RUNTIME: manifest.runtime.runtimeVersion ?? 'default',
          WHARF_PYTHON: opts.python,
          WHARF_IDENTITY_KEY: randomBytes(32).toString('base64url'),
          WHARF_WORK_DIR: work,
          WHARF_VOLUME_DIR: data,
          WHARF_VENV_CACHE: path.join(cacheRoot(ctx.env), 'venvs'),
          WHARF_APP_ENV: JSON.stringify(appEnv),
          WHARF_STOP_GRACE_MS: '3000',
          WHARF_SANDBOX: 'none',
        };
        ctx.term.note(`running ${manifest.name}@${manifest.version} (python -m ${manifest.runtime.module}) at ${ctx.term.c.bold(`http://127.0.0.1:${port}/`)}; Ctrl-C stops it`);
        // Its own process group: Ctrl-C reaches only this process, which stops the launcher
        // (SIGTERM), and the launcher the app, gracefully, as on the platform.
        const child: ChildProcess = spawn(process.execPath, [launcher], { cwd: work, env, stdio: ['ignore', 'inherit', 'inherit'], detached: true });
        let interrupted = false;
        const stop = () => {
          interrupted = true;
          if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
        };
        const killOnExit = () => {
          if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
        };
        process.on('SIGINT', stop);
        process.on('SIGTERM', stop);
        process.on('exit', killOnExit);
        try {
          const code = await new Promise<number | null>((resolve, reject) => {
            child.once('error', reject);
            child.once('exit', (c, signal) => resolve(signal ? null : c));
          });
          if (interrupted) throw new Interrupted(`${manifest.name} stopped (Ctrl-C)`);
          if (code !== 0) throw new CliError(`the app stopped (launcher exit ${code ?? 'by signal'}): see the lines above; fix the app and run \`wharf exec ${dir}\` again`);
        } finally {
          process.off('SIGINT', stop);
          process.off('SIGTERM', stop);
          process.off('exit', killOnExit);
          served.close();
          built.dispose();
        }
      }),
    ['wharf exec', 'wharf exec my-app --port 8000', 'wharf exec my-app -e API_TOKEN=dev-token'],
  );
}
