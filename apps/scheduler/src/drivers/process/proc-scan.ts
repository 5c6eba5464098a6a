import { readFileSync, readlinkSync } from 'node:fs';
import path from 'node:path';
import { procPids, procStat } from '@wharf/host';

/**
 * Process groups of launchers (or their children) started for the instance folder `dir`, found in
 * /proc: by their environment (cold-started launchers, the app), or by a working folder inside
 * the instance's (a standby launcher got its environment after exec, so /proc does not show it;
 * it works in `work/`, the app in `work/app/`). This process is never one of them.
 */
export function strays(dir: string): number[] {
  const needles = [`\0WHARF_STATE_DIR=${dir}\0`, `\0WHARF_VOLUME_DIR=${path.join(dir, 'data')}\0`];
  const groups = new Set<number>();
  for (const pid of procPids()) {
    if (pid === process.pid) continue;
    try {
      const environ = `\0${readFileSync(`/proc/${pid}/environ`, 'utf8')}`;
      if (!needles.some((n) => environ.includes(n)) && !isInside(dir, cwdOf(pid))) continue;
      const st = procStat(pid);
      if (st && st.state !== 'Z') groups.add(st.pgrp);
    } catch {
      /* gone, or not ours to read */
    }
  }
  return [...groups];
}

/** A process's working folder (without the ' (deleted)' suffix of a removed one), or ''. */
function cwdOf(pid: number): string {
  try {
    return readlinkSync(`/proc/${pid}/cwd`).replace(/ \(deleted\)$/, '');
  } catch {
    return '';
  }
}

const isInside = (dir: string, p: string) => p === dir || p.startsWith(`${dir}/`);
