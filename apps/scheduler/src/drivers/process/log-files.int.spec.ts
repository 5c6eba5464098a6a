import { appendFileSync, mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { CURRENT_LOG, followLines, PREVIOUS_LOG, tailLines } from './log-files';

let dir: string;
beforeEach(() => (dir = mkdtempSync(path.join(os.tmpdir(), 'wharf-logs-'))));
afterEach(() => rmSync(dir, { recursive: true, force: true }));

it('tails across the two ring files', async () => {
  writeFileSync(path.join(dir, PREVIOUS_LOG), 'a\nb\n');
  writeFileSync(path.join(dir, CURRENT_LOG), 'c\nd\n');
  expect(await tailLines(dir, 3)).toEqual(['b', 'c', 'd']);
  expect(await tailLines(path.join(dir, 'none'), 3)).toEqual([]);
});

it('follows appends and rotation without losing or repeating lines', async () => {
  const cur = path.join(dir, CURRENT_LOG);
  writeFileSync(cur, 'one\n');
  const abort = new AbortController();
  let alive = true;
  const got: string[] = [];
  const done = (async () => {
    for await (const chunk of followLines(dir, 5, abort.signal, () => alive, 20)) got.push(chunk);
  })();
  await new Promise((r) => setTimeout(r, 60));
  appendFileSync(cur, 'two\nthr');
  await new Promise((r) => setTimeout(r, 60));
  appendFileSync(cur, 'ee\nfour\n');
  renameSync(cur, path.join(dir, PREVIOUS_LOG)); // rotation, as the launcher's RingLog does
  writeFileSync(cur, 'five\n');
  await new Promise((r) => setTimeout(r, 100));
  alive = false;
  await done;
  expect(got.join('')).toBe('one\ntwo\nthree\nfour\nfive\n');
});
