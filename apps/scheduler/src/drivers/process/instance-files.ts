import { chmodSync, chownSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { INSTANCE_ID_PATTERN, notFound } from '@wharf/contracts';
import { chownTree } from '@wharf/host';
import { EXIT_FILE, LAUNCHER_STATE_FILE, parseLauncherExit, parseLauncherState, type AppFileMount, type LauncherExit, type LauncherState } from '@wharf/contracts/launcher';
import { z } from 'zod';
import { LockTargetGone, readJson, withFileLock, writeJsonAtomic } from '../../common/file-lock';
import { InstanceRecordSchema, type InstanceRecord } from '../../instances/instance.record';
import type { AppFile } from '../instance-driver';

/** What the driver knows about the launcher of the record's current generation: `process.json`. */
const ProcFileSchema = z.object({
  generation: z.number().int(),
  pid: z.number().int(),
  /** /proc start time of the pid: a reused pid is not our launcher. */
  startTime: z.number().nullable(),
  port: z.number().int(),
  /** Without a sandbox: the port the app was given (claimed like `port`). */
  appPort: z.number().int().nullable().optional(),
  startedAt: z.string(),
});
export type ProcFile = z.infer<typeof ProcFileSchema>;

/** The files and folders of one instance, `<DataDir>/instances/<id>/`. */
export interface InstancePaths {
  dir: string;
  record: string;
  proc: string;
  lock: string;
  launcher: string;
  exit: string;
  /** The launcher's own stdout/stderr. */
  out: string;
  /** The uid the instance runs as (bwrap sandbox as root). */
  uid: string;
  /** Shown inside the sandbox as /run/wharf: the relay's socket. */
  run: string;
  logs: string;
  work: string;
  data: string;
  /** The app's `[[File]]` contents of the current start (bound read-only in the sandbox; never shown as a folder). */
  files: string;
}

/**
 * The process driver's record store: each instance's folder under `<DataDir>/instances/`, with
 * `instance.json` (the record), `process.json` (its launcher), the launcher's state files, and a
 * lock file that every change of them is made under (across replicas on the same data dir).
 */
export class InstanceFiles {
  constructor(readonly root: string) {}

  init(): void {
    mkdirSync(this.root, { recursive: true, mode: 0o700 });
  }

  exists(): boolean {
    return existsSync(this.root);
  }

  /** NOT_FOUND for an id that is not one (never a path outside the root). */
  paths(id: string): InstancePaths {
    if (!INSTANCE_ID_PATTERN.test(id)) throw notFound(`instance ${id} not found`);
    const dir = path.join(this.root, id);
    return {
      dir,
      record: path.join(dir, 'instance.json'),
      proc: path.join(dir, 'process.json'),
      lock: path.join(dir, '.lock'),
      launcher: path.join(dir, LAUNCHER_STATE_FILE),
      exit: path.join(dir, EXIT_FILE),
      out: path.join(dir, 'launcher.out'),
      uid: path.join(dir, 'uid'),
      run: path.join(dir, 'run'),
      logs: path.join(dir, 'logs'),
      work: path.join(dir, 'work'),
      data: path.join(dir, 'data'),
      files: path.join(dir, 'files'),
    };
  }

  /** Ids of every instance folder (records or not). */
  ids(): string[] {
    return (readdirSafe(this.root) ?? []).filter((id) => INSTANCE_ID_PATTERN.test(id));
  }

  readRecord(id: string): InstanceRecord | null {
    const parsed = InstanceRecordSchema.safeParse(readJson(this.paths(id).record));
    return parsed.success ? parsed.data : null;
  }

  writeRecord(r: InstanceRecord): void {
    writeJsonAtomic(this.paths(r.id).record, r);
  }

  readProc(id: string): ProcFile | null {
    const parsed = ProcFileSchema.safeParse(readJson(this.paths(id).proc));
    return parsed.success ? parsed.data : null;
  }

  writeProc(id: string, proc: ProcFile): void {
    writeJsonAtomic(this.paths(id).proc, proc);
  }

  readLauncherState(id: string): LauncherState | null {
    return parseLauncherState(readJson(this.paths(id).launcher));
  }

  readLauncherExit(id: string): LauncherExit | null {
    return parseLauncherExit(readJson(this.paths(id).exit));
  }

  /** The last `n` lines of the launcher's own output. */
  launcherOutput(id: string, n: number): string[] {
    return readTail(this.paths(id).out, n);
  }

  /** Runs `fn` holding the instance's lock; NOT_FOUND when the instance does not exist (any more). */
  async locked<T>(id: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await withFileLock(this.paths(id).lock, fn);
    } catch (e) {
      if (e instanceof LockTargetGone) throw notFound(`instance ${id} not found`);
      throw e;
    }
  }

  /** Before a start: no files of the previous launcher, every folder there, the instance's own ones owned by `uid`. */
  async prepareStart(id: string, uid: number | null): Promise<InstancePaths> {
    const p = this.paths(id);
    for (const f of [p.proc, p.launcher, p.exit]) rmSync(f, { force: true });
    for (const d of [p.logs, p.work, p.data, p.run]) mkdirSync(d, { recursive: true, mode: 0o700 });
    // The instance's own folders belong to its uid; everything else of Wharf's stays root's (0700).
    if (uid !== null) for (const d of [p.work, p.data, p.run]) if (statSync(d).uid !== uid) await chownTree(d, uid, uid);
    return p;
  }

  /**
   * Writes the app's `[[File]]` contents for a start into `files/`, replacing the previous
   * start's, and answers where the sandbox binds each. Wharf owns the folder (0700) and the files,
   * so the app cannot change them: literal files 0444, secret ones 0440 with the instance's group
   * (`gid`, as root) so its uid reads them and no other instance's does. Named by index, so
   * nothing of a path reaches the host's file names.
   */
  writeAppFiles(id: string, files: readonly AppFile[], gid: number | null): AppFileMount[] {
    const dir = this.paths(id).files;
    this.removeAppFiles(id);
    if (files.length === 0) return [];
    mkdirSync(dir, { mode: 0o700 });
    return files.map((f, i) => {
      const source = path.join(dir, String(i));
      const mode = f.secret ? 0o440 : 0o444;
      writeFileSync(source, f.value, { mode: 0o600, flag: 'wx' });
      if (gid !== null) chownSync(source, process.getuid?.() ?? 0, gid);
      chmodSync(source, mode);
      return { path: f.path, source };
    });
  }

  /** Removes the `[[File]]` contents (at every stop: secret values do not outlive the app). */
  removeAppFiles(id: string): void {
    rmSync(this.paths(id).files, { recursive: true, force: true });
  }

  /** The instance's uid, as claimed at its first start, or null. */
  readUid(id: string): number | null {
    try {
      const n = Number(readFileSync(this.paths(id).uid, 'utf8'));
      return Number.isInteger(n) && n > 0 ? n : null;
    } catch {
      return null;
    }
  }

  writeUid(id: string, uid: number): void {
    writeFileSync(this.paths(id).uid, String(uid), { mode: 0o600 });
  }

  /** Removes the instance's folder; the lock file inside goes with it (withFileLock's release is then a no-op). */
  remove(id: string): void {
    rmSync(this.paths(id).dir, { recursive: true, force: true, maxRetries: 3 });
  }
}

function readdirSafe(dir: string): string[] | null {
  try {
    return readdirSync(dir);
  } catch {
    return null;
  }
}

/** The last `n` lines of a small file (none when missing). */
function readTail(file: string, n: number): string[] {
  try {
    return readFileSync(file, 'utf8').split('\n').filter(Boolean).slice(-n);
  } catch {
    return [];
  }
}
