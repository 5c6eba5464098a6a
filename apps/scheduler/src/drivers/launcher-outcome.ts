import type { LauncherExit, LauncherState } from '@wharf/contracts/launcher';
import { isProgress, type InstanceRecord } from '../instances/instance.record';

/**
 * What every driver concludes from what a launcher left behind (`launcher.json`, `exit.json`; see
 * `@wharf/contracts/launcher`): the same launcher runs under every driver, so only how the driver
 * finds these (files in the instance folder, a pod's state) differs.
 */

/** `state`/`exit` when they are about the record's current generation, else null (an older start's). */
export function ofGeneration<T extends { generation: number }>(r: InstanceRecord, v: T | null): T | null {
  return v && v.generation === r.generation ? v : null;
}

/** While the launcher lives: the status it reported, when that moves the record forward; else null. */
export function progressPatch(r: InstanceRecord, state: LauncherState | null): Partial<InstanceRecord> | null {
  const reported = ofGeneration(r, state);
  if (reported && isProgress(r.status, reported.status, r.statusReason, reported.reason)) {
    // a FAILED instance serves nothing, even in the moment before its launcher has exited
    return { status: reported.status, statusReason: reported.reason, ...(reported.status === 'FAILED' ? { address: null } : {}) };
  }
  return null;
}

/**
 * Once the launcher is gone: SUSPENDED when it exited cleanly (stopped from outside Wharf), FAILED
 * otherwise, with its own reason when it reported one, else its exit reason (or that it vanished)
 * followed by the last lines of the instance's log and of the launcher's own output.
 */
export async function deathPatch(
  r: InstanceRecord,
  state: LauncherState | null,
  exit: LauncherExit | null,
  lines: () => Promise<{ log: string[]; launcherOutput: string[] }>,
): Promise<Partial<InstanceRecord>> {
  const reported = ofGeneration(r, state);
  const ex = ofGeneration(r, exit);
  if (ex && ex.code === 0) {
    return { status: 'SUSPENDED', statusReason: `the launcher was stopped from outside Wharf (${ex.reason}); resume to start it again`, address: null };
  }
  if (reported?.status === 'FAILED' && reported.reason) {
    return { status: 'FAILED', statusReason: reported.reason, address: null };
  }
  const { log, launcherOutput } = await lines();
  const why = ex ? ex.reason : 'the launcher process disappeared (killed, or out of memory)';
  const reason = [why, '--- last log lines ---', ...log, ...(launcherOutput.length ? ['--- launcher output ---', ...launcherOutput] : [])].join('\n');
  return { status: 'FAILED', statusReason: reason.slice(0, 15_000), address: null };
}

/** `r` with `patch` applied, stamped now (an observed change counts as activity). */
export function patched(r: InstanceRecord, patch: Partial<InstanceRecord>): InstanceRecord {
  const now = new Date().toISOString();
  return { ...r, ...patch, updatedAt: now, lastActivityAt: now };
}
