import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { cp, mkdir, mkdtemp, rename, rm, utimes } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { EXIT_FILE, type LauncherExit } from '@wharf/contracts/launcher';
import { appCommand, LIMITED_MALLOC_ARENAS, onLoopbackPort, startApp, type RunningApp } from './app-process';
import { SANDBOXED_APP_PORT, startSandboxedApp } from './app-relay';
import { chownTree, freeLoopbackPort } from '@wharf/host';
import { fileMountProblem, interpreterPrefix, SANDBOX_RUN_DIR, SANDBOX_VENV, TOOL_ENV, type SandboxOptions } from './sandbox';
import { withBuildLock } from './build-lock';
import { CONTROL_SOCKET, ControlSocket, keepAliveUrl } from './control-socket';
import { fetchBundle } from './bundle-fetcher';
import { FrontServer } from './front-server';
import { appEnvironment, type LauncherEnv } from './launcher.env';
import { STEPS, type Progress, type Step } from './progress-page';
import { CommandFailed, preparePython } from './python-env';
import type { PythonStandby } from './python-standby';
import { LineLog, RingLog, StdoutLog, type LogSink } from './ring-log';
import { StatusReporter, writeFileAtomic } from './status-reporter';

const BUNDLE_MARKER = 'bundle.sha256';

/** Unix socket paths hold at most 107 bytes on Linux (longer ones are cut short, not refused). */
const MAX_SOCKET_PATH = 107;

/** The temporary folder for the control socket: `$TMPDIR` unless it is too deep for a socket path, then /tmp. */
function shortTmpDir(): string {
  const t = os.tmpdir();
  return Buffer.byteLength(t) + '/wharf-control-XXXXXX/control.sock'.length <= MAX_SOCKET_PATH ? t : '/tmp';
}

/** A failure whose message is meant for the user (shown as the instance's status reason). */
class LaunchFailure extends Error {}

/** The sandbox settings of a launcher's environment (WHARF_SANDBOX=bwrap), or null. */
function sandboxOf(e: LauncherEnv): SandboxOptions | null {
  if (e.WHARF_SANDBOX !== 'bwrap') return null;
  const user = e.WHARF_SANDBOX_UID !== undefined ? { uid: e.WHARF_SANDBOX_UID, gid: e.WHARF_SANDBOX_GID!, setpriv: e.WHARF_SETPRIV } : null;
  return { bwrap: e.WHARF_BWRAP, user };
}

/**
 * One instance's life: public port first, then bundle → Python → app, reporting each step;
 * then proxy until the app exits (FAILED, exit 1) or we are told to stop (SIGTERM, exit 0).
 */
export class Launcher {
  private readonly sink: LogSink;
  private readonly log: LineLog;
  private readonly reporter: StatusReporter;
  private readonly front: FrontServer;
  private readonly workDir: string;
  /** The sandbox the app and its installs run in (WHARF_SANDBOX=bwrap), or null. */
  private readonly sandbox: SandboxOptions | null;
  private readonly appDir: string;
  private step: Step = 'Fetching bundle';
  private readonly skipped: Step[] = [];
  private stepOutput: string[] = [];
  private app: RunningApp | null = null;
  private control: ControlSocket | null = null;
  /** The control socket's private folder when not sandboxed (removed at the end). */
  private controlDir: string | null = null;
  private finishing = false;
  private readonly started = Date.now();

  constructor(
    private readonly env: LauncherEnv,
    private readonly processEnv: NodeJS.ProcessEnv,
    private readonly exit: (code: number) => void = (c) => process.exit(c),
    /** An interpreter started ahead of time (standby launchers), used when the app fits it. */
    private pythonStandby: PythonStandby | null = null,
  ) {
    this.sink = env.WHARF_LOG_DIR ? new RingLog(env.WHARF_LOG_DIR, env.WHARF_LOG_MAX_BYTES) : new StdoutLog();
    this.log = new LineLog(this.sink, 40, (line) => {
      if (this.step === 'Installing dependencies') {
        this.stepOutput.push(line);
        if (this.stepOutput.length > 30) this.stepOutput.shift();
      }
    });
    this.reporter = new StatusReporter({
      url: env.WHARF_STATUS_URL,
      token: env.WHARF_STATUS_TOKEN,
      generation: env.WHARF_GENERATION,
      stateDir: env.WHARF_STATE_DIR,
      requestId: env.WHARF_REQUEST_ID,
      log: (m) => this.log.info(m),
    });
    this.workDir = path.resolve(env.WHARF_WORK_DIR ?? process.cwd());
    this.sandbox = sandboxOf(env);
    this.appDir = path.join(this.workDir, 'app');
    this.front = new FrontServer(() => this.progress());
  }

  progress(): Progress {
    return { instanceId: this.env.WHARF_INSTANCE_ID, step: this.step, skipped: this.skipped, output: this.stepOutput };
  }

  private enter(step: Step): void {
    this.step = step;
    this.stepOutput = [];
    this.log.info(`${step}…`);
    this.reporter.report(step === 'Starting' ? 'STARTING' : 'INSTALLING', step);
  }

  async run(): Promise<void> {
    process.on('SIGTERM', () => void this.stop('stopped (SIGTERM)'));
    process.on('SIGINT', () => void this.stop('stopped (SIGINT)'));
    this.watchStateDir();
    try {
      await mkdir(this.workDir, { recursive: true });
      await this.front.listen(this.env.PORT, this.env.WHARF_LISTEN_HOST).catch((e: Error) => {
        throw new LaunchFailure(`cannot listen on port ${this.env.PORT}: ${e.message}`);
      });
      this.log.info(`instance ${this.env.WHARF_INSTANCE_ID} (generation ${this.env.WHARF_GENERATION}${this.env.WHARF_REQUEST_ID ? `, request ${this.env.WHARF_REQUEST_ID}` : ''}) listening on port ${this.env.PORT}`);
      this.checkAppFiles();
      this.enter('Fetching bundle');
      await this.ensureBundle();
      const py = await preparePython({
        appDir: this.appDir,
        python: this.env.WHARF_PYTHON,
        sha256: this.env.WHARF_BUNDLE_SHA256,
        runtime: this.env.WHARF_RUNTIME,
        workDir: this.workDir,
        cacheDir: this.env.WHARF_VENV_CACHE,
        out: this.log,
        onStep: () => this.enter('Installing dependencies'),
        sandbox: this.sandbox,
      }).catch((e: unknown) => {
        if (e instanceof CommandFailed) throw new LaunchFailure(`${e.message} while installing dependencies`);
        throw e;
      });
      if (this.step !== 'Installing dependencies') this.skipped.push('Installing dependencies');
      this.enter('Starting');
      await this.startApp(py.python, py.venv);
    } catch (e) {
      await this.fail(e);
    }
  }

  /**
   * `<work>/app` holds the bundle unpacked. Kept across suspend/resume when its sha256 matches.
   * With a bundle cache (process driver), each bundle is downloaded and unpacked once per host
   * into `<cache>/<sha256>` and copied from there: later instances of the same app version skip
   * the download, the check and the unzip. Instances get a copy, never the cache itself, so an app
   * that writes next to its code cannot change what the next instance runs.
   */
  private async ensureBundle(): Promise<void> {
    const marker = path.join(this.workDir, BUNDLE_MARKER);
    const sha = this.env.WHARF_BUNDLE_SHA256;
    if (existsSync(this.appDir) && existsSync(marker) && readFileSync(marker, 'utf8').trim() === sha) {
      this.log.info('bundle already unpacked (same sha256); reusing it');
      return;
    }
    await rm(this.appDir, { recursive: true, force: true });
    await rm(marker, { force: true });
    const t0 = Date.now();
    const cacheDir = this.env.WHARF_BUNDLE_CACHE;
    if (!cacheDir) {
      await this.fetchAndUnpack(this.workDir, this.appDir);
    } else {
      const cached = path.join(cacheDir, sha);
      // The folder is renamed into place whole, so existing means complete.
      const ready = () => existsSync(cached);
      const hit = ready();
      await mkdir(cacheDir, { recursive: true });
      await withBuildLock(`${cached}.lock`, ready, () => this.fetchAndUnpack(cacheDir, cached));
      const tmp = path.join(this.workDir, `app.tmp-${randomBytes(4).toString('hex')}`);
      try {
        const now = new Date();
        await utimes(cached, now, now); // used: the scheduler's cache sweep keeps it
        await cp(cached, tmp, { recursive: true });
        await rename(tmp, this.appDir);
      } catch (e) {
        await rm(tmp, { recursive: true, force: true });
        if (existsSync(cached)) {
          // Only the error's code: the cache's folder is the host's business, and this reason reaches the user.
          throw new LaunchFailure(`cannot copy the bundle from the cache: ${(e as NodeJS.ErrnoException).code ?? 'error'}; start the instance again`);
        }
        // Swept away between the check and the copy (unused for a day, then used this very moment).
        await this.fetchAndUnpack(this.workDir, this.appDir);
      }
      this.log.info(`bundle ${hit ? 'copied from the cache' : 'fetched, unpacked and cached'}: sha256 ${sha.slice(0, 12)}… (${Date.now() - t0} ms)`);
    }
    // The instance's copy belongs to the instance's uid (its app may write next to its code).
    const user = this.sandbox?.user;
    if (user) await chownTree(this.appDir, user.uid, user.gid);
    writeFileSync(marker, sha);
  }

  /** Download (sha256 checked) and safe unzip into `dest`, which appears whole or not at all. */
  private async fetchAndUnpack(scratch: string, dest: string): Promise<void> {
    const zip = path.join(scratch, `bundle-${randomBytes(4).toString('hex')}.zip`);
    const t0 = Date.now();
    const { bytes } = await fetchBundle({
      url: this.env.WHARF_BUNDLE_URL,
      token: this.env.WHARF_BUNDLE_TOKEN,
      sha256: this.env.WHARF_BUNDLE_SHA256,
      dest: zip,
      log: (m) => this.log.info(m),
    }).catch((e: Error) => {
      throw new LaunchFailure(`cannot fetch the bundle: ${e.message}`);
    });
    const tmp = `${dest}.tmp-${randomBytes(4).toString('hex')}`;
    try {
      // Loaded only here: the zip checks bring zod, toml and the manifest schemas (~150 ms of CPU),
      // which a start from the cache or a resume never needs.
      const { extractBundle } = await import('@wharf/manifest');
      const { files } = await extractBundle(zip, tmp);
      await rename(tmp, dest);
      this.log.info(`bundle fetched and unpacked: ${bytes} bytes, ${files} files, sha256 ok (${Date.now() - t0} ms)`);
    } catch (e) {
      await rm(tmp, { recursive: true, force: true });
      throw new LaunchFailure(`the bundle cannot be unpacked: ${e instanceof Error ? e.message : String(e)}`);
    } finally {
      await rm(zip, { force: true });
    }
  }

  /** The instance's folders the sandbox shows: the runtime read-only, the work and volume folders writable. */
  private sandboxFolders(): { readOnly: string[]; writable: string[] } {
    const prefix = interpreterPrefix(this.env.WHARF_PYTHON);
    return {
      readOnly: prefix ? [prefix] : [],
      writable: [this.workDir, ...(this.env.WHARF_VOLUME_DIR ? [this.env.WHARF_VOLUME_DIR] : [])],
    };
  }

  /**
   * `[[File]]` entries are bound read-only at their paths by the sandbox, so they need one, and
   * paths where the sandbox shows nothing of its own: otherwise the app does not start (FAILED,
   * with the reason), rather than run without its files or with them somewhere else. Only the
   * paths are ever logged, never the contents.
   */
  private checkAppFiles(): void {
    const files = this.env.WHARF_APP_FILES ?? [];
    if (files.length === 0) return;
    const paths = files.map((f) => f.path).join(', ');
    if (!this.sandbox) {
      throw new LaunchFailure(
        `the app's [[File]] entries (${paths}) are mounted only in the sandbox (bubblewrap), and this launcher runs without one; ` +
          'ask an administrator to set Scheduler.ProcessSandbox = "bwrap"',
      );
    }
    const folders = this.sandboxFolders();
    const problems = files.flatMap((f) => fileMountProblem(f.path, folders) ?? []);
    if (problems.length) throw new LaunchFailure(`the app's [[File]] entries cannot be mounted: ${problems.join('; ')}`);
    for (const f of files) {
      if (!existsSync(f.source)) throw new LaunchFailure(`the contents of [[File]] ${f.path} are missing (the instance was stopped while starting?); start it again`);
    }
    this.log.info(`[[File]] entries, read-only: ${paths}`);
  }

  private async startApp(python: string, venv: string | null): Promise<void> {
    const sandbox = this.sandbox;
    const port = sandbox ? SANDBOXED_APP_PORT : (this.env.WHARF_APP_PORT ?? (await freeLoopbackPort()));
    const extra: Record<string, string> = {
      PORT: String(port),
      PYTHONUNBUFFERED: '1',
      WHARF_INSTANCE_ID: this.env.WHARF_INSTANCE_ID,
    };
    if (this.env.WHARF_VOLUME_DIR) extra.WHARF_VOLUME_DIR = this.env.WHARF_VOLUME_DIR;
    extra.WHARF_BASE_PATH = this.env.WHARF_BASE_PATH ?? '/';
    const control = await this.openControlSocket();
    if (control) extra.WHARF_CONTROL_SOCKET = control;
    if (this.env.WHARF_IDENTITY_KEY) extra.WHARF_IDENTITY_KEY = this.env.WHARF_IDENTITY_KEY;
    const basePath = sandbox ? TOOL_ENV.PATH! : (this.processEnv.PATH ?? '/usr/bin:/bin');
    // Sandboxed, the venv is mounted at a fixed path: the host's cache folder is not the app's business.
    const appVenv = venv && sandbox ? SANDBOX_VENV : venv;
    const appPython = venv && sandbox ? path.join(SANDBOX_VENV, 'bin', 'python') : python;
    if (appVenv) {
      extra.VIRTUAL_ENV = appVenv;
      extra.PATH = `${path.join(appVenv, 'bin')}:${this.env.WHARF_APP_ENV.PATH ?? basePath}`;
    }
    const base: Record<string, string> = { PATH: basePath, LANG: this.processEnv.LANG ?? 'C.UTF-8', HOME: this.workDir };
    // under the address-space limit, few malloc arenas (see app-process.ts); the app's own setting wins
    if (this.env.WHARF_PRLIMIT && this.env.WHARF_MEMORY_LIMIT_BYTES) base.MALLOC_ARENA_MAX = LIMITED_MALLOC_ARENAS;
    // A uid without a passwd entry: Python's getpass (and more) read the user's name from here.
    if (sandbox?.user) Object.assign(base, { USER: 'app', LOGNAME: 'app' });
    const appEnv = appEnvironment(base, this.env.WHARF_APP_ENV, extra);
    const onOutput = (stream: 'out' | 'err', data: Buffer) => this.log.chunk(stream, data);
    const standby = this.takePythonStandby();
    const t0 = Date.now();
    // The memory limit applies where prlimit is available (the standby sets the same RLIMIT_AS itself).
    const memoryLimitBytes = this.env.WHARF_PRLIMIT ? this.env.WHARF_MEMORY_LIMIT_BYTES : undefined;
    if (sandbox) {
      standby?.discard();
      this.log.info(
        `starting: python -m ${this.env.WHARF_MODULE} (${this.env.WHARF_RUNTIME}${venv ? ', with its requirements' : ''}) in a sandbox${sandbox.user ? ` as uid ${sandbox.user.uid}` : ''}, with no network`,
      );
      this.app = startSandboxedApp({
        sandbox,
        mounts: {
          ...this.sandboxFolders(),
          venv: venv ?? undefined,
          runDir: this.env.WHARF_RUN_DIR!,
          cwd: this.appDir,
          files: this.env.WHARF_APP_FILES ?? [],
        },
        // The relay runs on the runtime's own interpreter (the venv is mounted elsewhere inside).
        python: this.env.WHARF_PYTHON,
        argv: [appPython, '-m', this.env.WHARF_MODULE],
        env: appEnv,
        memoryLimitBytes,
        prlimit: this.env.WHARF_PRLIMIT,
        graceMs: this.env.WHARF_STOP_GRACE_MS,
        onOutput,
      });
    } else if (standby?.fits(python, venv, appEnv)) {
      this.log.info(`starting: ${python} -m ${this.env.WHARF_MODULE} in an interpreter started ahead of time (app port ${port})`);
      this.app = onLoopbackPort(standby.run({ module: this.env.WHARF_MODULE, cwd: this.appDir, env: appEnv, memoryLimitBytes, onOutput }), port);
    } else {
      standby?.discard();
      const command = appCommand({ python, module: this.env.WHARF_MODULE, memoryLimitBytes, prlimit: this.env.WHARF_PRLIMIT });
      this.log.info(`starting: ${command[0]} ${command[1].join(' ')} (app port ${port})`);
      this.app = onLoopbackPort(startApp({ command, cwd: this.appDir, env: appEnv, onOutput }), port);
    }
    const app = this.app;
    void app.exited.then(({ code, signal }) => {
      this.log.flush('out');
      this.log.flush('err');
      if (!this.finishing) void this.fail(new LaunchFailure(`the app exited ${signal ? `on signal ${signal}` : `with code ${code}`}`));
    });
    const outcome = await app.ready(this.env.WHARF_START_TIMEOUT_SECONDS * 1000);
    if (outcome === 'exited') return; // handled above
    if (outcome === 'timeout') {
      throw new LaunchFailure(
        `the app did not listen on its port within ${this.env.WHARF_START_TIMEOUT_SECONDS} s; it must serve HTTP on the port given in $PORT`,
      );
    }
    this.front.proxyTo(app.target);
    this.log.info(`the app is up: ${Date.now() - t0} ms after its start, ${Date.now() - this.started} ms after the launcher's`);
    this.reporter.report('RUNNING', null);
  }

  /**
   * The app's control socket (keep-alive leases): in the sandbox's run folder when sandboxed,
   * else in a private temporary folder. Answers the path the app sees, or null when it cannot be
   * opened (the app then runs without leases, and the log says why).
   */
  private async openControlSocket(): Promise<string | null> {
    try {
      const runDir = this.sandbox ? this.env.WHARF_RUN_DIR! : await mkdtemp(path.join(shortTmpDir(), 'wharf-control-'));
      if (!this.sandbox) this.controlDir = runDir;
      const socketPath = path.join(runDir, CONTROL_SOCKET);
      if (Buffer.byteLength(socketPath) > MAX_SOCKET_PATH) throw new Error(`its path ${socketPath} is longer than a Unix socket path may be`);
      this.control = new ControlSocket(socketPath, {
        url: keepAliveUrl(this.env.WHARF_STATUS_URL),
        token: this.env.WHARF_STATUS_TOKEN,
        generation: this.env.WHARF_GENERATION,
      });
      await this.control.listen();
      return this.sandbox ? `${SANDBOX_RUN_DIR}/${CONTROL_SOCKET}` : socketPath;
    } catch (e) {
      this.control = null;
      this.log.info(`no control socket (${e instanceof Error ? e.message : String(e)}): the app cannot hold keep-alive leases`);
      return null;
    }
  }

  private takePythonStandby(): PythonStandby | null {
    const s = this.pythonStandby;
    this.pythonStandby = null;
    return s;
  }

  /** Anything unexpected: FAILED, exit 1. */
  crash(e: unknown): Promise<void> {
    return this.fail(e);
  }

  /** FAILED with the reason and the last log lines; exit 1. */
  private async fail(e: unknown): Promise<void> {
    if (this.finishing) return;
    this.finishing = true;
    const message =
      e instanceof LaunchFailure ? e.message : `the launcher failed: ${e instanceof Error ? e.message : String(e)}`;
    this.log.info(`FAILED: ${message}`);
    const last = this.log.lastLines(20).filter((l) => !l.startsWith('[wharf] FAILED'));
    const reason = `${message}\n--- last log lines ---\n${last.join('\n')}`.slice(0, 15_000);
    this.reporter.report('FAILED', reason);
    await this.killApp();
    await this.reporter.flush(5000);
    this.finish(1, message);
  }

  /** Suspend/terminate: stop the app gracefully, exit 0. Nothing is reported: the scheduler asked for it. */
  async stop(why: string): Promise<void> {
    if (this.finishing) return;
    this.finishing = true;
    this.reporter.stop();
    this.log.info(`${why}; stopping the app`);
    await this.killApp();
    this.finish(0, why);
  }

  private async killApp(): Promise<void> {
    this.takePythonStandby()?.discard();
    await this.app?.stop(this.env.WHARF_STOP_GRACE_MS);
    await this.control?.close().catch(() => undefined);
    if (this.controlDir) await rm(this.controlDir, { recursive: true, force: true }).catch(() => undefined);
  }

  private finish(code: number, reason: string): void {
    if (this.env.WHARF_STATE_DIR && existsSync(this.env.WHARF_STATE_DIR)) {
      try {
        const exit: LauncherExit = { generation: this.env.WHARF_GENERATION, code, reason, at: new Date().toISOString() };
        writeFileAtomic(path.join(this.env.WHARF_STATE_DIR, EXIT_FILE), JSON.stringify(exit));
      } catch {
        /* best effort */
      }
    }
    this.sink.close();
    void this.front.close().finally(() => this.exit(code));
    setTimeout(() => this.exit(code), 1000).unref();
  }

  /** Process driver: the state folder disappears when the instance is terminated; never outlive it. */
  private watchStateDir(): void {
    const dir = this.env.WHARF_STATE_DIR;
    if (!dir) return;
    const t = setInterval(() => {
      if (!existsSync(dir)) {
        clearInterval(t);
        void this.stop('the instance folder was removed');
      }
    }, this.env.WHARF_WATCH_INTERVAL_MS);
    t.unref();
  }
}

export { STEPS };
