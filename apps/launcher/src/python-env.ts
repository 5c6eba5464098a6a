import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { chmod, mkdir, readdir, readFile, rename, rm, stat, utimes } from 'node:fs/promises';
import path from 'node:path';
import { withBuildLock } from './build-lock';
import { hasRequirements, venvKey } from './requirements';
import { chownTree } from '@wharf/host';
import { interpreterPrefix, sandboxCommand, type SandboxOptions } from './sandbox';

export interface PythonEnv {
  /** The interpreter to start the app with. */
  python: string;
  /** The venv folder, or null when the bundle has no requirements (the runtime's Python is used directly). */
  venv: string | null;
  /** How it was obtained. */
  source: 'system' | 'cache' | 'built';
}

export interface CommandOutput {
  chunk(stream: string, data: Buffer): void;
  flush(stream: string): void;
  info(message: string): void;
}

export class CommandFailed extends Error {
  constructor(
    readonly what: string,
    readonly code: number | null,
  ) {
    super(`${what} failed (exit code ${code ?? 'signal'})`);
  }
}

/** Runs a command with its output streamed line by line into the log. */
export function runLogged(
  cmd: string,
  args: string[],
  opts: { cwd: string; env: NodeJS.ProcessEnv; what: string; out: CommandOutput },
): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd: opts.cwd, env: opts.env, stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout.on('data', (d: Buffer) => opts.out.chunk('out', d));
    child.stderr.on('data', (d: Buffer) => opts.out.chunk('err', d));
    child.once('error', (e) => reject(new Error(`${opts.what}: cannot run ${cmd}: ${e.message}`)));
    child.once('close', (code) => {
      opts.out.flush('out');
      opts.out.flush('err');
      if (code === 0) resolve();
      else reject(new CommandFailed(opts.what, code));
    });
  });
}

async function makeReadOnly(dir: string): Promise<void> {
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isSymbolicLink()) continue;
    if (entry.isDirectory()) await makeReadOnly(full);
    else await chmod(full, (await stat(full)).mode & 0o555);
  }
  await chmod(dir, 0o555);
}

/**
 * The Python environment for an app: the runtime's interpreter when requirements.txt is missing or
 * empty (a venv costs seconds), else a venv with the requirements installed offline from the
 * bundle's `wheels/` folder. With a cache folder the venv is built once per (bundle sha256,
 * runtime) in a temporary folder, renamed into place atomically and only read afterwards: later
 * instances start in milliseconds. Venvs survive the rename because `python -m` finds `pyvenv.cfg`
 * next to the interpreter it runs; only console scripts keep the old path, and we never use them.
 */
export async function preparePython(opts: {
  appDir: string;
  python: string;
  sha256: string;
  runtime: string;
  workDir: string;
  cacheDir?: string;
  out: CommandOutput;
  onStep: (step: 'install') => void;
  /**
   * Confines the build (the venv and `pip install`, which runs the bundle's build scripts when it
   * ships source packages): with no network, only the runtime, the bundle (read-only) and the new
   * venv visible, as the instance's uid. The finished venv is then handed back to the launcher's
   * user and made read-only before it is shared.
   */
  sandbox?: SandboxOptions | null;
}): Promise<PythonEnv> {
  const reqFile = path.join(opts.appDir, 'requirements.txt');
  const reqText = existsSync(reqFile) ? await readFile(reqFile, 'utf8') : null;
  if (!hasRequirements(reqText)) {
    opts.out.info('no requirements to install; using the runtime\'s own Python');
    return { python: opts.python, venv: null, source: 'system' };
  }
  const key = venvKey(opts.sha256, opts.runtime);
  const parent = opts.cacheDir ?? opts.workDir;
  const final = opts.cacheDir ? path.join(opts.cacheDir, key) : path.join(opts.workDir, `venv-${key}`);
  const python = path.join(final, 'bin', 'python');
  await mkdir(parent, { recursive: true });
  const ready = () => existsSync(python);
  if (ready()) {
    const now = new Date();
    await utimes(final, now, now).catch(() => undefined); // used: the scheduler's cache sweep keeps it
    opts.out.info('using the Python environment built earlier for this app version and runtime');
    return { python, venv: final, source: 'cache' };
  }
  opts.onStep('install');
  let built = false;
  await withBuildLock(`${final}.lock`, ready, async () => {
    const tmp = path.join(parent, `.tmp-${key}-${randomBytes(4).toString('hex')}`);
    try {
      const sb = opts.sandbox ?? null;
      const env = { PATH: sb ? '/usr/local/bin:/usr/bin:/bin' : (process.env.PATH ?? '/usr/bin:/bin'), HOME: sb ? '/tmp' : opts.workDir, LANG: 'C.UTF-8', PIP_NO_CACHE_DIR: '1' };
      const prefix = interpreterPrefix(opts.python);
      const run = (cmd: string, args: string[], what: string) => {
        const [c, a] = sb
          ? sandboxCommand(sb, { readOnly: [...(prefix ? [prefix] : []), opts.appDir], writable: [tmp], cwd: opts.appDir }, [cmd, ...args])
          : [cmd, args];
        return runLogged(c, a, { cwd: opts.appDir, env, what, out: opts.out });
      };
      if (sb) {
        await mkdir(tmp, { mode: 0o700 });
        if (sb.user) await chownTree(tmp, sb.user.uid, sb.user.gid);
      }
      opts.out.info('creating a virtual environment with the runtime\'s Python');
      await run(opts.python, ['-m', 'venv', tmp], 'creating the virtual environment');
      const wheels = path.join(opts.appDir, 'wheels');
      const args = ['-m', 'pip', 'install', '--no-index', '--disable-pip-version-check', '--no-input', '--progress-bar', 'off'];
      if (existsSync(wheels)) args.push('--find-links', wheels);
      args.push('-r', reqFile);
      opts.out.info('installing requirements.txt (offline, from the bundle\'s wheels/)');
      await run(path.join(tmp, 'bin', 'python'), args, 'pip install');
      // Nothing of the instance's may change the venv once other instances share it.
      if (sb?.user) await chownTree(tmp, process.getuid?.() ?? 0, process.getgid?.() ?? 0);
      await makeReadOnly(tmp);
      await rename(tmp, final);
      built = true;
    } finally {
      if (!built) await rm(tmp, { recursive: true, force: true }).catch(() => undefined);
    }
  });
  if (!ready()) throw new Error('the Python environment is missing after the build; start the instance again');
  if (!built) opts.out.info('another instance built the Python environment; using it');
  return { python, venv: final, source: built ? 'built' : 'cache' };
}
