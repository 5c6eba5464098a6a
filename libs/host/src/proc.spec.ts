import { spawn } from 'node:child_process';
import { groupAlive, parseProcStat, procPids, procStat, processAlive } from './proc';

describe('/proc', () => {
  it('parses a stat line whose command name holds spaces and parentheses', () => {
    const rest = Array.from({ length: 50 }, (_, i) => String(i + 100));
    rest[0] = 'S';
    const st = parseProcStat(`4242 (we ird) (name)) ${rest.join(' ')}`);
    expect(st).toEqual({ state: 'S', ppid: 101, pgrp: 102, utime: 111, stime: 112, startTime: 119 });
  });

  it('reads this process: its parent, its group, a start time that names it', () => {
    const st = procStat(process.pid)!;
    expect(st.ppid).toBe(process.ppid);
    expect(st.state).not.toBe('Z');
    expect(processAlive(process.pid, st.startTime)).toBe(true);
    expect(processAlive(process.pid, st.startTime + 1)).toBe(false);
    expect(procPids()).toContain(process.pid);
  });

  it('a process that exited is neither alive nor a live group', async () => {
    const child = spawn('sleep', ['30'], { detached: true, stdio: 'ignore' });
    await new Promise((r) => child.once('spawn', r));
    const pid = child.pid!;
    expect(procStat(pid)?.pgrp).toBe(pid);
    expect(groupAlive(pid)).toBe(true);
    child.kill('SIGKILL');
    await new Promise((r) => child.once('exit', r));
    expect(processAlive(pid, null)).toBe(false);
    expect(groupAlive(pid)).toBe(false);
    expect(procStat(pid)).toBeNull();
  });
});
