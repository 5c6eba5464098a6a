import { randomBytes } from 'node:crypto';
import { closeSync, openSync, readFileSync, renameSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { Logger } from '@nestjs/common';
import { unavailable } from '@wharf/contracts';
import { processAlive, procStat } from '@wharf/host';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const log = new Logger('FileLock');

/** Writes so that readers see the old or the new content, never half of it. */
export function writeJsonAtomic(file: string, value: unknown, mode = 0o600): void {
  const tmp = `${file}.${process.pid}.${randomBytes(3).toString('hex')}.tmp`;
  writeFileSync(tmp, JSON.stringify(value, null, 2), { mode });
  renameSync(tmp, file);
}

export function readJson(file: string): unknown {
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as unknown;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
    if (e instanceof SyntaxError) return null;
    throw e;
  }
}

export class LockTargetGone extends Error {}

/**
 * An exclusive lock between processes on one machine (scheduler replicas sharing a data dir) and
 * between concurrent operations in one process: a file created with O_EXCL holding
 * `<pid> <process start time>`. A lock whose holder is gone (killed -9 mid-operation) is broken.
 * ENOENT on the lock's folder means what it protects was removed: `LockTargetGone`.
 */
export async function withFileLock<T>(lockFile: string, fn: () => Promise<T>, timeoutMs = 30_000): Promise<T> {
  const me = `${process.pid} ${selfStart()}`;
  const deadline = Date.now() + timeoutMs;
  let delay = 5;
  for (;;) {
    let fd: number;
    try {
      fd = openSync(lockFile, 'wx', 0o600);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'ENOENT') throw new LockTargetGone(lockFile);
      if (code !== 'EEXIST') throw e;
      if (holderGone(lockFile)) {
        rmSync(lockFile, { force: true });
        continue;
      }
      if (Date.now() > deadline) {
        // the answer may reach users: the lock's path goes to the log only
        log.warn(`timed out after ${timeoutMs} ms waiting for ${lockFile}`);
        throw unavailable('the scheduler is busy with another operation on the same state; try again in a moment');
      }
      await sleep(delay);
      delay = Math.min(delay * 2, 50);
      continue;
    }
    try {
      writeSync(fd, me);
    } finally {
      closeSync(fd);
    }
    try {
      return await fn();
    } finally {
      rmSync(lockFile, { force: true });
    }
  }
}

let selfStartCache: string | undefined;
function selfStart(): string {
  selfStartCache ??= String(procStat(process.pid)?.startTime ?? 0);
  return selfStartCache;
}

function holderGone(lockFile: string): boolean {
  let text: string;
  try {
    text = readFileSync(lockFile, 'utf8');
  } catch {
    return false; // just released, or being written: look again
  }
  const [pid, start] = text.trim().split(' ');
  if (!pid) return false; // being written
  return !processAlive(Number(pid), start === undefined || start === '0' ? null : Number(start));
}
