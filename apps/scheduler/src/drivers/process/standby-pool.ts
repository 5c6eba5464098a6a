import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { closeSync, mkdirSync, openSync, readdirSync, renameSync, rmSync } from 'node:fs';
import path from 'node:path';
import { Logger } from '@nestjs/common';
import type { LauncherStandbyEnv, StandbyAssignment } from '@wharf/contracts/launcher';
import { killGroup, processAlive, procStat } from '@wharf/host';

/** A launcher started ahead of time, its modules loaded, waiting on stdin for an instance. */
export interface Standby {
  child: ChildProcess;
  pid: number;
  /** /proc start time, as recorded in process.json once the standby becomes an instance's launcher. */
  startTime: number | null;
  /** Its stdout/stderr file; renamed to the instance's `launcher.out` on assignment. */
  outFile: string;
  onExit: () => void;
}

export interface StandbyPoolOptions {
  /** `<DataDir>/standby`: the standbys' working folder and output files. */
  dir: string;
  nodePath: string;
  launcherPath: string;
  /** The default runtime's interpreter: each standby starts one ahead of time too (null: none). */
  python: string | null;
  /** How many idle standbys to keep; 0 turns the pool off. */
  size: number;
  /**
   * True while launches are still starting: refills wait for them (checked every `refillCheckMs`),
   * so that a burst of launches is not slowed by standbys booting on the same cores.
   */
  busy: () => boolean;
  refillCheckMs: number;
}

/**
 * Warm launchers for the process driver. Starting Node and loading the launcher costs about 90 ms
 * of CPU per instance, and Python's own start about 50 ms more; ten instances started together pay
 * that on the same cores. A standby has paid both already (it starts the default runtime's
 * interpreter next to itself, see apps/launcher/src/python-standby.ts): the driver hands it the instance's
 * environment and working folder on stdin (one JSON line), and from then on it is that instance's
 * launcher, exactly as if it had been started for it (same process group rules, same files). It
 * is the same idea as ShinyProxy's pre-initialised containers, at the cost of one idle launcher
 * per standby (about 9 MB of private memory for Node, whose other ~37 MB are the node binary's
 * pages shared by all, and about 8 MB for Python).
 *
 * Standbys never outlive the scheduler that started them: one that reads end-of-file on stdin
 * before its assignment exits, so a scheduler killed with -9 leaves nothing idle behind. Once
 * assigned, a launcher closes stdin and lives on like any other (adopted after a scheduler restart
 * by pid and start time).
 */
export class StandbyPool {
  private readonly log = new Logger('StandbyPool');
  private readonly idle: Standby[] = [];
  private starting = 0;
  private refill: NodeJS.Timeout | null = null;
  private closed = false;

  constructor(private readonly o: StandbyPoolOptions) {}

  init(): void {
    mkdirSync(this.o.dir, { recursive: true, mode: 0o700 });
    // Output files of standbys whose scheduler died: they exited at end-of-file; their files stayed.
    for (const f of readdirSync(this.o.dir)) {
      const m = /^(\d+)\.out$/.exec(f);
      if (f.endsWith('.out') && !(m && processAlive(Number(m[1]), null))) rmSync(path.join(this.o.dir, f), { force: true });
    }
    this.fill();
  }

  /** An idle standby for an instance, or null (pool empty or off): the caller starts a launcher itself. */
  take(): Standby | null {
    if (this.o.size === 0 || this.closed) return null;
    this.scheduleRefill();
    while (this.idle.length) {
      const s = this.idle.shift()!;
      if (s.child.exitCode === null && s.child.signalCode === null) {
        s.child.off('exit', s.onExit);
        return s;
      }
    }
    return null;
  }

  /**
   * Makes `s` the launcher of an instance: its output file becomes `outFile`, and it gets `env` (its
   * whole environment, as a cold start would) and `cwd`. The caller records its pid first.
   */
  assign(s: Standby, env: Record<string, string>, cwd: string, outFile: string): void {
    renameSync(s.outFile, outFile);
    const assignment: StandbyAssignment = { env, cwd };
    s.child.stdin!.end(`${JSON.stringify(assignment)}\n`);
  }

  /** Idle standbys right now (for tests and health). */
  get size(): number {
    return this.idle.length;
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.refill) clearTimeout(this.refill);
    for (const s of this.idle.splice(0)) {
      s.child.off('exit', s.onExit);
      killGroup(s.pid, 'SIGKILL');
      rmSync(s.outFile, { force: true });
    }
  }

  private scheduleRefill(): void {
    if (this.refill || this.closed) return;
    this.refill = setTimeout(() => {
      this.refill = null;
      if (this.o.busy()) this.scheduleRefill();
      else this.fill();
    }, this.o.refillCheckMs);
    this.refill.unref();
  }

  private fill(): void {
    while (!this.closed && this.idle.length + this.starting < this.o.size) {
      this.starting++;
      void this.startOne()
        .catch((e: unknown) => this.log.warn(`cannot start a standby launcher: ${e instanceof Error ? e.message : String(e)}`))
        .finally(() => this.starting--);
    }
  }

  private async startOne(): Promise<void> {
    const tmpOut = path.join(this.o.dir, `.${process.pid}-${randomBytes(4).toString('hex')}.out`);
    const out = openSync(tmpOut, 'w', 0o600);
    let child: ChildProcess;
    try {
      child = spawn(this.o.nodePath, [this.o.launcherPath], {
        detached: true,
        stdio: ['pipe', out, out],
        cwd: this.o.dir,
        env: {
          PATH: process.env.PATH ?? '/usr/local/bin:/usr/bin:/bin',
          LANG: process.env.LANG ?? 'C.UTF-8',
          ...({ WHARF_STANDBY: '1', WHARF_STANDBY_DIR: this.o.dir, ...(this.o.python ? { WHARF_STANDBY_PYTHON: this.o.python } : {}) } satisfies LauncherStandbyEnv),
        },
      });
      await new Promise<void>((resolve, reject) => {
        child.once('spawn', resolve);
        child.once('error', reject);
      });
    } catch (e) {
      rmSync(tmpOut, { force: true });
      throw e;
    } finally {
      closeSync(out);
    }
    const pid = child.pid!;
    const outFile = path.join(this.o.dir, `${pid}.out`);
    renameSync(tmpOut, outFile);
    child.stdin!.on('error', () => undefined); // EPIPE when it died before its assignment
    const s: Standby = {
      child,
      pid,
      startTime: procStat(pid)?.startTime ?? null,
      outFile,
      onExit: () => {
        const i = this.idle.indexOf(s);
        if (i >= 0) this.idle.splice(i, 1);
        rmSync(outFile, { force: true });
        this.scheduleRefill(); // it crashed while idle
      },
    };
    child.once('exit', s.onExit);
    child.unref();
    (child.stdin as unknown as { unref?: () => void }).unref?.();
    if (this.closed) {
      killGroup(pid, 'SIGKILL');
      return;
    }
    this.idle.push(s);
  }
}
