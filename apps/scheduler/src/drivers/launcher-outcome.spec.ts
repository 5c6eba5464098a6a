import type { LauncherExit, LauncherState } from '@wharf/contracts/launcher';
import type { InstanceRecord } from '../instances/instance.record';
import { deathPatch, patched, progressPatch } from './launcher-outcome';

const record = (over: Partial<InstanceRecord> = {}): InstanceRecord =>
  ({ id: 'abcdefghij', generation: 2, status: 'PROVISIONING', statusReason: 'Starting the launcher', address: '127.0.0.1:4000', ...over }) as InstanceRecord;
const state = (over: Partial<LauncherState> = {}): LauncherState => ({ generation: 2, status: 'STARTING', reason: 'Starting the app', ...over });
const exit = (over: Partial<LauncherExit> = {}): LauncherExit => ({ generation: 2, code: 1, reason: 'the app exited with code 1', ...over });
const noLines = async () => ({ log: [], launcherOutput: [] });

describe('what a launcher left behind means for its record', () => {
  it('progress of the current generation moves the record forward, never back, never from an older start', () => {
    expect(progressPatch(record(), state())).toEqual({ status: 'STARTING', statusReason: 'Starting the app' });
    expect(progressPatch(record({ status: 'RUNNING', statusReason: null }), state())).toBeNull();
    expect(progressPatch(record(), state({ generation: 1, status: 'RUNNING' }))).toBeNull();
    expect(progressPatch(record(), null)).toBeNull();
  });

  it('a FAILED report takes the address away at once, before the launcher has exited', () => {
    expect(progressPatch(record({ status: 'RUNNING', statusReason: null }), state({ status: 'FAILED', reason: 'the app exited with code 1' }))).toEqual({
      status: 'FAILED',
      statusReason: 'the app exited with code 1',
      address: null,
    });
  });

  it('a clean exit is a stop from outside: SUSPENDED, no address', async () => {
    const p = await deathPatch(record(), state(), exit({ code: 0, reason: 'SIGTERM' }), noLines);
    expect(p).toMatchObject({ status: 'SUSPENDED', address: null });
    expect(p.statusReason).toContain('stopped from outside Wharf (SIGTERM)');
  });

  it("a failure the launcher reported is the reason, without reading any log", async () => {
    const lines = jest.fn(noLines);
    expect(await deathPatch(record(), state({ status: 'FAILED', reason: 'no module named app' }), exit(), lines)).toEqual({
      status: 'FAILED',
      statusReason: 'no module named app',
      address: null,
    });
    expect(lines).not.toHaveBeenCalled();
  });

  it('otherwise FAILED with the exit reason (or a vanished launcher) and the last lines', async () => {
    const lines = async () => ({ log: ['Traceback', 'boom'], launcherOutput: ['node: out of memory'] });
    const p = await deathPatch(record(), null, exit(), lines);
    expect(p.status).toBe('FAILED');
    expect(p.statusReason).toBe('the app exited with code 1\n--- last log lines ---\nTraceback\nboom\n--- launcher output ---\nnode: out of memory');
    const vanished = await deathPatch(record(), null, exit({ generation: 1, code: 0 }), noLines);
    expect(vanished.status).toBe('FAILED');
    expect(vanished.statusReason).toBe('the launcher process disappeared (killed, or out of memory)\n--- last log lines ---');
  });

  it('a changed record is stamped now', () => {
    const before = record({ updatedAt: '2020-01-01T00:00:00.000Z', lastActivityAt: '2020-01-01T00:00:00.000Z' });
    const after = patched(before, { status: 'RUNNING', statusReason: null });
    expect(after.status).toBe('RUNNING');
    expect(after.updatedAt).toBe(after.lastActivityAt);
    expect(after.updatedAt > before.updatedAt).toBe(true);
  });
});
