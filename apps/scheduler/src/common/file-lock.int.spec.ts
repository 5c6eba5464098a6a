import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { WharfError } from '@wharf/contracts';
import { withFileLock } from './file-lock';

describe('withFileLock (real files)', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'wharf-lock-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('times out UNAVAILABLE while a live holder keeps the lock, with no server path in the answer', async () => {
    const lock = path.join(dir, 'state.lock');
    let release!: () => void;
    const held = withFileLock(lock, () => new Promise<void>((r) => (release = r)));
    const waited = await withFileLock(lock, async () => 'got it', 50).catch((e: unknown) => e);
    expect(waited).toBeInstanceOf(WharfError);
    expect((waited as WharfError).code).toBe('UNAVAILABLE');
    expect((waited as WharfError).message).toBe('the scheduler is busy with another operation on the same state; try again in a moment');
    expect((waited as WharfError).message).not.toContain(dir);
    release();
    await held;
    await expect(withFileLock(lock, async () => 'got it', 50)).resolves.toBe('got it');
  });
});
