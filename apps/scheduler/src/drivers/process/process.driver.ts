import { existsSync, mkdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { Logger } from '@nestjs/common';
import { conflict, forbidden, INSTANCE_ID_PATTERN, instanceBasePath, invalid, notFound, WharfError } from '@wharf/contracts';
import { launcherEnvRecord, type AppFileMount } from '@wharf/contracts/launcher';
import { ephemeralPortRange, loopbackPortFree } from '@wharf/host';
import { currentRequestId } from '@wharf/nats';
import { isLive, routingModeOf, type InstanceRecord } from '../../instances/instance.record';
import { appEnvWithSecrets, type InstanceDriver, type LaunchPlan, type Mutator, type Observation, type PlanFor, type RecordChange } from '../instance-driver';
import { deathPatch, patched, progressPatch } from '../launcher-outcome';
import { CacheSweeper } from './cache-sweeper';
import { InstanceFiles, type InstancePaths } from './instance-files';
import { LauncherProcesses, realPython } from './launcher-processes';
import { followLines, tailLines } from './log-files';
import { RangeClaims } from './range-claims';
import type { SandboxTools } from './sandbox-users';

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
  /**
   * `[first, last]`: the loopback ports launchers listen on (and, without a sandbox, their apps),
   * claimed per instance; outside the kernel's ephemeral range, so no connection takes one
   * between its claim and the launcher's listen.
   */
  portRange: [number, number];
}

/**
 * Instances as local processes. Each is a launcher (`node apps/launcher/dist/main.js`) started
 * detached, in its own process group, so that a scheduler killed with -9 leaves it running (the
 * next scheduler adopts it by pid + start time) and stopping it kills the launcher, pip and the app
 * at once. Its folder `<DataDir>/instances/<id>/` holds everything: `instance.json` (the record),
 * `process.json` (pid, start time, port, generation), `launcher.json` / `exit.json` (written by the
 * launcher), `logs/` (the launcher's two-file ring), `work/` (bundle, app), `data/` (the volume,
 * kept across suspend/resume), `files/` (the app's `[[File]]` contents while it runs, Wharf's, bound
 * read-only in the sandbox). Terminating removes the folder.
 *
 * This class only composes the driver's parts: the record store (instance-files.ts), process
 * control (launcher-processes.ts, with proc-scan.ts and standby-pool.ts), the cache sweeper
 * (cache-sweeper.ts), the sandbox (sandbox-users.ts) and the uid and port claims
 * (range-claims.ts); what a launcher's state and exit mean for the record is the same for every
 * driver (../launcher-outcome.ts).
 */
export class ProcessDriver implements InstanceDriver {
  readonly name = 'process' as const;
  readonly capabilities;
  private readonly log = new Logger('ProcessDriver');
  private readonly files: InstanceFiles;
  private readonly launchers: LauncherProcesses;
  private readonly caches: CacheSweeper;
  private readonly uids: RangeClaims;
  private readonly ports: RangeClaims;
  private readonly venvs: string;
  private readonly bundles: string;

  constructor(private readonly o: ProcessDriverOptions) {
    this.uids = new RangeClaims(path.join(o.dataDir, 'uids'), o.uidRange[0], o.uidRange[1], 'uid of Scheduler.ProcessUidRange');
    this.ports = new RangeClaims(path.join(o.dataDir, 'ports'), o.portRange[0], o.portRange[1], 'port of Scheduler.ProcessPortRange');
    this.files = new InstanceFiles(path.join(o.dataDir, 'instances'));
    this.venvs = path.join(o.dataDir, 'venvs');
    this.bundles = path.join(o.dataDir, 'bundles');
    this.caches = new CacheSweeper({ bundles: this.bundles, venvs: this.venvs, keepMs: o.cacheKeepMs, everyMs: o.cacheSweepMs });
    this.launchers = new LauncherProcesses(
      {
        standbyDir: path.join(o.dataDir, 'standby'),
        nodePath: o.nodePath,
        launcherPath: o.launcherPath,
        stopGraceMs: o.stopGraceMs,
        standbyLaunchers: o.standbyLaunchers,
        // A sandboxed app starts in its own sandbox, never in an interpreter started outside it.
        standbyPython: o.standbyPython && o.sandbox.mode === 'none' ? realPython(o.standbyPython) : null,
      },
      this.files,
    );
    this.capabilities = {
      maxGpus: 0,
      memoryWarning: o.prlimit ? null : 'memory limits are not enforced on this host (prlimit from util-linux is missing)',
    };
  }

  async init(): Promise<void> {
    this.files.init();
    this.caches.init();
    if (this.o.sandbox.ownUids) this.uids.init();
    this.ports.init();
    const ephemeral = ephemeralPortRange();
    const [first, last] = this.o.portRange;
    if (ephemeral && first <= ephemeral[1] && last >= ephemeral[0]) {
      this.log.warn(
        `Scheduler.ProcessPortRange (${first}-${last}) overlaps the ports this host gives to outgoing connections (net.ipv4.ip_local_port_range: ${ephemeral[0]}-${ephemeral[1]}): ` +
          'a launch may then fail with "address in use"; choose a range outside it, or reserve it with net.ipv4.ip_local_reserved_ports',
      );
    }
    this.launchers.init();
  }

  async close(): Promise<void> {
    await this.launchers.close();
  }

  async ping(): Promise<boolean> {
    return this.files.exists();
  }

  /** Launchers this process started report their exit at once; others are seen by the periodic reconcile. */
  subscribe(onChange: () => void): void {
    this.launchers.onExit(onChange);
  }

  async get(id: string): Promise<InstanceRecord | null> {
    if (!INSTANCE_ID_PATTERN.test(id)) return null;
    return this.files.readRecord(id);
  }

  async list(): Promise<InstanceRecord[]> {
    return this.files.ids().flatMap((id) => this.files.readRecord(id) ?? []);
  }

  async create(record: InstanceRecord, plan: PlanFor): Promise<InstanceRecord> {
    await this.checkSingleUser(record);
    this.checkFilesMountable(record);
    const p = this.files.paths(record.id);
    try {
      mkdirSync(p.dir, { mode: 0o700 });
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'EEXIST') throw conflict(`instance id ${record.id} is taken`);
      throw e;
    }
    try {
      return await this.files.locked(record.id, async () => {
        this.files.writeRecord(record);
        const after = (r: InstanceRecord) => ({ ...r, status: 'PROVISIONING' as const, statusReason: 'Starting the launcher' });
        return (await this.spawnLocked(record, after, plan)).after;
      });
    } catch (e) {
      this.forget(record.id);
      throw e;
    }
  }

  async update(id: string, mutate: Mutator): Promise<RecordChange | null> {
    try {
      return await this.files.locked(id, async () => {
        const before = this.files.readRecord(id);
        if (!before) return null;
        const after = mutate(before);
        if (!after) return { before, after: before };
        this.files.writeRecord(after);
        return { before, after };
      });
    } catch (e) {
      if (WharfError.is(e, 'NOT_FOUND')) return null;
      throw e;
    }
  }

  async start(id: string, mutate: Mutator, plan: PlanFor): Promise<RecordChange> {
    return this.files.locked(id, async () => {
      const before = this.files.readRecord(id);
      if (!before) throw notFound(`instance ${id} not found`);
      const next = mutate(before);
      if (!next) return { before, after: before }; // nothing to do (e.g. another replica started it already)
      await this.checkSingleUser(next);
      this.checkFilesMountable(next);
      await this.launchers.kill(id);
      return this.spawnLocked(before, () => next, plan);
    });
  }

  /** With the lock held: apply `mutate`, build the plan, start the launcher, store record + process.json. */
  private async spawnLocked(before: InstanceRecord, mutate: Mutator, planFor: PlanFor): Promise<RecordChange> {
    const id = before.id;
    const next = mutate(before) ?? before;
    const plan = await planFor(next);
    const { port, appPort } = await this.portsFor(id);
    const uid = this.o.sandbox.ownUids ? await this.uidFor(id) : null;
    const p = await this.files.prepareStart(id, uid);
    let pid: number;
    try {
      const appFiles = this.files.writeAppFiles(id, plan.appFiles, uid);
      const env = this.launcherEnv(next, plan, p, { port, appPort }, uid, appFiles);
      ({ pid } = await this.launchers.launch(id, next.generation, { port, appPort }, env));
    } catch (e) {
      this.files.removeAppFiles(id);
      this.releasePorts(id, port, appPort); // no launcher holds them
      throw e;
    }
    const now = new Date().toISOString();
    const after: InstanceRecord = { ...next, address: `127.0.0.1:${port}`, updatedAt: now, lastActivityAt: now };
    this.files.writeRecord(after);
    this.log.debug(`started launcher for ${id} (generation ${next.generation}, pid ${pid}, port ${port})`);
    return { before, after };
  }

  /** The launcher's whole environment: the basics, then the launcher contract (`@wharf/contracts/launcher`). */
  private launcherEnv(
    next: InstanceRecord,
    plan: LaunchPlan,
    p: InstancePaths,
    { port, appPort }: { port: number; appPort: number | null },
    uid: number | null,
    appFiles: AppFileMount[],
  ): Record<string, string> {
    const r = next.launch;
    const sb = this.o.sandbox;
    return {
      PATH: process.env.PATH ?? '/usr/local/bin:/usr/bin:/bin',
      LANG: process.env.LANG ?? 'C.UTF-8',
      HOME: p.work,
      ...launcherEnvRecord({
        ...plan.env,
        // The app's variables travel as one value and are given to the app only.
        WHARF_APP_ENV: appEnvWithSecrets(plan),
        WHARF_SANDBOX: sb.mode,
        ...(sb.bwrap ? { WHARF_BWRAP: sb.bwrap, WHARF_RUN_DIR: p.run } : {}),
        ...(uid !== null && sb.setpriv ? { WHARF_SANDBOX_UID: uid, WHARF_SANDBOX_GID: uid, WHARF_SETPRIV: sb.setpriv } : {}),
        PORT: port,
        ...(appPort !== null ? { WHARF_APP_PORT: appPort } : {}),
        WHARF_INSTANCE_ID: next.id,
        WHARF_BASE_PATH: instanceBasePath(next.id, routingModeOf(next)),
        // the Run, resume or upgrade this launch belongs to, for its log lines and status reports
        WHARF_REQUEST_ID: currentRequestId(),
        WHARF_GENERATION: next.generation,
        WHARF_MODULE: r.module,
        WHARF_BUNDLE_SHA256: r.sha256,
        WHARF_RUNTIME: next.runtime,
        WHARF_PYTHON: realPython(r.python),
        WHARF_WORK_DIR: p.work,
        WHARF_VOLUME_DIR: p.data,
        WHARF_STATE_DIR: p.dir,
        WHARF_LOG_DIR: p.logs,
        WHARF_LOG_MAX_BYTES: this.o.logBytes,
        WHARF_VENV_CACHE: this.venvs,
        WHARF_BUNDLE_CACHE: this.bundles,
        WHARF_MEMORY_LIMIT_BYTES: r.memoryLimitBytes,
        WHARF_PRLIMIT: this.o.prlimit ?? '',
        WHARF_START_TIMEOUT_SECONDS: this.o.startTimeoutSeconds,
        WHARF_STOP_GRACE_MS: Math.max(0, this.o.stopGraceMs - 500),
        // Where the contents are, never the contents.
        ...(appFiles.length ? { WHARF_APP_FILES: appFiles } : {}),
      }),
    };
  }

  async stop(id: string, mutate: Mutator): Promise<RecordChange> {
    return this.files.locked(id, async () => {
      const before = this.files.readRecord(id);
      if (!before) throw notFound(`instance ${id} not found`);
      const after = mutate(before);
      if (!after) return { before, after: before };
      await this.stopLauncher(id);
      this.files.writeRecord(after);
      return { before, after };
    });
  }

  async terminate(id: string): Promise<InstanceRecord | null> {
    const p = this.files.paths(id);
    if (!existsSync(p.dir)) return null;
    try {
      return await this.files.locked(id, async () => {
        const last = this.files.readRecord(id);
        // Marker first: a crash from here on is finished by reconcile.
        if (last) this.files.writeRecord({ ...last, status: 'TERMINATED', statusReason: 'terminating', address: null });
        await this.launchers.kill(id);
        this.forget(id);
        return last ? { ...last, status: 'TERMINATED' as const, statusReason: null, address: null } : null;
      });
    } catch (e) {
      if (WharfError.is(e, 'NOT_FOUND')) return null;
      throw e;
    }
  }

  async reconcile(): Promise<Observation[]> {
    if (!this.files.exists()) return [];
    const ids = this.files.ids();
    const out: Observation[] = [];
    const inUse = () => new Set(ids.flatMap((id) => this.files.readRecord(id)?.launch.sha256 ?? []));
    if (this.caches.sweepIfDue(inUse)) {
      const exists = (id: string) => existsSync(this.files.paths(id).dir);
      if (this.o.sandbox.ownUids) this.uids.sweep(exists);
      this.ports.sweep(exists);
    }
    for (const id of ids) {
      try {
        const o = await this.files.locked(id, () => this.observe(id));
        if (o) out.push(o);
      } catch (e) {
        if (WharfError.is(e, 'NOT_FOUND')) continue;
        this.log.warn(`reconcile ${id}: ${e instanceof Error ? e.message : String(e)}`);
      }
    }
    return out;
  }

  /** With the lock held: compare the record with the processes and files, fix what is off. */
  private async observe(id: string): Promise<Observation | null> {
    const p = this.files.paths(id);
    const r = this.files.readRecord(id);
    if (!r) {
      // A folder without a record: a create that died before writing it. Remove once clearly abandoned.
      const age = Date.now() - statSync(p.dir).mtimeMs;
      if (age > 60_000) this.forget(id);
      return null;
    }
    if (r.status === 'TERMINATED') {
      await this.launchers.kill(id);
      this.forget(id);
      return { kind: 'terminated', record: r };
    }
    const proc = this.files.readProc(id);
    const alive = this.launchers.alive(proc);
    if (!isLive(r.status)) {
      if (proc) await this.stopLauncher(id); // leftover of an interrupted stop
      else this.files.removeAppFiles(id);
      return null;
    }
    if (!proc || proc.generation !== r.generation) return { kind: 'unstarted', record: r };
    const state = this.files.readLauncherState(id);
    if (alive) {
      const patch = progressPatch(r, state);
      return patch ? this.change(r, patch) : null;
    }
    // The launcher is gone: kill stragglers of its group, remove its app's files, then say why.
    await this.stopLauncher(id);
    const patch = await deathPatch(r, state, this.files.readLauncherExit(id), async () => ({
      log: await tailLines(p.logs, 20),
      launcherOutput: this.files.launcherOutput(id, 10),
    }));
    return this.change(r, patch);
  }

  private change(r: InstanceRecord, patch: Partial<InstanceRecord>): Observation {
    const after = patched(r, patch);
    this.files.writeRecord(after);
    return { kind: 'changed', before: r, after };
  }

  /** The instance's uid (claimed at its first start, kept for its life: its files belong to it). */
  private async uidFor(id: string): Promise<number> {
    const known = this.files.readUid(id);
    const uid = await this.uids.claim(id, known);
    if (uid !== known) this.files.writeUid(id, uid);
    return uid;
  }

  /**
   * The launcher's port (its address) and, without a sandbox, its app's: claimed from
   * `ProcessPortRange` while the instance runs (a resume or restart takes the same ones again while
   * nothing else listens there: claims start at a point derived from the id, and a restart's
   * previous ones are still the id's), each free on loopback when claimed. No process.json is left
   * to name earlier ports: every start comes after `launchers.kill`, which removes it. The range
   * lies outside the ports the kernel hands out, so none is taken by a connection before the
   * launcher (or the app) listens on it.
   */
  private async portsFor(id: string): Promise<{ port: number; appPort: number | null }> {
    const port = await this.ports.claim(id, null, loopbackPortFree);
    if (this.o.sandbox.mode !== 'none') return { port, appPort: null }; // a sandboxed app listens in its own network
    const appPort = await this.ports.claim(id, null, (n) => n !== port && loopbackPortFree(n));
    return { port, appPort };
  }

  /**
   * Stops the launcher and its app (the whole process group), removes the app's files and gives
   * the ports back: a stopped instance holds none (a resume takes the same ones again when free).
   */
  private async stopLauncher(id: string): Promise<void> {
    const proc = this.files.readProc(id);
    await this.launchers.kill(id);
    this.files.removeAppFiles(id);
    this.releasePorts(id, proc?.port, proc?.appPort);
  }

  private releasePorts(id: string, ...ports: (number | null | undefined)[]): void {
    for (const n of ports) if (n) this.ports.release(n, id);
  }

  /** Removes the instance's folder and gives back its port and uid claims. */
  private forget(id: string): void {
    this.files.remove(id);
    this.ports.releaseAll(id);
    if (this.o.sandbox.ownUids) this.uids.releaseAll(id);
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

  /**
   * `[[File]]` entries are bound at their paths by the sandbox: without one (`ProcessSandbox =
   * "none"`) they could only be written on the host itself, so such an app does not start here.
   */
  private checkFilesMountable(r: InstanceRecord): void {
    if (this.o.sandbox.mode !== 'none' || r.launch.files.length === 0) return;
    throw invalid(
      `${r.appName}@${r.appVersion} mounts files at ${r.launch.files.map((f) => f.path).join(', ')} ([[File]] in its app.toml), which this Wharf cannot do: ` +
        'it runs apps without a sandbox (Scheduler.ProcessSandbox = "none"), where those paths would be on the host itself; ' +
        'ask an administrator to install bubblewrap and set Scheduler.ProcessSandbox = "bwrap"',
    );
  }

  async readLogs(id: string, tail: number): Promise<string[]> {
    const p = this.files.paths(id);
    if (!existsSync(p.dir)) throw notFound(`instance ${id} not found`);
    return tailLines(p.logs, tail);
  }

  followLogs(id: string, tail: number, signal: AbortSignal): AsyncIterable<string> {
    const p = this.files.paths(id);
    return followLines(p.logs, tail, signal, () => existsSync(p.dir));
  }
}
