import { closeSync, openSync, readFileSync, writeSync } from 'node:fs';
import { rm, stat } from 'node:fs/promises';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Holds `<final>.lock` while building a shared folder (a venv, an unpacked bundle), so that
 * instances of the same app version started together build it once: the others wait for it to
 * appear. A lock whose holder died (or that
 * is older than `staleMs`) is broken.
 */
export async function withBuildLock(lockFile: string, ready: () => boolean, build: () => Promise<void>, staleMs = 15 * 60_000): Promise<void> {
  for (;;) {
    if (ready()) return;
    let fd: number;
    try {
      fd = openSync(lockFile, 'wx', 0o600);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      const holder = Number(readFileSyncSafe(lockFile));
      const age = Date.now() - ((await stat(lockFile).catch(() => null))?.mtimeMs ?? Date.now());
      if ((holder > 0 && !alive(holder)) || age > staleMs) await rm(lockFile, { force: true });
      else await sleep(200);
      continue;
    }
    try {
      writeSync(fd, String(process.pid));
      closeSync(fd);
      if (!ready()) await build();
    } finally {
      await rm(lockFile, { force: true });
    }
    return;
  }
}

function readFileSyncSafe(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return '';
  }
}

