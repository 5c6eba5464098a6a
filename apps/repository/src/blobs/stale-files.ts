import { createHash } from 'node:crypto';
import { readdir, stat, unlink } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { processAlive } from '@wharf/host';

/** This machine, shortened: temporary files name the process that writes them as `<pid>@<host>`. */
const HOST = createHash('sha256').update(os.hostname()).digest('hex').slice(0, 8);
/** The writer's mark in a temporary file's name (a blob's `.part`, an import's staging file). */
export const OWNER = `${process.pid}@${HOST}`;
const OWNED = /\.(\d+)@([0-9a-f]{8})\./;
/** A temporary file nobody on this machine can still be writing, however it was named: no write lasts this long. */
export const STALE_AFTER_MS = 24 * 3600_000;

/**
 * True for a temporary file left by a writer that is gone: one of this machine whose process no
 * longer runs (or had this process's pid before it: this runs at start, before any write of its
 * own), or any older than STALE_AFTER_MS (one of another machine sharing the folder).
 */
export function isStale(name: string, mtimeMs: number, now = Date.now()): boolean {
  const m = OWNED.exec(name);
  if (m && m[2] === HOST) {
    const pid = Number(m[1]);
    return pid === process.pid || !processAlive(pid, null); // a zombie is gone too
  }
  return now - mtimeMs > STALE_AFTER_MS;
}

/**
 * Removes the stale temporary files (names `temporary` matches) under `dir`, however deep: what a
 * process killed in the middle of an import left behind. Returns how many went. Run at start.
 */
export async function sweepStale(dir: string, temporary: (name: string) => boolean): Promise<number> {
  let removed = 0;
  let entries;
  try {
    entries = await readdir(dir, { withFileTypes: true, recursive: true });
  } catch {
    return 0; // not there yet
  }
  for (const e of entries) {
    if (!e.isFile() || !temporary(e.name)) continue;
    const file = path.join(e.parentPath, e.name);
    try {
      if (isStale(e.name, (await stat(file)).mtimeMs)) {
        await unlink(file);
        removed++;
      }
    } catch {
      // gone already, or another replica took it
    }
  }
  return removed;
}
