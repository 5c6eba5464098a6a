import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chmodSync, closeSync, existsSync, lchownSync, mkdirSync, openSync, readdirSync, readFileSync, readlinkSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { Logger } from '@nestjs/common';
import { conflict, forbidden, INSTANCE_ID_PATTERN, internal, notFound, WharfError } from '@wharf/contracts';
import { z } from 'zod';
import { LockTargetGone, readJson, withFileLock, writeJsonAtomic } from '../../common/file-lock';
import { groupAlive, killGroup, processAlive, procStat } from '../../common/proc';
import { InstanceRecordSchema, isLive, isProgress, type InstanceRecord } from '../../instances/instance.record';
import type { InstanceDriver, Mutator, Observation, PlanFor, RecordChange } from '../instance-driver';
import { followLines, tailLines } from './log-files';
import { UidAllocator, type SandboxTools } from './sandbox-users';
import { StandbyPool } from './standby-pool';

export interface ProcessDriverOptions {
  /** `<DataDir>`: instances live in `<DataDir>/instances/<id>/`, venvs in `<DataDir>/venvs/`, unpacked bundles in `<DataDir>/bundles/`. */
  dataDir: string;
  /** apps/launcher/dist/main.js */
  launcherPath: string;
  /** The Node binary that runs launchers. */
  nodePath: string;
  /** `prlimit` path, or null: memory limits are not enforced. */
  prlimit: string | null;
  stopGraceMs: number;
  logBytes: number;
  startTimeoutSeconds: number;
  /** Launchers kept started ahead of time (see StandbyPool); 0 = start each one when needed. */
  standbyLaunchers: number;
  /** The default runtime's interpreter, started ahead of time by each standby launcher. */
  standbyPython: string | null;
  /** Cached bundles and venvs no instance refers to are removed after this long unused. */
  cacheKeepMs: number;
  /** How often the caches are swept (from reconcile). */
  cacheSweepMs: number;
  /** How apps are confined (see sandbox-users.ts), found and tried at boot. */
  sandbox: SandboxTools;
  /** `[first, last]`: the uids instances get when Wharf runs as root with the bwrap sandbox. */
  uidRange: [number, number];
}

/** What the driver knows about the launcher of the record's current generation: `process.json`. */
const ProcFileSchema = z.object({
  generation: z.number().int(),
  pid: z.number().int(),
  /** /proc start time of the pid: a reused pid is not our launcher. */
  startTime: z.number().nullable(),
  port: z.number().int(),
  startedAt: z.string(),
});
type ProcFile = z.infer<typeof ProcFileSchema>;

/** What the launcher writes: `launcher.json` (current status) and `exit.json` (on exit). */
const LauncherStateSchema = z.object({
  generation: z.number().int(),
  status: z.enum(['INSTALLING', 'STARTING', 'RUNNING', 'FAILED']),
  reason: z.string().nullable(),
});
const ExitFileSchema = z.object({ generation: z.number().int(), code: z.number().int(), reason: z.string() });

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A free loopback port; the previous one when it is still free (a resumed instance keeps its address). */
function freePort(prefer?: number): Promise<number> {
  const attempt = (port: number) =>
    new Promise<number>((resolve, reject) => {
      const s = net.createServer();
      s.once('error', reject);
      s.listen(port, '127.0.0.1', () => {
        const p = (s.address() as net.AddressInfo).port;
        s.close(() => resolve(p));
      });
    });
  return prefer ? attempt(prefer).catch(() => attempt(0)) : attempt(0);
}

/** The last `n` lines of a small file ('' when missing). */
function readTail(file: string, n: number): string[] {
  try {
    return readFileSync(file, 'utf8').split('\n').filter(Boolean).slice(-n);
  } catch {
    return [];
  }
}

/** `prlimit` on PATH (util-linux), or null. */
export function findPrlimit(configured: string): string | null {
  if (configured === 'off') return null;
  const bin = configured || 'prlimit';
  const r = spawnSync(bin, ['--version'], { encoding: 'utf8' });
  return r.status === 0 ? bin : null;
}

/**
 * Instances as local processes. Each is a launcher (`node apps/launcher/dist/main.js`) started
 * detached, in its own process group, so that a scheduler killed with -9 leaves it running (the
 * next scheduler adopts it by pid + start time) and stopping it kills the launcher, pip and the app
 * at once. Its folder `<DataDir>/instances/<id>/` holds everything: `instance.json` (the record),
 * `process.json` (pid, start time, port, generation), `launcher.json` / `exit.json` (written by the
 * launcher), `logs/` (the launcher's two-file ring), `work/` (bundle, app), `data/` (the volume,
 * kept across suspend/resume). Terminating removes the folder.
 */
export class ProcessDriver implements InstanceDriver {
  readonly name = 'process' as const;
  readonly capabilities;
  private readonly log = new Logger('ProcessDriver');
  private readonly root: string;
  private readonly venvs: string;
  private readonly bundles: string;
  private readonly children = new Map<string, ChildProcess>();
  private listener: (() => void) | null = null;
  private readonly pool: StandbyPool;
  /** Launchers this process started that have not reported RUNNING or FAILED yet: instance id → start time. */
  private readonly starting = new Map<string, number>();
  private lastSweep = 0;
  private readonly uids: UidAllocator;

  constructor(private readonly o: ProcessDriverOptions) {
    this.uids = new UidAllocator(path.join(o.dataDir, 'uids'), o.uidRange[0], o.uidRange[1]);
    this.root = path.join(o.dataDir, 'instances');
    this.venvs = path.join(o.dataDir, 'venvs');
    this.bundles = path.join(o.dataDir, 'bundles');
    this.pool = new StandbyPool({
      dir: path.join(o.dataDir, 'standby'),
      nodePath: o.nodePath,
      launcherPath: o.launcherPath,
      size: o.standbyLaunchers,
      // A sandboxed app starts in its own sandbox, never in an interpreter started outside it.
      python: o.standbyPython && o.sandbox.mode === 'none' ? realPython(o.standbyPython) : null,
      busy: () => this.launchesInProgress(),
      refillCheckMs: 200,
    });
    this.capabilities = {
      maxGpus: 0,
      memoryWarning: o.prlimit ? null : 'memory limits are not enforced on this host (prlimit from util-linux is missing)',
    };
  }

  async init(): Promise<void> {
    mkdirSync(this.root, { recursive: true, mode: 0o700 });
    mkdirSync(this.venvs, { recursive: true, mode: 0o700 });
    mkdirSync(this.bundles, { recursive: true, mode: 0o700 });
    if (this.o.sandbox.ownUids) this.uids.init();
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

  async ping(): Promise<boolean> {
    return existsSync(this.root);
  }

  /** Launchers this process started report their exit at once; others are seen by the periodic reconcile. */
  subscribe(onChange: () => void): void {
    this.listener = onChange;
  }

  private paths(id: string) {
    if (!INSTANCE_ID_PATTERN.test(id)) throw notFound(`instance ${id} not found`);
    const dir = path.join(this.root, id);
    return {
      dir,
      record: path.join(dir, 'instance.json'),
      proc: path.join(dir, 'process.json'),
      lock: path.join(dir, '.lock'),
      launcher: path.join(dir, 'launcher.json'),
      exit: path.join(dir, 'exit.json'),
      out: path.join(dir, 'launcher.out'),
      /** The uid the instance runs as (bwrap sandbox as root). */
      uid: path.join(dir, 'uid'),
      /** Shown inside the sandbox as /run/wharf: the relay's socket. */
      run: path.join(dir, 'run'),
      logs: path.join(dir, 'logs'),
      work: path.join(dir, 'work'),
      data: path.join(dir, 'data'),
    };
  }

  private readRecord(id: string): InstanceRecord | null {
    const parsed = InstanceRecordSchema.safeParse(readJson(this.paths(id).record));
    return parsed.success ? parsed.data : null;
  }

  private readProc(id: string): ProcFile | null {
    const parsed = ProcFileSchema.safeParse(readJson(this.paths(id).proc));
    return parsed.success ? parsed.data : null;
  }

  private write(r: InstanceRecord): void {
    writeJsonAtomic(this.paths(r.id).record, r);
  }

  /** Runs `fn` holding the instance's lock; NOT_FOUND when the instance does not exist (any more). */
  private async locked<T>(id: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await withFileLock(this.paths(id).lock, fn);
    } catch (e) {
      if (e instanceof LockTargetGone) throw notFound(`instance ${id} not found`);
      throw e;
    }
  }

  async get(id: string): Promise<InstanceRecord | null> {
    if (!INSTANCE_ID_PATTERN.test(id)) return null;
    return this.readRecord(id);
  }

  async list(): Promise<InstanceRecord[]> {
    let ids: string[];
    try {
      ids = readdirSync(this.root);
    } catch {
      return [];
    }
    return ids.filter((id) => INSTANCE_ID_PATTERN.test(id)).flatMap((id) => this.readRecord(id) ?? []);
  }

  async create(record: InstanceRecord, plan: PlanFor): Promise<InstanceRecord> {
    await this.checkSingleUser(record);
    const p = this.paths(record.id);
    try {
      mkdirSync(p.dir, { mode: 0o700 });
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'EEXIST') throw conflict(`instance id ${record.id} is taken`);
      throw e;
    }
    try {
      return await this.locked(record.id, async () => {
        this.write(record);
        const after = (r: InstanceRecord) => ({ ...r, status: 'PROVISIONING' as const, statusReason: 'Starting the launcher' });
        return (await this.spawnLocked(record, after, plan)).after;
      });
    } catch (e) {
      rmSync(p.dir, { recursive: true, force: true });
      throw e;
    }
  }

  async update(id: string, mutate: Mutator): Promise<RecordChange | null> {
    try {
      return await this.locked(id, async () => {
        const before = this.readRecord(id);
        if (!before) return null;
        const after = mutate(before);
        if (!after) return { before, after: before };
        this.write(after);
        return { before, after };
      });
    } catch (e) {
      if (WharfError.is(e, 'NOT_FOUND')) return null;
      throw e;
    }
  }

  async start(id: string, mutate: Mutator, plan: PlanFor): Promise<RecordChange> {
    return this.locked(id, async () => {
      const before = this.readRecord(id);
      if (!before) throw notFound(`instance ${id} not found`);
      const next = mutate(before);
      if (!next) return { before, after: before }; // nothing to do (e.g. another replica started it already)
      await this.checkSingleUser(next);
      await this.killLauncher(id);
      return this.spawnLocked(before, () => next, plan);
    });
  }

  /** With the lock held: apply `mutate`, build the plan, start the launcher, store record + process.json. */
  private async spawnLocked(before: InstanceRecord, mutate: Mutator, planFor: PlanFor): Promise<RecordChange> {
    const id = before.id;
    const p = this.paths(id);
    const next = mutate(before) ?? before;
    const plan = await planFor(next);
    const port = await freePort(this.readProc(id)?.port);
    for (const f of [p.proc, p.launcher, p.exit]) rmSync(f, { force: true });
    for (const d of [p.logs, p.work, p.data, p.run]) mkdirSync(d, { recursive: true, mode: 0o700 });
    const r = next.launch;
    const sb = this.o.sandbox;
    const uid = sb.ownUids ? this.uidFor(id) : null;
    // The instance's own folders belong to its uid; everything else of Wharf's stays root's (0700).
    if (uid !== null) for (const d of [p.work, p.data, p.run]) if (statSync(d).uid !== uid) chownTree(d, uid);
    const env: Record<string, string> = {
      PATH: process.env.PATH ?? '/usr/local/bin:/usr/bin:/bin',
      LANG: process.env.LANG ?? 'C.UTF-8',
      HOME: p.work,
      ...platformOnly(plan.env),
      // The app's variables travel as one value and are given to the app only.
      WHARF_APP_ENV: JSON.stringify(plan.appEnv),
      WHARF_SANDBOX: sb.mode,
      ...(sb.bwrap ? { WHARF_BWRAP: sb.bwrap, WHARF_RUN_DIR: p.run } : {}),
      ...(uid !== null && sb.setpriv ? { WHARF_SANDBOX_UID: String(uid), WHARF_SANDBOX_GID: String(uid), WHARF_SETPRIV: sb.setpriv } : {}),
      PORT: String(port),
      WHARF_INSTANCE_ID: id,
      WHARF_GENERATION: String(next.generation),
      WHARF_MODULE: r.module,
      WHARF_BUNDLE_SHA256: r.sha256,
      WHARF_RUNTIME: next.runtime,
      WHARF_PYTHON: realPython(r.python),
      WHARF_WORK_DIR: p.work,
      WHARF_VOLUME_DIR: p.data,
      WHARF_STATE_DIR: p.dir,
      WHARF_LOG_DIR: p.logs,
      WHARF_LOG_MAX_BYTES: String(this.o.logBytes),
      WHARF_VENV_CACHE: this.venvs,
      WHARF_BUNDLE_CACHE: this.bundles,
      WHARF_MEMORY_LIMIT_BYTES: String(r.memoryLimitBytes),
      WHARF_PRLIMIT: this.o.prlimit ?? '',
      WHARF_START_TIMEOUT_SECONDS: String(this.o.startTimeoutSeconds),
      WHARF_STOP_GRACE_MS: String(Math.max(0, this.o.stopGraceMs - 500)),
    };
    // A warm standby when there is one: process.json names it before it learns which instance it
    // serves, so a scheduler killed in between leaves a record of it (it then exits at end-of-file
    // on stdin, and the instance is observed as failed, not lost).
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
    const proc: ProcFile = { generation: next.generation, pid, startTime, port, startedAt: new Date().toISOString() };
    writeJsonAtomic(p.proc, proc);
    if (standby) {
      try {
        this.pool.assign(standby, env, p.work, p.out);
      } catch (e) {
        killGroup(pid, 'SIGKILL');
        throw internal(`cannot hand the instance ${id} to a standby launcher: ${e instanceof Error ? e.message : String(e)}`);
      }
    }
    const now = new Date().toISOString();
    const after: InstanceRecord = { ...next, address: `127.0.0.1:${port}`, updatedAt: now, lastActivityAt: now };
    this.write(after);
    this.log.debug(`started launcher for ${id} (generation ${next.generation}, pid ${pid}, port ${port})`);
    return { before, after };
  }

  /**
   * True while a launcher started here in the last 30 s is neither up nor failed (from its
   * launcher.json). Standbys are refilled only when this is false.
   */
  private launchesInProgress(): boolean {
    for (const [id, since] of this.starting) {
      const p = this.paths(id);
      const state = LauncherStateSchema.safeParse(readJson(p.launcher));
      const settled = state.success && (state.data.status === 'RUNNING' || state.data.status === 'FAILED');
      if (settled || Date.now() - since > 30_000 || !existsSync(p.dir)) this.starting.delete(id);
    }
    return this.starting.size > 0;
  }

  /**
   * Stops the launcher and everything in its process group. The launcher gets SIGTERM first and
   * stops the app itself (so it knows the stop was asked for); after the grace period the whole
   * group gets SIGKILL. Processes left by a launcher whose pid was never recorded (the scheduler
   * died between spawning it and writing process.json) are found by their environment.
   */
  private async killLauncher(id: string): Promise<void> {
    const p = this.paths(id);
    const proc = this.readProc(id);
    const groups = new Set<number>(this.strays(p.dir));
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
   * Process groups of launchers (or their children) started for this instance folder, found in
   * /proc: by their environment (cold-started launchers, the app), or by a working folder inside
   * the instance's (a standby launcher got its environment after exec, so /proc does not show it;
   * it works in `work/`, the app in `work/app/`).
   */
  private strays(dir: string): number[] {
    const needles = [`\0WHARF_STATE_DIR=${dir}\0`, `\0WHARF_VOLUME_DIR=${path.join(dir, 'data')}\0`];
    const groups = new Set<number>();
    let entries: string[];
    try {
      entries = readdirSync('/proc');
    } catch {
      return [];
    }
    for (const e of entries) {
      if (!/^[0-9]+$/.test(e) || Number(e) === process.pid) continue;
      try {
        const environ = `\0${readFileSync(`/proc/${e}/environ`, 'utf8')}`;
        if (!needles.some((n) => environ.includes(n)) && !isInside(dir, cwdOf(e))) continue;
        const stat = readFileSync(`/proc/${e}/stat`, 'utf8');
        const fields = stat.slice(stat.lastIndexOf(') ') + 2).split(' ');
        if (fields[0] !== 'Z') groups.add(Number(fields[2]));
      } catch {
        /* gone, or not ours to read */
      }
    }
    return [...groups];
  }

  async stop(id: string, mutate: Mutator): Promise<RecordChange> {
    return this.locked(id, async () => {
      const before = this.readRecord(id);
      if (!before) throw notFound(`instance ${id} not found`);
      const after = mutate(before);
      if (!after) return { before, after: before };
      await this.killLauncher(id);
      this.write(after);
      return { before, after };
    });
  }

  async terminate(id: string): Promise<InstanceRecord | null> {
    const p = this.paths(id);
    if (!existsSync(p.dir)) return null;
    try {
      return await this.locked(id, async () => {
        const last = this.readRecord(id);
        // Marker first: a crash from here on is finished by reconcile.
        if (last) this.write({ ...last, status: 'TERMINATED', statusReason: 'terminating', address: null });
        await this.killLauncher(id);
        const uid = this.readUid(id);
        this.removeDir(p.dir);
        if (uid !== null) this.uids.release(uid, id);
        return last ? { ...last, status: 'TERMINATED' as const, statusReason: null, address: null } : null;
      });
    } catch (e) {
      if (WharfError.is(e, 'NOT_FOUND')) return null;
      throw e;
    }
  }

  private removeDir(dir: string): void {
    // The lock file inside goes with it; withFileLock's release is then a no-op.
    rmSync(dir, { recursive: true, force: true, maxRetries: 3 });
  }

  async reconcile(): Promise<Observation[]> {
    let ids: string[];
    try {
      ids = readdirSync(this.root).filter((id) => INSTANCE_ID_PATTERN.test(id));
    } catch {
      return [];
    }
    const out: Observation[] = [];
    if (Date.now() - this.lastSweep >= this.o.cacheSweepMs) {
      this.lastSweep = Date.now();
      this.sweepCaches(ids);
      if (this.o.sandbox.ownUids) this.uids.sweep((id) => existsSync(this.paths(id).dir));
    }
    for (const id of ids) {
      try {
        const o = await this.locked(id, () => this.observe(id));
        if (o) out.push(o);
      } catch (e) {
        if (WharfError.is(e, 'NOT_FOUND')) continue;
        this.log.warn(`reconcile ${id}: ${e instanceof Error ? e.message : String(e)}`);
      }
    }
    return out;
  }

  /**
   * Removes unpacked bundles (`bundles/<sha256>`) and venvs (`venvs/<sha256>-<runtime>`) that no
   * instance folder refers to (suspended and failed instances keep theirs: they may resume) and
   * that nobody used for `cacheKeepMs` (launchers touch what they use), plus leftovers of builds
   * that died (older than an hour). An entry is renamed away before it is deleted, so a launcher
   * sees it whole or not at all (and then fetches the bundle itself).
   */
  private sweepCaches(ids: string[]): void {
    const used = new Set(ids.flatMap((id) => this.readRecord(id)?.launch.sha256 ?? []));
    const now = Date.now();
    for (const dir of [this.bundles, this.venvs]) {
      let names: string[];
      try {
        names = readdirSync(dir);
      } catch {
        continue;
      }
      for (const name of names) {
        const full = path.join(dir, name);
        // <sha>[-runtime] (entries), .tmp-<sha>…, <sha>.tmp-…, bundle-<hex>.zip, .trash-… (leftovers)
        const m = /^\.?(?:tmp-)?([0-9a-f]{64})/.exec(name);
        const leftover = name.includes('.tmp-') || name.startsWith('.') || /^bundle-[0-9a-f]+\.zip$/.test(name);
        if ((!m && !leftover) || name.endsWith('.lock') || existsSync(`${full}.lock`)) continue;
        if (!leftover && used.has(m![1]!)) continue;
        try {
          if (now - statSync(full).mtimeMs < (leftover ? 3600_000 : this.o.cacheKeepMs)) continue;
          const trash = path.join(dir, `.trash-${process.pid}-${now}-${name.slice(0, 16)}`);
          renameSync(full, trash);
          removeTree(trash);
          this.log.log(`removed the cached ${dir === this.venvs ? 'venv' : 'bundle'} ${name} (no instance uses it)`);
        } catch (e) {
          this.log.warn(`cache sweep: ${full}: ${e instanceof Error ? e.message : String(e)}`);
        }
      }
    }
  }

  /** With the lock held: compare the record with the processes and files, fix what is off. */
  private async observe(id: string): Promise<Observation | null> {
    const p = this.paths(id);
    const r = this.readRecord(id);
    if (!r) {
      // A folder without a record: a create that died before writing it. Remove once clearly abandoned.
      const age = Date.now() - statSync(p.dir).mtimeMs;
      if (age > 60_000) this.removeDir(p.dir);
      return null;
    }
    if (r.status === 'TERMINATED') {
      await this.killLauncher(id);
      this.removeDir(p.dir);
      return { kind: 'terminated', record: r };
    }
    const proc = this.readProc(id);
    const alive = !!proc && processAlive(proc.pid, proc.startTime);
    if (!isLive(r.status)) {
      if (proc) await this.killLauncher(id); // leftover of an interrupted stop
      return null;
    }
    if (!proc || proc.generation !== r.generation) return { kind: 'unstarted', record: r };
    const state = LauncherStateSchema.safeParse(readJson(p.launcher));
    const reported = state.success && state.data.generation === r.generation ? state.data : null;
    if (alive) {
      if (reported && isProgress(r.status, reported.status, r.statusReason, reported.reason)) {
        return this.change(r, { status: reported.status, statusReason: reported.reason });
      }
      return null;
    }
    // The launcher is gone: kill stragglers of its group, then say why.
    await this.killLauncher(id);
    const exit = ExitFileSchema.safeParse(readJson(p.exit));
    const ex = exit.success && exit.data.generation === r.generation ? exit.data : null;
    if (ex && ex.code === 0) {
      return this.change(r, { status: 'SUSPENDED', statusReason: `the launcher was stopped from outside Wharf (${ex.reason}); resume to start it again`, address: null });
    }
    if (reported?.status === 'FAILED' && reported.reason) {
      return this.change(r, { status: 'FAILED', statusReason: reported.reason, address: null });
    }
    const last = await tailLines(p.logs, 20);
    const own = readTail(p.out, 10);
    const why = ex ? ex.reason : 'the launcher process disappeared (killed, or out of memory)';
    const reason = [why, '--- last log lines ---', ...last, ...(own.length ? ['--- launcher output ---', ...own] : [])].join('\n');
    return this.change(r, { status: 'FAILED', statusReason: reason.slice(0, 15_000), address: null });
  }

  private change(r: InstanceRecord, patch: Partial<InstanceRecord>): Observation {
    const now = new Date().toISOString();
    const after: InstanceRecord = { ...r, ...patch, updatedAt: now, lastActivityAt: now };
    this.write(after);
    return { kind: 'changed', before: r, after };
  }

  /** The instance's uid (claimed at its first start, kept for its life: its files belong to it). */
  private uidFor(id: string): number {
    const known = this.readUid(id);
    const uid = this.uids.claim(id, known);
    if (uid !== known) writeFileSync(this.paths(id).uid, String(uid), { mode: 0o600 });
    return uid;
  }

  private readUid(id: string): number | null {
    try {
      const n = Number(readFileSync(this.paths(id).uid, 'utf8'));
      return Number.isInteger(n) && n > 0 ? n : null;
    } catch {
      return null;
    }
  }

  /**
   * Without a sandbox (`ProcessSandbox = "none"`) every app runs with Wharf's own rights, so this
   * host runs the apps of one user only: a start for anyone else is refused while that user's run.
   */
  private async checkSingleUser(r: InstanceRecord): Promise<void> {
    if (this.o.sandbox.mode !== 'none') return;
    const other = (await this.list()).some((o) => o.id !== r.id && isLive(o.status) && o.owner.sub !== r.owner.sub);
    if (other) {
      throw forbidden(
        "this Wharf runs apps without a sandbox (Scheduler.ProcessSandbox = \"none\"), so it runs one user's apps at a time, and another user's apps are running; " +
          'ask an administrator to install bubblewrap and set Scheduler.ProcessSandbox = "bwrap"',
      );
    }
  }

  async readLogs(id: string, tail: number): Promise<string[]> {
    const p = this.paths(id);
    if (!existsSync(p.dir)) throw notFound(`instance ${id} not found`);
    return tailLines(p.logs, tail);
  }

  followLogs(id: string, tail: number, signal: AbortSignal): AsyncIterable<string> {
    const p = this.paths(id);
    return followLines(p.logs, tail, signal, () => existsSync(p.dir));
  }
}

/** `chown -R uid:uid` without following symlinks. */
function chownTree(dir: string, uid: number): void {
  lchownSync(dir, uid, uid);
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, e.name);
    if (e.isDirectory()) chownTree(full, uid);
    else lchownSync(full, uid, uid);
  }
}

/** Only the platform's own variables of a plan's `env` (the app's travel in WHARF_APP_ENV). */
function platformOnly(env: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(env).filter(([k]) => k.startsWith('WHARF_')));
}

/** rm -rf that also removes read-only trees (venvs are made read-only once built). */
function removeTree(dir: string): void {
  const writable = (d: string) => {
    chmodSync(d, 0o700);
    for (const e of readdirSync(d, { withFileTypes: true })) if (e.isDirectory()) writable(path.join(d, e.name));
  };
  try {
    writable(dir);
  } catch {
    /* rmSync reports what is left */
  }
  rmSync(dir, { recursive: true, force: true });
}

/** A process's working folder (without the ' (deleted)' suffix of a removed one), or ''. */
function cwdOf(pid: string): string {
  try {
    return readlinkSync(`/proc/${pid}/cwd`).replace(/ \(deleted\)$/, '');
  } catch {
    return '';
  }
}

const isInside = (dir: string, p: string) => p === dir || p.startsWith(`${dir}/`);

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
