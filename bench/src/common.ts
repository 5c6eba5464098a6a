import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import os from 'node:os';
import { rssBytes } from '@wharf/testing';

export const MB = 1e6;

/** Samples the RSS of some processes every `everyMs` until stopped; returns the peak of each. */
export function sampleRss(pids: Record<string, number>, everyMs = 25) {
  const peak: Record<string, number> = {};
  const base: Record<string, number> = {};
  for (const [name, pid] of Object.entries(pids)) base[name] = peak[name] = rssBytes(pid);
  const timer = setInterval(() => {
    for (const [name, pid] of Object.entries(pids)) peak[name] = Math.max(peak[name] ?? 0, rssBytes(pid));
  }, everyMs);
  return {
    stop(): Record<string, { baseMB: number; peakMB: number; growthMB: number }> {
      clearInterval(timer);
      return Object.fromEntries(
        Object.keys(pids).map((n) => [
          n,
          { baseMB: round(base[n]! / MB), peakMB: round(peak[n]! / MB), growthMB: round((peak[n]! - base[n]!) / MB) },
        ]),
      );
    },
  };
}

export const round = (n: number, digits = 1) => Math.round(n * 10 ** digits) / 10 ** digits;

export function percentile(sorted: number[], p: number): number {
  if (!sorted.length) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}

export function median(xs: number[]): number {
  return percentile([...xs].sort((a, b) => a - b), 50);
}

export function machine() {
  return { cpus: os.cpus().length, cpuModel: os.cpus()[0]?.model, memGB: round(os.totalmem() / 1e9), node: process.version };
}

// ---- targets as ratios to a floor measured in the same run ----------------------------------------

/**
 * One judged figure. Most are ratios to the bench's floor (a minimal reference doing the same job,
 * measured in the same run), which a slow or shared machine moves far less than absolute times.
 */
export interface Verdict {
  name: string;
  /** null when it could not be measured (which fails the target). */
  measured: number | null;
  op: '>=' | '<=';
  limit: number;
  /** What the figure is, e.g. "Wharf req/s ÷ floor req/s". */
  unit: string;
  pass: boolean;
}

/** The ratio a / b (2 decimals), null when either is missing or b is 0. */
export function ratio(a: number | null | undefined, b: number | null | undefined, digits = 2): number | null {
  if (a === null || a === undefined || b === null || b === undefined || !Number.isFinite(a) || !Number.isFinite(b) || b === 0) return null;
  return round(a / b, digits);
}

export function verdict(name: string, measured: number | null, op: '>=' | '<=', limit: number, unit: string): Verdict {
  const pass = measured !== null && Number.isFinite(measured) && (op === '>=' ? measured >= limit : measured <= limit);
  return { name, measured, op, limit, unit, pass };
}

/** One line per verdict, e.g. `  ✅ list req/s ratio  0.62  (>= 0.5: Wharf ÷ floor)`. */
export function verdictLines(verdicts: Verdict[]): string[] {
  const w = Math.max(0, ...verdicts.map((v) => v.name.length));
  return verdicts.map((v) => `  ${v.pass ? 'pass' : 'FAIL'}  ${v.name.padEnd(w)}  ${v.measured ?? '—'}  (${v.op} ${v.limit}: ${v.unit})`);
}

/** The verdicts on stderr, under a title (the JSON goes to stdout). */
export function printVerdicts(bench: string, verdicts: Verdict[]): void {
  console.error(`bench/${bench} targets:`);
  for (const l of verdictLines(verdicts)) console.error(l);
}

/** A side-by-side table (first row: the header) as aligned text. */
export function table(rows: (string | number | null)[][]): string {
  const cells = rows.map((r) => r.map((c) => (c === null ? '—' : String(c))));
  const widths = cells[0]!.map((_, i) => Math.max(...cells.map((r) => (r[i] ?? '').length)));
  return cells.map((r) => r.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ')).join('\n');
}

// ---- CPU time from /proc ------------------------------------------------------------------------

/** Clock ticks per second of /proc/<pid>/stat's times (USER_HZ: 100 on Linux, whatever the kernel's HZ). */
const USER_HZ = 100;

interface Times {
  ppid: number;
  state: string;
  /** utime + stime of the process itself. */
  self: number;
  /** cutime + cstime: its children that have exited and been waited for. */
  reaped: number;
}

/** Parses /proc/<pid>/stat's text (proc(5)): the fields after comm start after the last ") ". */
export function parseTimes(text: string): Times {
  const f = text.slice(text.lastIndexOf(') ') + 2).split(' ');
  return { state: f[0]!, ppid: Number(f[1]), self: Number(f[11]) + Number(f[12]), reaped: Number(f[13]) + Number(f[14]) };
}

function times(pid: number | string): Times | null {
  try {
    return parseTimes(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return null;
  }
}

/** One CPU's clock ticks so far, from a `cpuN` line of /proc/stat (proc(5)): all of them, and those stolen. */
export interface CpuTicks {
  total: number;
  /** Time the hypervisor ran something else while this virtual CPU wanted to run. */
  steal: number;
}

/** Parses /proc/stat: one entry per `cpuN` line, in order (the summed `cpu` line is skipped). */
export function parseCpuTicks(text: string): CpuTicks[] {
  const out: CpuTicks[] = [];
  for (const line of text.split('\n')) {
    if (!/^cpu\d+ /.test(line)) continue;
    // user nice system idle iowait irq softirq steal guest guest_nice; guest time is inside user
    const f = line.trim().split(/\s+/).slice(1, 9).map(Number);
    out.push({ total: f.reduce((a, b) => a + b, 0), steal: f[7] ?? 0 });
  }
  return out;
}

export function cpuTicks(): CpuTicks[] {
  try {
    return parseCpuTicks(readFileSync('/proc/stat', 'utf8'));
  } catch {
    return [];
  }
}

/** Percent of each CPU's time stolen between two readings (one decimal); empty where unreadable. */
export function stealPercent(before: CpuTicks[], after: CpuTicks[]): number[] {
  return after.map((a, i) => {
    const b = before[i];
    const total = b ? a.total - b.total : 0;
    return b && total > 0 ? Math.round((1000 * (a.steal - b.steal)) / total) / 10 : 0;
  });
}

/** CPU time (user + system, µs) the processes have used so far; 0 for those gone. */
export function cpuMicros(pids: number[]): number {
  let ticks = 0;
  for (const pid of pids) ticks += times(pid)?.self ?? 0;
  return (ticks * 1e6) / USER_HZ;
}

/**
 * CPU time (µs) of `root` and every descendant: each live process's own time plus that of its
 * exited children. The difference of two readings is what the whole tree used in between, also
 * processes that started and ended in between (their time reaches their parent once waited for).
 */
export function treeCpuMicros(root: number): number {
  const all = new Map<number, Times>();
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    const t = times(d);
    if (t && t.state !== 'Z') all.set(Number(d), t);
  }
  const kids = new Map<number, number[]>();
  for (const [pid, t] of all) kids.set(t.ppid, [...(kids.get(t.ppid) ?? []), pid]);
  let ticks = 0;
  const todo = all.has(root) ? [root] : [];
  while (todo.length) {
    const pid = todo.pop()!;
    const t = all.get(pid)!;
    ticks += t.self + t.reaped;
    todo.push(...(kids.get(pid) ?? []));
  }
  return (ticks * 1e6) / USER_HZ;
}

/** The pid of the nats-server listening on `port` (started by the bench), or null. */
export function natsServerPid(port: number): number | null {
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const argv = readFileSync(`/proc/${d}/cmdline`, 'utf8').split('\0');
      if (/nats-server$/.test(argv[0] ?? '') && argv[argv.indexOf('-p') + 1] === String(port)) return Number(d);
    } catch {
      // gone
    }
  }
  return null;
}

/** CPU time (µs) of this process so far (user + system). */
export function selfCpuMicros(): number {
  const u = process.cpuUsage();
  return u.user + u.system;
}

// ---- child processes stopped on exit and on Ctrl-C ----------------------------------------------

const children = new Set<ChildProcess>();

/** Tracks a child so that {@link killChildren} (and the exit hooks) stop it. */
export function track(proc: ChildProcess): ChildProcess {
  children.add(proc);
  proc.once('exit', () => children.delete(proc));
  return proc;
}

export function killChildren(signal: NodeJS.Signals = 'SIGKILL'): void {
  for (const c of children) {
    try {
      c.kill(signal);
    } catch {
      // gone
    }
  }
}

process.once('exit', () => killChildren());

// ---- wrk ----------------------------------------------------------------------------------------

export const WRK_BIN = process.env.BENCH_WRK ?? (existsSync('/usr/bin/wrk') ? '/usr/bin/wrk' : 'wrk');

export interface WrkResult {
  rps: number;
  p50_ms: number;
  p99_ms: number;
  requests: number;
  non_2xx: number;
  socket_errors: number;
  /** CPU time (user + system, µs) per request of the watched processes; null when none were watched. */
  cpu_us_per_request: number | null;
}

const UNIT_MS: Record<string, number> = { us: 0.001, ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** Everything the benches read from `wrk --latency` output; p50/p99 in ms to 3 places. */
export interface WrkOutput {
  rps: number;
  p50_ms: number;
  p99_ms: number;
  requests: number;
  transfer_per_sec: string;
  non_2xx: number;
  socket_errors: { connect: number; read: number; write: number; timeout: number };
  /** More of the latency tail (ms), when wrk ran with WRK_TAIL_SCRIPT. */
  tail_ms?: Record<string, number>;
}

/** Latency percentiles `--latency` does not print (p95, p98, p99.5, p99.9), from a wrk script's done(); parsed by parseWrkOutput. */
export const WRK_TAIL_SCRIPT = `done = function(summary, latency, requests)
  local out = {}
  for _, p in ipairs({90, 95, 98, 99, 99.5, 99.9}) do out[#out + 1] = string.format("p%s=%.3f", p, latency:percentile(p) / 1000) end
  io.write("wharf-tail-ms ", table.concat(out, " "), "\\n")
end
`;

/** Parses `wrk --latency` output (the router bench's figures and the others' are both this). */
export function parseWrkOutput(out: string): WrkOutput {
  const rps = /^Requests\/sec:\s+([\d.]+)/m.exec(out);
  const p50 = /^\s+50%\s+([\d.]+)(us|ms|s|m|h)\s*$/m.exec(out);
  const p99 = /^\s+99%\s+([\d.]+)(us|ms|s|m|h)\s*$/m.exec(out);
  const reqs = /^\s*(\d+) requests in /m.exec(out);
  if (!rps || !p50 || !p99 || !reqs) throw new Error(`cannot parse wrk output:\n${out}`);
  const se = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(out);
  return {
    rps: round(Number(rps[1])),
    p50_ms: round(Number(p50[1]) * UNIT_MS[p50[2]!]!, 3),
    p99_ms: round(Number(p99[1]) * UNIT_MS[p99[2]!]!, 3),
    requests: Number(reqs[1]),
    transfer_per_sec: /^Transfer\/sec:\s+(\S+)/m.exec(out)?.[1] ?? '',
    non_2xx: Number(/Non-2xx or 3xx responses: (\d+)/.exec(out)?.[1] ?? 0),
    socket_errors: { connect: Number(se?.[1] ?? 0), read: Number(se?.[2] ?? 0), write: Number(se?.[3] ?? 0), timeout: Number(se?.[4] ?? 0) },
    ...tailOf(out),
  };
}

function tailOf(out: string): { tail_ms: Record<string, number> } | Record<string, never> {
  const line = /^wharf-tail-ms (.*)$/m.exec(out);
  if (!line) return {};
  return { tail_ms: Object.fromEntries([...line[1]!.matchAll(/(p[\d.]+)=([\d.]+)/g)].map((m) => [m[1]!, round(Number(m[2]), 3)])) };
}

/** Requests/sec, p50, p99 (ms to 2 places), request count, non-2xx and socket errors (summed) from `wrk --latency` output. */
export function parseWrk(out: string): Omit<WrkResult, 'cpu_us_per_request'> {
  const r = parseWrkOutput(out);
  const e = r.socket_errors;
  return { rps: r.rps, p50_ms: round(r.p50_ms, 2), p99_ms: round(r.p99_ms, 2), requests: r.requests, non_2xx: r.non_2xx, socket_errors: e.connect + e.read + e.write + e.timeout };
}

/** A wrk script that asks for `paths` in turn (one path needs no script). */
export function wrkScript(paths: string[]): string {
  return `local paths = {${paths.map((p) => JSON.stringify(p)).join(', ')}}\nlocal i = 0\nrequest = function()\n  i = i + 1\n  return wrk.format("GET", paths[(i % #paths) + 1])\nend\n`;
}

/**
 * `wrk -t1 -c<connections> -d<seconds>s --latency` against `base` + `paths[0]` (with `script` when
 * several paths), with `headers`; the CPU time the `watch()` processes used per request.
 */
export async function wrk(opts: { base: string; paths: string[]; script?: string; connections: number; seconds: number; headers: Record<string, string>; watch?: () => number }): Promise<WrkResult> {
  const args = ['-t1', `-c${opts.connections}`, `-d${opts.seconds}s`, '--latency', '--timeout', '5s'];
  for (const [k, v] of Object.entries(opts.headers)) args.push('-H', `${k}: ${v}`);
  if (opts.script) args.push('-s', opts.script);
  args.push(`${opts.base}${opts.paths[0]}`);
  const cpu0 = opts.watch?.();
  const proc = track(spawn(WRK_BIN, args, { stdio: ['ignore', 'pipe', 'pipe'] }));
  let out = '';
  let err = '';
  proc.stdout!.on('data', (c: Buffer) => (out += c.toString()));
  proc.stderr!.on('data', (c: Buffer) => (err += c.toString()));
  const killer = setTimeout(() => proc.kill('SIGKILL'), (opts.seconds + 20) * 1000);
  const code = await new Promise<number | null>((resolve, reject) => {
    proc.once('error', reject);
    proc.once('close', (c) => resolve(c));
  }).finally(() => clearTimeout(killer));
  if (code !== 0) throw new Error(`wrk exited with ${code}: ${err}${out}`);
  const r = parseWrk(out);
  const cpu = opts.watch && cpu0 !== undefined && r.requests > 0 ? round((opts.watch() - cpu0) / r.requests) : null;
  return { ...r, cpu_us_per_request: cpu };
}

// ---- stopping everything on Ctrl-C ----------------------------------------------------------------

const cleanups = new Set<() => Promise<unknown> | unknown>();

/** Registers a cleanup run on SIGINT/SIGTERM (see {@link stopOnSignals}); returns its removal. */
export function onStop(fn: () => Promise<unknown> | unknown): () => void {
  cleanups.add(fn);
  return () => cleanups.delete(fn);
}

/**
 * On SIGINT or SIGTERM: every registered cleanup (newest first, at most `graceMs` in all), the
 * tracked children killed, exit 130.
 */
export function stopOnSignals(bench: string, graceMs = 20_000): void {
  const stop = () => {
    console.error(`bench/${bench}: interrupted: stopping`);
    const all = [...cleanups].reverse();
    const done = (async () => {
      for (const fn of all) await Promise.resolve().then(fn).catch(() => undefined);
    })();
    void Promise.race([done, new Promise((r) => setTimeout(r, graceMs).unref())]).finally(() => {
      killChildren();
      process.exit(130);
    });
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}
