import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, openSync, rmSync } from 'node:fs';
import { internal } from '@wharf/contracts';
import { groupAlive, killGroup, processAlive, procStat } from '@wharf/host';
import type { InstanceFiles, ProcFile } from './instance-files';
import { strays } from './proc-scan';
import { StandbyPool } from './standby-pool';

export interface LauncherProcessesOptions {
  /** `<DataDir>/standby`: the standby launchers' folder. */
  standbyDir: string;
  nodePath: string;
  launcherPath: string;
  stopGraceMs: number;
  /** Launchers kept started ahead of time (see StandbyPool); 0 = start each one when needed. */
  standbyLaunchers: number;
  /** The interpreter each standby starts next to itself, or null. */
  standbyPython: string | null;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * The process driver's process control: starts launchers (a warm standby when there is one, else
 * `node <launcher>` detached in its own process group, so that a scheduler killed with -9 leaves it
 * running and stopping it kills the launcher, pip and the app at once) and stops them with their
 * whole group. The caller holds the instance's lock.
 */
export class LauncherProcesses {
  private readonly children = new Map<string, ChildProcess>();
  private listener: (() => void) | null = null;
  private readonly pool: StandbyPool;
  /** Launchers this process started that have not reported RUNNING or FAILED yet: instance id → start time. */
  private readonly starting = new Map<string, number>();

  constructor(
    private readonly o: LauncherProcessesOptions,
    private readonly files: InstanceFiles,
  ) {
    this.pool = new StandbyPool({
      dir: o.standbyDir,
      nodePath: o.nodePath,
      launcherPath: o.launcherPath,
      size: o.standbyLaunchers,
      python: o.standbyPython,
      busy: () => this.launchesInProgress(),
      refillCheckMs: 200,
    });
  }

  init(): void {
    if (!existsSync(this.o.launcherPath)) {
      throw new Error(`the launcher is not built: ${this.o.launcherPath} is missing (pnpm --filter @wharf/launcher build)`);
    }
    this.pool.init();
  }

  async close(): Promise<void> {
    await this.pool.close();
    for (const c of this.children.values()) c.removeAllListeners('exit');
    this.children.clear();
  }

  /** Called when a launcher this process started exits. */
  onExit(listener: () => void): void {
    this.listener = listener;
  }

  /**
   * Starts the launcher of generation `generation` of instance `id` with `env` (its whole
   * environment) in its `work/` folder, and records it in `process.json` (before a standby learns
   * which instance it serves, so a scheduler killed in between leaves a record of it: it then exits
   * at end-of-file on stdin, and the instance is observed as failed, not lost).
   */
  async launch(id: string, generation: number, { port, appPort }: { port: number; appPort: number | null }, env: Record<string, string>): Promise<ProcFile> {
    const p = this.files.paths(id);
    const standby = this.pool.take();
    let child: ChildProcess;
    if (standby) {
      child = standby.child;
    } else {
      const out = openSync(p.out, 'w', 0o600);
      try {
        child = spawn(this.o.nodePath, [this.o.launcherPath], { detached: true, stdio: ['ignore', out, out], cwd: p.work, env });
        await new Promise<void>((resolve, reject) => {
          child.once('spawn', resolve);
          child.once('error', reject);
        });
      } catch (e) {
        throw internal(`cannot start the launcher for ${id}: ${e instanceof Error ? e.message : String(e)}`);
      } finally {
        closeSync(out);
      }
    }
    const pid = child.pid!;
    this.starting.set(id, Date.now());
    this.children.set(id, child);
    child.once('exit', () => {
      if (this.children.get(id) === child) this.children.delete(id);
      this.listener?.();
    });
    child.unref();
    const startTime = standby ? standby.startTime : (procStat(pid)?.startTime ?? null);
    const proc: ProcFile = { generation, pid, startTime, port, appPort, startedAt: new Date().toISOString() };
    this.files.writeProc(id, proc);
    if (standby) {
      try {
        this.pool.assign(standby, env, p.work, p.out);
      } catch (e) {
        killGroup(pid, 'SIGKILL');
        throw internal(`cannot hand the instance ${id} to a standby launcher: ${e instanceof Error ? e.message : String(e)}`);
      }
    }
    return proc;
  }

  /** True when the launcher recorded in `proc` still runs (same pid and start time). */
  alive(proc: ProcFile | null): boolean {
    return !!proc && processAlive(proc.pid, proc.startTime);
  }

  /**
   * Stops the launcher and everything in its process group. The launcher gets SIGTERM first and
   * stops the app itself (so it knows the stop was asked for); after the grace period the whole
   * group gets SIGKILL. Processes left by a launcher whose pid was never recorded (the scheduler
   * died between spawning it and writing process.json) are found by their environment.
   */
  async kill(id: string): Promise<void> {
    const p = this.files.paths(id);
    const proc = this.files.readProc(id);
    const groups = new Set<number>(strays(p.dir));
    if (proc) {
      const leaderIsOurs = processAlive(proc.pid, proc.startTime);
      const leaderIsOther = !leaderIsOurs && processAlive(proc.pid, null);
      if (!leaderIsOther) groups.add(proc.pid);
      if (leaderIsOurs) {
        try {
          process.kill(proc.pid, 'SIGTERM');
        } catch {
          /* just exited */
        }
      }
    }
    const alive = () => [...groups].filter((g) => groupAlive(g));
    const deadline = Date.now() + this.o.stopGraceMs;
    while (alive().length && Date.now() < deadline) await sleep(25);
    for (const g of alive()) killGroup(g, 'SIGKILL');
    const hard = Date.now() + 3000;
    while (alive().length && Date.now() < hard) await sleep(25);
    rmSync(p.proc, { force: true });
  }

  /**
   * True while a launcher started here in the last 30 s is neither up nor failed (from its
   * launcher.json). Standbys are refilled only when this is false.
   */
  private launchesInProgress(): boolean {
    for (const [id, since] of this.starting) {
      const state = this.files.readLauncherState(id);
      const settled = state !== null && (state.status === 'RUNNING' || state.status === 'FAILED');
      if (settled || Date.now() - since > 30_000 || !existsSync(this.files.paths(id).dir)) this.starting.delete(id);
    }
    return this.starting.size > 0;
  }
}

/** `prlimit` on PATH (util-linux), or null. */
export function findPrlimit(configured: string): string | null {
  if (configured === 'off') return null;
  const bin = configured || 'prlimit';
  const r = spawnSync(bin, ['--version'], { encoding: 'utf8' });
  return r.status === 0 ? bin : null;
}

const resolvedPythons = new Map<string, string>();
/**
 * The interpreter's real path, asked once per name: `python3` is often a shim (pyenv's is a bash
 * script costing ~70 ms of CPU per start), and every instance start would pay for it again.
 * Falls back to the name when it cannot be run, so the launcher reports the failure itself.
 */
export function realPython(name: string): string {
  let real = resolvedPythons.get(name);
  if (real === undefined) {
    try {
      real = execFileSync(name, ['-c', 'import sys; print(sys.executable)'], { encoding: 'utf8', timeout: 10_000 }).trim() || name;
    } catch {
      real = name;
    }
    resolvedPythons.set(name, real);
  }
  return real;
}
