import { readdirSync, readFileSync } from 'node:fs';

/** `/proc/<pid>/stat`: state and start time (clock ticks after boot); null when there is no such process. */
export function procStat(pid: number): { state: string; startTime: number } | null {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // comm (field 2) may contain spaces and parentheses: the fields after it start after the last ") ".
    const fields = text.slice(text.lastIndexOf(') ') + 2).split(' ');
    return { state: fields[0]!, startTime: Number(fields[19]) };
  } catch {
    return null;
  }
}

/**
 * True when `pid` runs and, if `startTime` is given, is the process that started then — a pid
 * reused by another process after ours died does not count. Zombies count as dead.
 */
export function processAlive(pid: number, startTime: number | null): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  const st = procStat(pid);
  if (!st) return false;
  if (st.state === 'Z' || st.state === 'X') return false;
  return startTime === null || st.startTime === startTime;
}

/** Signals a whole process group; false when it has no members left. */
export function killGroup(pgid: number, signal: NodeJS.Signals): boolean {
  try {
    process.kill(-pgid, signal);
    return true;
  } catch {
    return false;
  }
}

/** True while any process of the group is alive (zombies aside). */
export function groupAlive(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
  } catch {
    return false;
  }
  // kill(0) also succeeds for a group made only of zombies: check the leader's state when it exists.
  const st = procStat(pgid);
  if (st && (st.state === 'Z' || st.state === 'X')) {
    return groupMembers(pgid).some((p) => p !== pgid);
  }
  return true;
}

/** Pids whose process group is `pgid` (reads /proc; live processes only). */
export function groupMembers(pgid: number): number[] {
  const out: number[] = [];
  let entries: string[];
  try {
    entries = readdirSync('/proc');
  } catch {
    return out;
  }
  for (const e of entries) {
    if (!/^[0-9]+$/.test(e)) continue;
    try {
      const text = readFileSync(`/proc/${e}/stat`, 'utf8');
      const fields = text.slice(text.lastIndexOf(') ') + 2).split(' ');
      if (Number(fields[2]) === pgid && fields[0] !== 'Z') out.push(Number(e));
    } catch {
      /* gone */
    }
  }
  return out;
}
