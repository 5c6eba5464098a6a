import { readdirSync, readFileSync } from 'node:fs';

/** The fields of `/proc/<pid>/stat` Wharf uses (proc(5): state, ppid, pgrp, utime, stime, starttime). */
export interface ProcStat {
  /** R, S, D, Z (zombie), X (dead), … */
  state: string;
  ppid: number;
  /** Process group. */
  pgrp: number;
  /** CPU time in user and kernel mode, in clock ticks. */
  utime: number;
  stime: number;
  /** Clock ticks after boot: with the pid, names one process (a reused pid has another). */
  startTime: number;
}

/** Parses the text of `/proc/<pid>/stat`. */
export function parseProcStat(text: string): ProcStat {
  // comm (field 2) may contain spaces and parentheses: the fields after it start after the last ") ".
  const f = text.slice(text.lastIndexOf(') ') + 2).split(' ');
  return { state: f[0]!, ppid: Number(f[1]), pgrp: Number(f[2]), utime: Number(f[11]), stime: Number(f[12]), startTime: Number(f[19]) };
}

/** `/proc/<pid>/stat`, or null when there is no such process (any more). */
export function procStat(pid: number | string): ProcStat | null {
  try {
    return parseProcStat(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return null;
  }
}

/** Every pid in /proc (empty when /proc cannot be read). */
export function procPids(): number[] {
  try {
    return readdirSync('/proc').flatMap((e) => (/^[0-9]+$/.test(e) ? [Number(e)] : []));
  } catch {
    return [];
  }
}

const dead = (st: ProcStat) => st.state === 'Z' || st.state === 'X';

/**
 * True when `pid` runs and, if `startTime` is given, is the process that started then — a pid
 * reused by another process after ours died does not count. Zombies count as dead.
 */
export function processAlive(pid: number, startTime: number | null): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  const st = procStat(pid);
  if (!st || dead(st)) return false;
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
  if (st && dead(st)) return groupMembers(pgid).some((p) => p !== pgid);
  return true;
}

/** Pids whose process group is `pgid` (reads /proc; live processes only). */
export function groupMembers(pgid: number): number[] {
  return procPids().filter((pid) => {
    const st = procStat(pid);
    return st !== null && st.pgrp === pgid && st.state !== 'Z';
  });
}
