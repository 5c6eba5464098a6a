import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, readlinkSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { createTestDatabase, freePort, launcherPids, standbyPids, startNatsServer, startWharf } from '@wharf/testing';
import { cpuMicros, machine, natsServerPid, onStop, percentile, printVerdicts, ratio, round, stopOnSignals, table, track, treeCpuMicros, verdict } from './common';

/**
 * bench/launch: Run → first HTTP 200 from the instance, on the process driver. Imports the `hello`
 * sample bundle (stdlib only: no venv to build), then (a) SEQUENTIAL launches one after another,
 * each terminated before the next, and (b) CONCURRENT launches started together. Each launch is
 * timed from the moment its `POST /api/v1/apps/:id/instances` is sent until a GET through the
 * router, `http://<id>.apps.localhost:<router port>/` with the owner's token, answers 200 (polled
 * every POLL_MS; the router and the launcher answer 503 until the app listens): the path a user's
 * request takes (the instance's internal address is never shown to users).
 * Meanwhile `GET /api/v1/instances/:id` is polled every STATUS_POLL_MS and each status change
 * is timestamped, to split the launch into the scheduler's share (the create round trip and
 * PROVISIONING) and the launcher's (INSTALLING, STARTING). Both scenarios run twice, each time on a
 * fresh system: as configured (warm standby launchers, `Scheduler.ProcessStandbyLaunchers`), then
 * with standbys off, and `side_by_side` compares the two. Prints JSON.
 *
 * The floor, in the same run: the same Python module started directly (`python3 -m hello.app` in
 * the example's folder, with a free PORT), probed the same way (a fresh connection every POLL_MS)
 * until it answers 200 — after each sequential launch one floor start, and after the concurrent
 * burst as many floor starts at once. CPU per launch: Wharf's whole process tree (every service,
 * launcher, sandbox and app) and its nats-server over the sequential phase ÷ launches; the floor's
 * Python until its first 200.
 * Targets (standby launchers on, the default): Run → first 200 p50 ≤ 3 × the floor's (sequential)
 * and ≤ 4 × (concurrent); CPU per sequential launch ≤ 10 × the floor's.
 */
const SEQUENTIAL = Number(process.env.BENCH_SEQUENTIAL ?? 20);
const CONCURRENT = Number(process.env.BENCH_CONCURRENT ?? 10);
const POLL_MS = Number(process.env.BENCH_POLL_MS ?? 20);
/**
 * Status polls only split the launch into phases; at 20 ms, ten instances' polls were 500 API
 * calls a second through the gateway and the scheduler, competing with the launches for the same
 * two cores (a UI follows the instance's events instead).
 */
const STATUS_POLL_MS = Number(process.env.BENCH_STATUS_POLL_MS ?? 100);
/** `0` skips the status polls (no phase split), to see what the observing costs on a small machine. */
const STATUS_POLL = process.env.BENCH_STATUS_POLL !== '0';
/** `0` skips the second system started without standby launchers (the side-by-side comparison). */
const COMPARE_WITHOUT_STANDBYS = process.env.BENCH_COMPARE_WITHOUT_STANDBYS !== '0';
/** One launch must reach its first 200 within this. */
const LAUNCH_TIMEOUT_MS = Number(process.env.BENCH_LAUNCH_TIMEOUT_MS ?? 15_000);
/** No new launch starts after this much time since the bench began (keeps the run bounded). */
const BUDGET_MS = Number(process.env.BENCH_BUDGET_MS ?? 90_000);
const TARGET = { p50_ms: 1000, p99_ms: 2000 };
/** Ratio targets to the floor (Wharf ÷ floor, p50 of Run → first 200; CPU per launch). */
const RATIO_TARGET = { sequential_p50: 3, concurrent_p50: 4, cpu_per_launch: 10 };

const HELLO_MODULE = 'hello.app';
const ADMIN = `wharf_pat_${'d'.repeat(40)}`;
const ROOT = path.resolve(__dirname, '../..');
const HELLO_ZIP = path.join(ROOT, 'examples/dist/hello.zip');
const HELLO_DIR = path.join(ROOT, 'examples/hello');
const LAUNCHER_MAIN = 'apps/launcher/dist/main.js';
const STATUSES = ['QUEUED', 'PROVISIONING', 'INSTALLING', 'STARTING', 'RUNNING'] as const;

interface Instance {
  id: string;
  status: string;
  statusReason: string | null;
}

interface Launch {
  id: string;
  /** All times in ms since the POST was sent. */
  createMs: number;
  /** Status in the create answer. */
  createStatus: string;
  readyMs: number;
  /** First time each status was seen (the create answer, then GET polls). */
  seen: { status: string; ms: number }[];
  /** From the launcher's own log lines. */
  launcherAppUpMs: number | null;
  launcherTotalMs: number | null;
  bundleFetchMs: number | null;
}

/** With BENCH_PHASE_FILE set, the current phase is written there (for an outside CPU sampler). */
function markPhase(phase: string): void {
  if (process.env.BENCH_PHASE_FILE) writeFileSync(process.env.BENCH_PHASE_FILE, phase);
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** When the current run began (the budget counts from here). */
let started = performance.now();

/** A JSON API call; throws on an unexpected status. */
async function api<T>(base: string, token: string, method: string, p: string, body?: unknown, expect = [200, 201]): Promise<T> {
  const res = await fetch(`${base}${p}`, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  if (!expect.includes(res.status)) throw new Error(`${method} ${p}: HTTP ${res.status} ${text.slice(0, 500)}`);
  return (text ? JSON.parse(text) : null) as T;
}

/** Status code of a GET through the router to instance `id` as `token`, on a fresh connection, or 0 when nothing answers. */
function probe(routerPort: number, id: string, token: string): Promise<number> {
  return new Promise((resolve) => {
    const headers = { host: `${id}.apps.localhost:${routerPort}`, authorization: `Bearer ${token}` };
    const req = http.get({ host: '127.0.0.1', port: routerPort, path: '/', headers, agent: false, timeout: 2000 }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(0));
  });
}

/**
 * The interpreter's real path, as the process driver resolves it once (`python3` is often a shim
 * that costs more to start than the interpreter): the floor starts what Wharf's launcher starts.
 */
let python: string | undefined;
function realPython(): string {
  python ??= spawnSync('python3', ['-c', 'import sys; print(sys.executable)'], { encoding: 'utf8', timeout: 10_000 }).stdout?.trim() || 'python3';
  return python;
}

/** One floor start: `python3 -m hello.app` on a free port until GET / answers 200; its time and CPU. */
async function floorLaunch(): Promise<{ readyMs: number; cpuUs: number }> {
  const port = await freePort();
  const bin = realPython();
  const t0 = performance.now();
  const proc = track(
    spawn(bin, ['-m', HELLO_MODULE], {
      cwd: HELLO_DIR,
      env: { PATH: process.env.PATH, PORT: String(port), GREETING: 'Hello from Wharf', PYTHONDONTWRITEBYTECODE: '1' },
      stdio: 'ignore',
    }),
  );
  const exited = new Promise<void>((r) => proc.once('exit', () => r()));
  try {
    const deadline = t0 + LAUNCH_TIMEOUT_MS;
    for (;;) {
      const status = await new Promise<number>((resolve) => {
        const req = http.get({ host: '127.0.0.1', port, path: '/', agent: false, timeout: 2000 }, (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        });
        req.on('timeout', () => req.destroy());
        req.on('error', () => resolve(0));
      });
      if (status === 200) return { readyMs: performance.now() - t0, cpuUs: cpuMicros([proc.pid!]) };
      if (proc.exitCode !== null) throw new Error(`the floor's python3 -m ${HELLO_MODULE} exited with ${proc.exitCode}`);
      if (performance.now() > deadline) throw new Error(`the floor's python3 -m ${HELLO_MODULE} did not answer 200 within ${LAUNCH_TIMEOUT_MS} ms`);
      await sleep(POLL_MS);
    }
  } finally {
    proc.kill('SIGTERM');
    await exited;
  }
}

function ensureHelloBundle(): void {
  if (existsSync(HELLO_ZIP)) return;
  console.error(`bench/launch: ${path.relative(ROOT, HELLO_ZIP)} is missing; building the examples`);
  const r = spawnSync('pnpm', ['--filter', '@wharf/examples', 'build'], { cwd: ROOT, stdio: ['ignore', 2, 2] });
  if (r.status !== 0 || !existsSync(HELLO_ZIP)) throw new Error('could not build the examples (pnpm --filter @wharf/examples build)');
}

async function launch(base: string, routerPort: number, token: string, appId: string, live: Set<string>): Promise<Launch> {
  const t0 = performance.now();
  const ms = () => performance.now() - t0;
  const created = await api<Instance>(base, token, 'POST', `/api/v1/apps/${encodeURIComponent(appId)}/instances`, {});
  const createMs = ms();
  live.add(created.id);
  const seen: Launch['seen'] = [{ status: created.status, ms: createMs }];
  let readyMs: number | null = null;
  let failed: string | null = null;
  let lastProbe = -1;
  const deadline = t0 + Math.min(LAUNCH_TIMEOUT_MS, Math.max(5000, BUDGET_MS + 20_000 - (t0 - started)));
  const timedOut = () => performance.now() > deadline;

  const pollStatus = async () => {
    let ready = false;
    // After the first 200, keep watching a little longer for RUNNING (the launcher reports it after it starts proxying).
    let stopAt = Infinity;
    while (!timedOut() && !failed && performance.now() < stopAt) {
      const inst = await api<Instance>(base, token, 'GET', `/api/v1/instances/${created.id}`);
      const at = ms();
      if (inst.status !== seen[seen.length - 1]!.status) seen.push({ status: inst.status, ms: at });
      if (inst.status === 'FAILED') failed = inst.statusReason ?? 'FAILED';
      if (inst.status === 'RUNNING') return;
      if (!ready && readyMs !== null) [ready, stopAt] = [true, performance.now() + 3000];
      await sleep(STATUS_POLL_MS);
    }
  };
  const pollHttp = async () => {
    while (!timedOut() && !failed) {
      if ((lastProbe = await probe(routerPort, created.id, token)) === 200) {
        readyMs = ms();
        return;
      }
      await sleep(POLL_MS);
    }
  };
  await Promise.all([STATUS_POLL ? pollStatus() : undefined, pollHttp()]);
  if (failed) throw new Error(`instance ${created.id} FAILED: ${failed}`);
  if (readyMs === null) {
    const tail = await fetch(`${base}/api/v1/instances/${created.id}/logs?tail=30`, { headers: { authorization: `Bearer ${token}` } }).then((r) => r.text());
    throw new Error(
      `instance ${created.id} did not answer 200 within ${Math.round(ms())} ms (status ${seen[seen.length - 1]!.status}, last probe HTTP ${lastProbe}); its log:\n${tail}`,
    );
  }

  // The launcher's own account: "the app is up: A ms after its start, B ms after the launcher's".
  const logs = await fetch(`${base}/api/v1/instances/${created.id}/logs?tail=200`, { headers: { authorization: `Bearer ${token}` } }).then((r) => r.text());
  const up = /the app is up: (\d+) ms after its start, (\d+) ms after the launcher's/.exec(logs);
  const fetched = /bundle fetched and unpacked: .*\((\d+) ms\)/.exec(logs);
  return {
    id: created.id,
    createMs,
    createStatus: created.status,
    readyMs,
    seen,
    launcherAppUpMs: up ? Number(up[1]) : null,
    launcherTotalMs: up ? Number(up[2]) : null,
    bundleFetchMs: fetched ? Number(fetched[1]) : null,
  };
}

async function terminate(base: string, token: string, id: string, live: Set<string>): Promise<number> {
  const t = performance.now();
  await api(base, token, 'DELETE', `/api/v1/instances/${id}`, undefined, [200, 404]);
  live.delete(id);
  return performance.now() - t;
}

function stats(xs: number[]) {
  const s = [...xs].sort((a, b) => a - b);
  const mean = s.reduce((a, b) => a + b, 0) / (s.length || 1);
  return { n: s.length, p50_ms: round(percentile(s, 50)), p99_ms: round(percentile(s, 99)), min_ms: round(s[0] ?? NaN), max_ms: round(s[s.length - 1] ?? NaN), mean_ms: round(mean) };
}

const mean = (xs: number[]) => (xs.length ? round(xs.reduce((a, b) => a + b, 0) / xs.length) : null);

/** Mean time per status (first seen → next status first seen) and how many launches showed it at all. */
function phases(launches: Launch[]) {
  const out: Record<string, { mean_ms: number | null; observed_in: number }> = {};
  for (const st of STATUSES) {
    const durations: number[] = [];
    for (const l of launches) {
      const i = l.seen.findIndex((s) => s.status === st);
      if (i < 0) continue;
      const next = l.seen[i + 1]?.ms ?? (st === 'RUNNING' ? null : l.readyMs);
      if (next !== null) durations.push(Math.max(0, next - l.seen[i]!.ms));
    }
    out[st] = { mean_ms: st === 'RUNNING' ? null : mean(durations), observed_in: launches.filter((l) => l.seen.some((s) => s.status === st)).length };
  }
  return out;
}

function summarize(launches: Launch[]) {
  const ready = stats(launches.map((l) => l.readyMs));
  const runningSeen = launches.flatMap((l) => l.seen.filter((s) => s.status === 'RUNNING').map((s) => s.ms - l.readyMs));
  return {
    run_to_first_200: ready,
    /** The absolute targets used until 2026-12 (p50 ≤ 1 s, p99 ≤ 2 s): shown, no longer judged. */
    absolute_pass: ready.p50_ms <= TARGET.p50_ms && ready.p99_ms <= TARGET.p99_ms,
    scheduler_share: {
      create_round_trip: stats(launches.map((l) => l.createMs)),
      status_in_create_answer: [...new Set(launches.map((l) => l.createStatus))],
    },
    phases_mean_ms: phases(launches),
    running_status_seen_minus_first_200_mean_ms: mean(runningSeen),
    launcher_log: {
      bundle_fetch_unpack_mean_ms: mean(launches.flatMap((l) => (l.bundleFetchMs === null ? [] : [l.bundleFetchMs]))),
      app_up_after_app_spawn_mean_ms: mean(launches.flatMap((l) => (l.launcherAppUpMs === null ? [] : [l.launcherAppUpMs]))),
      app_up_after_launcher_start_mean_ms: mean(launches.flatMap((l) => (l.launcherTotalMs === null ? [] : [l.launcherTotalMs]))),
    },
  };
}

const brief = (l: Launch) => ({
  id: l.id,
  create_ms: round(l.createMs),
  first_200_ms: round(l.readyMs),
  statuses: l.seen.map((s) => `${s.status}@${Math.round(s.ms)}`).join(' '),
  launcher_up_after_start_ms: l.launcherTotalMs,
});

/** Processes left from this run: launchers whose state dir is under `dataDir`, anything whose cwd is there. */
function leftovers(dataDir: string): { pid: number; cmd: string }[] {
  const out: { pid: number; cmd: string }[] = [];
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d) || Number(d) === process.pid) continue;
    try {
      const cmd = readFileSync(`/proc/${d}/cmdline`, 'utf8').replace(/\0/g, ' ').trim();
      if (!cmd) continue;
      let cwd = '';
      try {
        cwd = readlinkSync(`/proc/${d}/cwd`);
      } catch {
        /* not ours to read */
      }
      const environ = readFileSync(`/proc/${d}/environ`, 'utf8');
      if (cwd.startsWith(dataDir) || environ.includes(`WHARF_STATE_DIR=${dataDir}`) || environ.includes(`WHARF_DATA_DIR=${dataDir}`)) {
        out.push({ pid: Number(d), cmd: cmd.slice(0, 200) });
      }
    } catch {
      // gone
    }
  }
  return out;
}

/** `pgrep -f apps/launcher/dist/main.js`, split into this run's launchers (instances' and idle standbys under `dataDir`) and others'. */
function pgrepLaunchers(dataDir: string): { ours: number[]; others: number[] } {
  const r = spawnSync('pgrep', ['-f', LAUNCHER_MAIN], { encoding: 'utf8' });
  const pids = r.stdout.split('\n').filter(Boolean).map(Number);
  const mine = new Set([...launcherPids(dataDir), ...standbyPids(dataDir)]);
  return { ours: pids.filter((p) => mine.has(p)), others: pids.filter((p) => !mine.has(p)) };
}

interface Run {
  result: Record<string, unknown> | null;
  failure: unknown;
  cleanup: Record<string, unknown>;
  outlived: boolean;
}

/** Both scenarios on a fresh system started with `extraEnv`; stops it and checks nothing outlived it. */
async function run(extraEnv: Record<string, string>): Promise<Run> {
  started = performance.now();
  const loadBefore = os.loadavg().map((x) => round(x, 2));
  const [db, nats] = await Promise.all([createTestDatabase('wharf_bench'), startNatsServer()]);
  const tStart = performance.now();
  const wharf = await startWharf({
    DATABASE_URL: db.url,
    NATS_URL: nats.url,
    WHARF_GATEWAY_BOOTSTRAP_ADMIN_TOKEN: ADMIN,
    WHARF_PLATFORM_LOG_LEVEL: 'warn',
    WHARF_SCHEDULER_MAX_INSTANCES_FULL_ACCESS: String(Math.max(50, CONCURRENT + 5)),
    ...extraEnv,
  }).catch(async (e: unknown) => {
    await Promise.all([nats.stop(), db.drop()]);
    throw e;
  });
  const wharfStartMs = performance.now() - tStart;
  const unstop = onStop(async () => {
    await wharf.stop().catch(() => undefined);
    await Promise.all([nats.stop(), db.drop()]);
  });
  const dataDir = wharf.dataDir;
  const live = new Set<string>();
  let result: Record<string, unknown> | null = null;
  let failure: unknown = null;
  let token = ADMIN;
  try {
    token = (await api<{ token: string }>(wharf.gateway, ADMIN, 'POST', '/api/v1/tokens', { user: 'launch-bench', roles: ['full-access'] })).token;
    // Imported by the same user who runs it: PRIVATE is enough, and its limit is the full-access one.
    const zip = readFileSync(HELLO_ZIP);
    const imp = await fetch(`${wharf.gateway}/api/v1/bundles`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/zip' },
      body: zip,
    });
    if (imp.status !== 201) throw new Error(`import failed: HTTP ${imp.status} ${await imp.text()}`);
    const app = (await imp.json()) as { id: string; name: string; version: string };

    // (a) sequential: launch, first 200, terminate, next
    // after each, one floor start (the same module started directly), so a slow stretch hits both
    const sequential: Launch[] = [];
    const terminateMs: number[] = [];
    const floorSeq: { readyMs: number; cpuUs: number }[] = [];
    const natsPid = natsServerPid(nats.port);
    const wharfCpu = () => treeCpuMicros(wharf.proc.pid!) + (natsPid ? cpuMicros([natsPid]) : 0);
    const cpu0 = wharfCpu();
    for (let i = 0; i < SEQUENTIAL && performance.now() - started < BUDGET_MS; i++) {
      const l = await launch(wharf.gateway, wharf.routerPort, token, app.id, live);
      sequential.push(l);
      terminateMs.push(await terminate(wharf.gateway, token, l.id, live));
      floorSeq.push(await floorLaunch());
    }
    const cpuPerLaunchMs = sequential.length ? (wharfCpu() - cpu0) / 1000 / sequential.length : NaN;

    // (b) concurrent: all POSTs sent together; each timed from its own POST
    let concurrent: Launch[] = [];
    let concurrentWallMs = 0;
    let standbysBeforeBurst = 0;
    let concurrentTerminateMs = 0;
    let floorConc: { readyMs: number; cpuUs: number }[] = [];
    if (performance.now() - started < BUDGET_MS) {
      standbysBeforeBurst = standbyPids(dataDir).length;
      markPhase('concurrent');
      const t = performance.now();
      const settled = await Promise.allSettled(Array.from({ length: CONCURRENT }, () => launch(wharf.gateway, wharf.routerPort, token, app.id, live)));
      concurrentWallMs = performance.now() - t;
      markPhase('terminate');
      const t2 = performance.now();
      await Promise.all([...live].map((id) => terminate(wharf.gateway, token, id, live)));
      concurrentTerminateMs = performance.now() - t2;
      const bad = settled.filter((s): s is PromiseRejectedResult => s.status === 'rejected');
      if (bad.length) throw new Error(`${bad.length} concurrent launches failed: ${bad.map((b) => String(b.reason)).join('; ')}`);
      concurrent = settled.map((s) => (s as PromiseFulfilledResult<Launch>).value);
      floorConc = await Promise.all(Array.from({ length: CONCURRENT }, () => floorLaunch()));
    }
    const floorCpuMs = floorSeq.map((f) => f.cpuUs / 1000);
    const floor = {
      what: `python3 -m ${HELLO_MODULE} in examples/hello with a free PORT, probed like Wharf's launches (fresh connection every ${POLL_MS} ms) until 200`,
      sequential: stats(floorSeq.map((f) => f.readyMs)),
      concurrent: stats(floorConc.map((f) => f.readyMs)),
      cpu_ms_per_start: round(floorCpuMs.reduce((a, b) => a + b, 0) / (floorCpuMs.length || 1), 2),
    };

    const seq = summarize(sequential);
    const conc = summarize(concurrent);
    result = {
      bench: 'launch',
      machine: machine(),
      driver: 'process',
      app: `${app.name}@${app.version} (examples/dist/hello.zip, no requirements)`,
      poll_ms: POLL_MS,
      status_poll_ms: STATUS_POLL_MS,
      status_polling: STATUS_POLL,
      loadavg_1_5_15: { before: loadBefore, after: os.loadavg().map((x) => round(x, 2)) },
      wharf_start_ms: round(wharfStartMs),
      sequential: {
        launches: sequential.length,
        ...seq,
        cold_first_launch: sequential[0] ? brief(sequential[0]) : null,
        warm_rest: stats(sequential.slice(1).map((l) => l.readyMs)),
        terminate: stats(terminateMs),
        each: sequential.map(brief),
      },
      concurrent: {
        launches: concurrent.length,
        ...conc,
        wall_ms_all_ready: round(concurrentWallMs),
        idle_standby_launchers_at_start: standbysBeforeBurst,
        terminate_all_ms: round(concurrentTerminateMs),
        each: concurrent.map(brief),
      },
      floor,
      vs_floor: {
        sequential_p50_ratio: ratio(seq.run_to_first_200.p50_ms, floor.sequential.p50_ms),
        concurrent_p50_ratio: concurrent.length ? ratio(conc.run_to_first_200.p50_ms, floor.concurrent.p50_ms) : null,
        wharf_cpu_ms_per_sequential_launch: round(cpuPerLaunchMs, 1),
        floor_cpu_ms_per_start: floor.cpu_ms_per_start,
        cpu_ratio: ratio(cpuPerLaunchMs, floor.cpu_ms_per_start),
        cpu_note: "Wharf: user + system time of the platform's whole process tree (services, launchers, sandboxes, apps, standby refills) and its nats-server over the sequential phase ÷ launches (terminations included); floor: the Python process until its first 200",
      },
      absolute_targets_until_2026_12: { p50_ms: `<= ${TARGET.p50_ms}`, p99_ms: `<= ${TARGET.p99_ms}` },
      notes: [
        'first_200_ms: from sending POST /api/v1/apps/:id/instances to the first 200 through the router as the owner (fresh connection per probe)',
        `status times are when a GET /api/v1/instances/:id poll (every ${STATUS_POLL_MS} ms) first returned the status: resolution ≈ poll interval + round trip; statuses shorter than that can be missed (see observed_in)`,
        'phases_mean_ms[S]: first seen S → first seen of the next status (or → first 200 for the last one before RUNNING)',
        'with n ≤ 20 samples p99 is the maximum',
      ],
    };
  } catch (e) {
    failure = e;
  } finally {
    // Terminate whatever is left (a failed launch, or a bench stopped half-way), then stop everything.
    for (const id of [...live]) await terminate(wharf.gateway, token, id, live).catch((e: unknown) => console.error(`terminate ${id}: ${String(e)}`));
    unstop();
    await wharf.stop();
    await Promise.all([nats.stop(), db.drop()]);
  }

  // No launcher or app process of this run may outlive it.
  let left = leftovers(dataDir);
  for (let i = 0; i < 40 && left.length; i++) {
    await sleep(50);
    left = leftovers(dataDir);
  }
  const launchers = pgrepLaunchers(dataDir);
  const strayLaunchers = launchers.ours;
  const cleanup = {
    leftover_processes: left,
    pgrep_launchers_of_this_run: launchers.ours.length,
    pgrep_launchers_of_other_runs: launchers.others.length,
    database_dropped: db.name,
  };
  const outlived = left.length > 0 || strayLaunchers.length > 0;
  if (outlived) {
    console.error(`bench/launch: FAIL: processes outlived the run: ${JSON.stringify(left)}; new launchers from pgrep: ${strayLaunchers.join(', ')}`);
    for (const p of left) {
      try {
        process.kill(p.pid, 'SIGKILL');
      } catch {
        /* gone */
      }
    }
  }
  return { result, failure, cleanup, outlived };
}

/** The p50/p99 lines of a run, for the side-by-side comparison. */
function headline(r: Record<string, unknown> | null) {
  const pick = (k: string) => {
    const v = r?.[k] as { run_to_first_200?: unknown } | undefined;
    return v ? { run_to_first_200: v.run_to_first_200 } : null;
  };
  return { sequential: pick('sequential'), concurrent: pick('concurrent') };
}

interface VsFloor {
  sequential_p50_ratio: number | null;
  concurrent_p50_ratio: number | null;
  wharf_cpu_ms_per_sequential_launch: number;
  floor_cpu_ms_per_start: number;
  cpu_ratio: number | null;
}

function judge(r: Record<string, unknown>) {
  const v = r.vs_floor as VsFloor;
  return [
    verdict('sequential Run → 200 p50 vs floor', v.sequential_p50_ratio, '<=', RATIO_TARGET.sequential_p50, 'Wharf p50 ÷ floor p50 (python3 -m started directly)'),
    verdict('concurrent Run → 200 p50 vs floor', v.concurrent_p50_ratio, '<=', RATIO_TARGET.concurrent_p50, `Wharf p50 ÷ floor p50, ${CONCURRENT} at once`),
    verdict('CPU per launch vs floor', v.cpu_ratio, '<=', RATIO_TARGET.cpu_per_launch, "Wharf's process tree CPU ms per launch ÷ the floor Python's"),
  ];
}

function sideTable(runs: [string, Record<string, unknown> | null][]): string {
  const rows: (string | number | null)[][] = [['', 'seq p50 ms', 'seq p99 ms', 'conc p50 ms', 'conc p99 ms', 'CPU ms/launch']];
  for (const [name, r] of runs) {
    if (!r) continue;
    const g = (k: string) => (r[k] as { run_to_first_200: { p50_ms: number; p99_ms: number } }).run_to_first_200;
    const f = r.floor as { sequential: { p50_ms: number; p99_ms: number }; concurrent: { p50_ms: number; p99_ms: number }; cpu_ms_per_start: number };
    const v = r.vs_floor as VsFloor;
    rows.push([name, g('sequential').p50_ms, g('sequential').p99_ms, g('concurrent').p50_ms, g('concurrent').p99_ms, v.wharf_cpu_ms_per_sequential_launch]);
    rows.push([`${name}: floor`, f.sequential.p50_ms, f.sequential.p99_ms, f.concurrent.p50_ms, f.concurrent.p99_ms, f.cpu_ms_per_start]);
    rows.push([`${name}: ratio`, v.sequential_p50_ratio, null, v.concurrent_p50_ratio, null, v.cpu_ratio]);
  }
  return table(rows);
}

async function main(): Promise<void> {
  stopOnSignals('launch');
  ensureHelloBundle();
  // As configured (ProcessStandbyLaunchers default), then, for comparison in the same run, with the
  // standby launchers off: every launcher (and its Python) started when its instance is.
  const first = await run({});
  const compare = COMPARE_WITHOUT_STANDBYS && first.result && !first.failure ? await run({ WHARF_SCHEDULER_PROCESS_STANDBY_LAUNCHERS: '0' }) : null;
  if (first.result) {
    const verdicts = judge(first.result);
    const v = first.result.vs_floor as VsFloor;
    const seq = first.result.sequential as { run_to_first_200: { p50_ms: number } };
    const floor = first.result.floor as { sequential: { p50_ms: number } };
    const out: Record<string, unknown> = {
      ...first.result,
      headline: {
        sequential_p50_ms: seq.run_to_first_200.p50_ms,
        floor_sequential_p50_ms: floor.sequential.p50_ms,
        sequential_p50_ratio: v.sequential_p50_ratio,
        concurrent_p50_ratio: v.concurrent_p50_ratio,
        wharf_cpu_ms_per_launch: v.wharf_cpu_ms_per_sequential_launch,
        floor_cpu_ms_per_start: v.floor_cpu_ms_per_start,
        cpu_ratio: v.cpu_ratio,
      },
      verdicts,
      pass: verdicts.every((x) => x.pass),
      cleanup: first.cleanup,
    };
    console.error(sideTable([['standbys on', first.result], ['standbys off', compare?.result ?? null]]));
    printVerdicts('launch', verdicts);
    if (compare) {
      out.side_by_side = { standby_launchers_default: headline(first.result), standby_launchers_off: headline(compare.result) };
      out.without_standby_launchers = compare.result ?? { failed: String(compare.failure) };
    }
    console.log(JSON.stringify(out, null, 2));
  }
  if (first.outlived || compare?.outlived) process.exit(2);
  if (first.failure) throw first.failure;
  if (compare?.failure) throw compare.failure;
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
