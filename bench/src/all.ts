import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { round } from './common';
import { markdownSummary, parseBenchJson, tail, type AllResults, type BenchRun, type MachineInfo } from './summary';

/**
 * `pnpm bench`: every bench in turn, each a child process with its defaults (or, with --quick,
 * shortened for a smoke run), their JSON collected into bench/results/<date>-<commit>.json and a
 * markdown summary beside it (<date>-<commit>.md, copied to latest.md) with the machine's
 * description. A bench that fails is recorded as failed with the end of its stderr; the others
 * still run. Each bench has a time limit (SIGINT, then SIGKILL of its process group); Ctrl-C stops
 * the running bench the same way, writes what was measured and exits 130.
 * Options: --quick, --only import,catalog,…
 */
const ROOT = path.resolve(__dirname, '../..');
const RESULTS = path.join(ROOT, 'bench/results');

interface Bench {
  name: string;
  nodeArgs?: string[];
  /** Time limit, full run and --quick, in seconds. */
  limit: [number, number];
  /** Environment for --quick. */
  quick: Record<string, string>;
}

export const BENCHES: Bench[] = [
  { name: 'import', limit: [600, 240], quick: { BENCH_BUNDLE_MB: '32', BENCH_ROUNDS: '1' } },
  { name: 'catalog', limit: [800, 300], quick: { BENCH_VERSIONS: '2000', BENCH_SECONDS: '2', BENCH_ROUNDS: '1' } },
  { name: 'launch', limit: [420, 240], quick: { BENCH_SEQUENTIAL: '5', BENCH_CONCURRENT: '4', BENCH_COMPARE_WITHOUT_STANDBYS: '0', BENCH_BUDGET_MS: '60000' } },
  {
    name: 'router',
    limit: [720, 300],
    quick: {
      BENCH_SECONDS: '1',
      BENCH_ROUNDS: '1',
      BENCH_LIGHT_SECONDS: '1',
      BENCH_WS_SECONDS: '1',
      BENCH_SOAK_SECONDS: '5',
      BENCH_SOAK_WARMUP_SECONDS: '2',
      BENCH_SOAK_WARMUP_MAX_SECONDS: '5',
      BENCH_ROUTER_WORKERS: '1',
    },
  },
  {
    name: 'kube',
    nodeArgs: ['--expose-gc'],
    limit: [420, 240],
    quick: { BENCH_LAUNCHES: '10', BENCH_WARMUP: '2', BENCH_INSTANCES: '500', BENCH_USERS: '50', BENCH_OTHERS: '2000', BENCH_LOOKUPS: '200', BENCH_LISTS: '30', BENCH_RECONCILE_REPS: '1', BENCH_BUDGET_MS: '120000' },
  },
  { name: 'web', limit: [360, 240], quick: { BENCH_RUNS: '2', BENCH_SIZES: '1000', BENCH_BUDGET_MS: '90000' } },
];

/** The checkout's and the temp folder's locations left out of what is written (the results are shared). */
const local = (text: string) => text.split(ROOT).join('.').split(os.tmpdir()).join('$TMPDIR');

function git(...args: string[]): string {
  return spawnSync('git', args, { cwd: ROOT, encoding: 'utf8' }).stdout?.trim() ?? '';
}

export function machineInfo(loadavgStart: number[]): MachineInfo {
  return {
    cpuModel: os.cpus()[0]?.model ?? 'unknown',
    cores: os.cpus().length,
    memGB: round(os.totalmem() / 1e9),
    kernel: `${os.type()} ${os.release()}`,
    node: process.version,
    loadavgStart,
    loadavgEnd: os.loadavg().map((x) => round(x, 2)),
  };
}

let current: ChildProcess | null = null;
let interrupted = false;

/** SIGINT to the bench (it stops what it started), then SIGKILL to its whole process group. */
function stopCurrent(graceMs = 30_000): void {
  const c = current;
  if (!c?.pid || c.exitCode !== null) return;
  try {
    process.kill(c.pid, 'SIGINT');
  } catch {
    return;
  }
  setTimeout(() => {
    try {
      process.kill(-c.pid!, 'SIGKILL');
    } catch {
      // gone
    }
  }, graceMs).unref();
}

function runBench(b: Bench, quick: boolean): Promise<BenchRun> {
  const limit = b.limit[quick ? 1 : 0];
  const t0 = performance.now();
  return new Promise((resolve) => {
    // its own process group: Ctrl-C at the terminal reaches this process only, which stops the bench in order
    const proc = spawn(process.execPath, [...(b.nodeArgs ?? []), path.join(__dirname, `${b.name}.js`)], {
      cwd: ROOT,
      env: { ...process.env, ...(quick ? b.quick : {}) },
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    current = proc;
    let stdout = '';
    let stderr = '';
    proc.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
    proc.stderr!.on('data', (d: Buffer) => {
      stderr += d.toString();
      process.stderr.write(d);
    });
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      console.error(`bench/all: ${b.name} is over its limit of ${limit} s: stopping it`);
      stopCurrent(15_000);
    }, limit * 1000);
    const done = (code: number | null, error?: string) => {
      clearTimeout(timer);
      current = null;
      // nothing of the bench may outlive it
      try {
        process.kill(-proc.pid!, 'SIGKILL');
      } catch {
        // the group is gone
      }
      const result = parseBenchJson(stdout);
      const ok = code === 0 && result !== null && !timedOut;
      const why = error ?? (timedOut ? `over its limit of ${limit} s` : interrupted ? 'interrupted' : code !== 0 ? `exit ${code}` : result === null ? 'no JSON on stdout' : undefined);
      resolve({ name: b.name, ok, exitCode: code, seconds: round((performance.now() - t0) / 1000), result, ...(ok ? {} : { stderrTail: local(tail(stderr)), error: why }) });
    };
    proc.once('error', (e) => done(null, e.message));
    proc.once('close', (code) => done(code));
  });
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  const quick = argv.includes('--quick');
  const onlyAt = argv.indexOf('--only');
  const only = onlyAt >= 0 ? (argv[onlyAt + 1] ?? '').split(',') : null;
  const benches = BENCHES.filter((b) => !only || only.includes(b.name));
  if (!benches.length) throw new Error(`no bench named ${only?.join(',')}; there are ${BENCHES.map((b) => b.name).join(', ')}`);
  const onSignal = () => {
    if (interrupted) return;
    interrupted = true;
    console.error('bench/all: interrupted: stopping the running bench');
    stopCurrent();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  const started = new Date();
  const date = started.toISOString().slice(0, 10);
  const commit = git('rev-parse', '--short', 'HEAD') || 'unknown';
  const loadavgStart = os.loadavg().map((x) => round(x, 2));
  const t0 = performance.now();
  const runs: BenchRun[] = [];
  for (const b of benches) {
    if (interrupted) break;
    console.error(`bench/all: ${b.name}${quick ? ' (--quick)' : ''}`);
    const r = await runBench(b, quick);
    console.error(`bench/all: ${b.name}: ${r.ok ? `done in ${r.seconds} s, pass: ${String(r.result?.pass)}` : `FAILED (${r.error}) after ${r.seconds} s`}`);
    runs.push(r);
  }
  const all: AllResults = {
    date: started.toISOString(),
    commit,
    quick,
    machine: machineInfo(loadavgStart),
    seconds: round((performance.now() - t0) / 1000),
    benches: runs,
  };
  mkdirSync(RESULTS, { recursive: true });
  const base = path.join(RESULTS, `${date}-${commit}`);
  writeFileSync(`${base}.json`, local(`${JSON.stringify({ ...all, worktree_changed: git('status', '--porcelain').length > 0 }, null, 2)}\n`));
  writeFileSync(`${base}.md`, markdownSummary(all));
  copyFileSync(`${base}.md`, path.join(RESULTS, 'latest.md'));
  console.error(`bench/all: ${path.relative(ROOT, base)}.json, .md and bench/results/latest.md written`);
  process.stdout.write(readFileSync(`${base}.md`, 'utf8'));
  if (interrupted) process.exit(130);
  process.exit(runs.every((r) => r.ok) ? 0 : 1);
}

main().catch((e: unknown) => {
  console.error(e);
  stopCurrent(0);
  process.exit(1);
});
