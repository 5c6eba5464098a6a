import { closeSync, fstatSync, openSync, readSync, statSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';

/**
 * Reads the launcher's log ring (apps/launcher/src/ring-log.ts writes it): `previous.log` then
 * `current.log`; when `current.log` is full it is renamed to `previous.log` and a new one starts.
 */
export const CURRENT_LOG = 'current.log';
export const PREVIOUS_LOG = 'previous.log';

async function readOrEmpty(file: string): Promise<string> {
  try {
    return await readFile(file, 'utf8');
  } catch {
    return '';
  }
}

export async function tailLines(dir: string, n: number): Promise<string[]> {
  const text = (await readOrEmpty(path.join(dir, PREVIOUS_LOG))) + (await readOrEmpty(path.join(dir, CURRENT_LOG)));
  const lines = text.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  return lines.slice(-n);
}

/** Waits `ms`, or less if `signal` aborts; removes its abort listener either way (a follow polls for hours). */
const sleep = (ms: number, signal: AbortSignal) =>
  new Promise<void>((resolve) => {
    const onAbort = () => {
      clearTimeout(t);
      resolve();
    };
    const t = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal.addEventListener('abort', onAbort, { once: true });
  });

/**
 * The last `tail` lines, then whatever is appended, as text chunks of whole lines. Follows
 * rotation: keeps reading the file it has open to its end, then switches to the new current.log.
 * Ends when `signal` aborts or `alive()` turns false (the instance was terminated).
 */
export async function* followLines(
  dir: string,
  tail: number,
  signal: AbortSignal,
  alive: () => boolean,
  pollMs = 250,
): AsyncGenerator<string> {
  const file = path.join(dir, CURRENT_LOG);
  const first = await tailLines(dir, tail);
  if (first.length) yield first.join('\n') + '\n';
  let fd: number | null = null;
  let ino = -1;
  let offset = 0;
  let partial = '';
  const open = (fromEnd: boolean) => {
    try {
      fd = openSync(file, 'r');
      const st = fstatSync(fd);
      ino = st.ino;
      offset = fromEnd ? st.size : 0;
    } catch {
      fd = null;
    }
  };
  open(true);
  const buf = Buffer.alloc(64 * 1024);
  try {
    const drain = (): string => {
      let text = '';
      if (fd === null) return text;
      for (;;) {
        const n = readSync(fd, buf, 0, buf.length, offset);
        if (n <= 0) break;
        offset += n;
        text += buf.subarray(0, n).toString('utf8');
      }
      return text;
    };
    while (!signal.aborted) {
      let text = drain();
      // Rotated (or created): finish the old file (again: it may have grown since), then
      // continue with the new one from its start.
      let rotated = false;
      try {
        rotated = statSync(file).ino !== ino;
      } catch {
        rotated = false;
      }
      if (rotated) {
        text += drain();
        if (fd !== null) closeSync(fd);
        open(false);
      }
      if (text) {
        const lines = (partial + text).split('\n');
        partial = lines.pop() ?? '';
        if (lines.length) yield lines.join('\n') + '\n';
      }
      if (!rotated) {
        if (!alive()) break;
        await sleep(pollMs, signal);
      }
    }
  } finally {
    if (fd !== null) closeSync(fd);
  }
}
