import { fork } from 'node:child_process';
import { timingSafeEqual } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { Client } from 'pg';
import { createTestDatabase, startNatsServer, startWharf } from '@wharf/testing';
import { startNestFloor, type FloorPages } from './catalog-nest-floor';
import { cpuMicros, machine, onStop, stopOnSignals, median, natsServerPid, printVerdicts, ratio, round, table, track, verdict, wrk, wrkScript, type WrkResult } from './common';

/**
 * bench/catalog: 10 000 app versions (1 000 apps × 10 versions), then 50 connections (wrk) listing
 * the catalog through the gateway (REST → NATS → repository → PostgreSQL) for a fixed time per
 * scenario, side by side with its **floor**: a bare `node:http` server (a child process) that
 * serves the very same answer bytes from memory, fetched from Wharf first, behind a constant-time
 * compare of the same `Authorization` header. Wharf and the floor alternate round by round (a slow
 * stretch of a shared machine hits both), with the same load. Beside req/s and p50/p99: the CPU
 * time per request of the processes involved (gateway, repository and nats-server; the floor's
 * one process), from /proc. A second reference, the **NestJS floor** (catalog-nest-floor.ts), serves
 * the same bytes through the framework the gateway is built on and nothing of Wharf's: Wharf ÷ it
 * is what Wharf's own request path costs, it ÷ the floor what the framework costs.
 * Targets (gateway cache on, the default; list latest, page 1): req/s ≥ 0.5 × the floor's; CPU
 * per request ≤ 2 × the floor's; the same two against the NestJS floor.
 */
const VERSIONS = Number(process.env.BENCH_VERSIONS ?? 10_000);
const CLIENTS = Number(process.env.BENCH_CLIENTS ?? 50);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 4);
/**
 * Rounds per scenario; each runs Wharf, then the NestJS floor, then the floor. Odd, so that the
 * median of the rounds' ratios is one round's: with two, `median` took the lower of the two ratios
 * (the worse req/s ratio and the better CPU ratio of the same pair of rounds).
 */
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const WARMUP_SECONDS = Number(process.env.BENCH_WARMUP_SECONDS ?? 1);
const ADMIN = `wharf_pat_${'c'.repeat(40)}`;

async function seed(url: string): Promise<void> {
  const c = new Client({ connectionString: url });
  await c.connect();
  try {
    // Rows as an import writes them (same columns and search text), inserted in bulk: importing
    // 10 000 zips would measure the import, not the catalog.
    await c.query(`
      INSERT INTO repository."AppVersion" ("id","name","version","versionKey","title","description","categories","keywords",
        "ownerSub","ownerName","visibility","runtime","env","blobKey","sha256","size","searchText")
      SELECT 'b' || lpad(g::text, 11, '0'),
        'app-' || lpad((g / 10)::text, 4, '0'),
        '1.' || (g % 10) || '.0',
        lpad('1', 10, '0') || '.' || lpad((g % 10)::text, 10, '0') || '.' || lpad('0', 10, '0') || '~',
        'App ' || (g / 10), 'A benchmark app number ' || g, ARRAY['Data Science'], ARRAY['bench', 'k' || (g % 100)],
        'user' || (g % 37), 'user' || (g % 37), 'ALL_USERS', '{"module":"app","runtimeVersion":null,"memoryLimit":null,"memoryReservation":null,"volumeMount":null,"volumeSize":null,"gpuCount":0}',
        '[]', 'bundles/b' || g || '.zip', repeat('0', 64), 1000,
        lower('app-' || lpad((g / 10)::text, 4, '0') || ' App ' || (g / 10) || ' A benchmark app number ' || g || ' bench k' || (g % 100))
      FROM generate_series(0, $1::int - 1) g`, [VERSIONS]);
    await c.query('ANALYZE repository."AppVersion"');
  } finally {
    await c.end();
  }
}

// ---- the floors (child processes: `node catalog.js --floor [nest]`, given their pages over IPC) ---

/** A bare node:http server: the same bytes from memory, behind a constant-time compare of the header. */
function floorMain(): void {
  process.once('message', (m: FloorPages) => {
    if (process.argv.includes('nest')) {
      startNestFloor(m).then(
        (port) => process.send?.({ port }),
        (e: unknown) => {
          console.error(e);
          process.exit(1);
        },
      );
      return;
    }
    const expected = Buffer.from(m.authorization);
    const pages = new Map(Object.entries(m.pages).map(([p, v]) => [p, { body: Buffer.from(v.body, 'base64'), type: v.contentType }]));
    const server = http.createServer((req, res) => {
      const got = Buffer.from(req.headers.authorization ?? '');
      if (got.length !== expected.length || !timingSafeEqual(got, expected)) {
        res.writeHead(401).end();
        return;
      }
      const page = pages.get(req.url ?? '');
      if (!page) {
        res.writeHead(404).end();
        return;
      }
      res.writeHead(200, { 'content-type': page.type, 'content-length': page.body.length }).end(page.body);
    });
    server.keepAliveTimeout = 60_000;
    server.listen(0, '127.0.0.1', () => process.send?.({ port: (server.address() as AddressInfo).port }));
  });
  process.on('disconnect', () => process.exit(0));
}

async function startFloor(m: FloorPages, kind: 'node' | 'nest' = 'node'): Promise<{ base: string; pid: number; stop(): void }> {
  const proc = track(fork(__filename, ['--floor', ...(kind === 'nest' ? ['nest'] : [])], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] }));
  const port = await new Promise<number>((resolve, reject) => {
    proc.once('message', (r: { port: number }) => resolve(r.port));
    proc.once('exit', (c) => reject(new Error(`the ${kind === 'nest' ? 'NestJS ' : ''}floor exited with ${c}`)));
    proc.send(m);
  });
  return { base: `http://127.0.0.1:${port}`, pid: proc.pid!, stop: () => proc.kill('SIGTERM') };
}

// ---- the run ------------------------------------------------------------------------------------

interface Side {
  /** The round with the median req/s, and every round's req/s. */
  median: WrkResult;
  rounds_rps: number[];
}

interface Scenario {
  paths: string[];
  wharf: Side;
  floor: Side;
  nest_floor: Side;
  /** Median over the rounds of Wharf's req/s ÷ the floor's in the same round. */
  rps_ratio: number | null;
  /** Median over the rounds of Wharf's CPU per request ÷ the floor's. */
  cpu_ratio: number | null;
  /** The same two against the NestJS floor: what Wharf's own request path costs over its framework. */
  nest_rps_ratio: number | null;
  nest_cpu_ratio: number | null;
  /** The NestJS floor ÷ the floor: what the framework itself costs (req/s, CPU per request). */
  nest_floor_over_floor: { rps: number | null; cpu: number | null };
  /** Wharf's CPU per request over all its rounds, by process. */
  wharf_cpu_us_per_request_by_process: Record<string, number>;
}

function side(runs: WrkResult[]): Side {
  const sorted = [...runs].sort((a, b) => a.rps - b.rps);
  return { median: sorted[Math.floor((sorted.length - 1) / 2)]!, rounds_rps: runs.map((r) => r.rps) };
}

function check(r: WrkResult, who: string): WrkResult {
  if (r.non_2xx > 0 || r.requests === 0) throw new Error(`${who}: ${r.non_2xx} non-2xx answers of ${r.requests}`);
  return r;
}

async function run(gatewayCacheMs: number, tmp: string): Promise<Record<string, Scenario>> {
  const [db, nats] = await Promise.all([createTestDatabase('wharf_bench'), startNatsServer()]);
  let wharf: Awaited<ReturnType<typeof startWharf>>;
  try {
    wharf = await startWharf({
      DATABASE_URL: db.url,
      NATS_URL: nats.url,
      WHARF_GATEWAY_BOOTSTRAP_ADMIN_TOKEN: ADMIN,
      WHARF_PLATFORM_LOG_LEVEL: 'warn',
      WHARF_GATEWAY_CATALOG_CACHE_MS: String(gatewayCacheMs),
    });
  } catch (e) {
    await Promise.all([nats.stop(), db.drop()]); // nothing may outlive a failed start
    throw e;
  }
  let floor: Awaited<ReturnType<typeof startFloor>> | undefined;
  let nestFloor: Awaited<ReturnType<typeof startFloor>> | undefined;
  const unstop = onStop(async () => {
    floor?.stop();
    nestFloor?.stop();
    await wharf.stop().catch(() => undefined);
    await Promise.all([nats.stop(), db.drop()]);
  });
  try {
    await seed(db.url);
    const mint = await fetch(`${wharf.gateway}/api/v1/tokens`, {
      method: 'POST',
      headers: { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json' },
      body: JSON.stringify({ user: 'reader', roles: ['full-access'] }),
    });
    const reader = ((await mint.json()) as { token: string }).token;
    const authorization = `Bearer ${reader}`;
    const first = (await (await fetch(`${wharf.gateway}/api/v1/apps?limit=50`, { headers: { authorization } })).json()) as { nextCursor: string };
    const scenarios: Record<string, string[]> = {
      list_latest_page1: ['/api/v1/apps?limit=50'],
      list_latest_page2_cursor: [`/api/v1/apps?limit=50&cursor=${first.nextCursor}`],
      list_all_versions: ['/api/v1/apps?allVersions=true&limit=50'],
      search_q: ['/api/v1/apps?q=k42&limit=50', '/api/v1/apps?q=number%20999&limit=50'],
      get_one: ['/api/v1/apps/app-0042@1.3.0'],
    };
    // The floor's pages: Wharf's own answers, byte for byte.
    const pages: FloorPages['pages'] = {};
    for (const p of Object.values(scenarios).flat()) {
      const res = await fetch(`${wharf.gateway}${p}`, { headers: { authorization } });
      if (res.status !== 200) throw new Error(`GET ${p}: HTTP ${res.status}`);
      pages[p] = { body: Buffer.from(await res.arrayBuffer()).toString('base64'), contentType: res.headers.get('content-type') ?? 'application/json' };
    }
    floor = await startFloor({ authorization, pages });
    nestFloor = await startFloor({ authorization, pages }, 'nest');
    const pids = wharf.pids();
    const natsPid = natsServerPid(nats.port);
    const named: Record<string, number> = { gateway: pids.gateway!, repository: pids.repository!, ...(natsPid ? { 'nats-server': natsPid } : {}) };
    const wharfPids = Object.values(named);
    const floorPid = floor.pid;
    const load = (base: string, paths: string[], seconds: number, watch: () => number) => {
      let script: string | undefined;
      if (paths.length > 1) writeFileSync((script = path.join(tmp, 'paths.lua')), wrkScript(paths));
      return wrk({ base, paths, script, connections: CLIENTS, seconds, headers: { Authorization: authorization }, watch });
    };
    const wharfCpu = () => cpuMicros(wharfPids);
    const floorCpu = () => cpuMicros([floorPid]);
    const nestFloorPid = nestFloor.pid;
    const nestFloorCpu = () => cpuMicros([nestFloorPid]);
    // warm-up, both sides (JIT, caches, keep-alive pools)
    check(await load(wharf.gateway, scenarios.list_latest_page1!, WARMUP_SECONDS, wharfCpu), 'warm-up');
    check(await load(nestFloor.base, scenarios.list_latest_page1!, WARMUP_SECONDS, nestFloorCpu), 'NestJS floor warm-up');
    check(await load(floor.base, scenarios.list_latest_page1!, WARMUP_SECONDS, floorCpu), 'floor warm-up');
    const results: Record<string, Scenario> = {};
    for (const [name, paths] of Object.entries(scenarios)) {
      const w: WrkResult[] = [];
      const f: WrkResult[] = [];
      const n: WrkResult[] = [];
      const byProcess: Record<string, number> = {};
      for (let r = 0; r < ROUNDS; r++) {
        const each0 = Object.fromEntries(Object.entries(named).map(([k, pid]) => [k, cpuMicros([pid])]));
        w.push(check(await load(wharf.gateway, paths, SECONDS, wharfCpu), `${name} (Wharf)`));
        for (const [k, pid] of Object.entries(named)) byProcess[k] = (byProcess[k] ?? 0) + cpuMicros([pid]) - each0[k]!;
        n.push(check(await load(nestFloor.base, paths, SECONDS, nestFloorCpu), `${name} (NestJS floor)`));
        f.push(check(await load(floor.base, paths, SECONDS, floorCpu), `${name} (floor)`));
      }
      const wharfRequests = w.reduce((a, x) => a + x.requests, 0);
      // median over the rounds of a ÷ b in the same round
      const paired = (a: WrkResult[], b: WrkResult[], k: 'rps' | 'cpu_us_per_request') => round(median(a.map((x, i) => ratio(x[k], b[i]![k]) ?? NaN)), 2);
      results[name] = {
        paths,
        wharf: side(w),
        floor: side(f),
        nest_floor: side(n),
        rps_ratio: paired(w, f, 'rps'),
        cpu_ratio: paired(w, f, 'cpu_us_per_request'),
        nest_rps_ratio: paired(w, n, 'rps'),
        nest_cpu_ratio: paired(w, n, 'cpu_us_per_request'),
        nest_floor_over_floor: { rps: paired(n, f, 'rps'), cpu: paired(n, f, 'cpu_us_per_request') },
        wharf_cpu_us_per_request_by_process: Object.fromEntries(Object.entries(byProcess).map(([k, us]) => [k, round(us / Math.max(1, wharfRequests))])),
      };
      console.error(`bench/catalog: cache ${gatewayCacheMs ? 'on' : 'off'}, ${name}: Wharf ${results[name].wharf.rounds_rps.join(', ')} req/s, NestJS floor ${results[name].nest_floor.rounds_rps.join(', ')} req/s, floor ${results[name].floor.rounds_rps.join(', ')} req/s`);
    }
    return results;
  } finally {
    unstop();
    floor?.stop();
    nestFloor?.stop();
    await wharf.stop();
    await Promise.all([nats.stop(), db.drop()]);
  }
}

function sideTable(title: string, r: Record<string, Scenario>): string {
  const rows: (string | number | null)[][] = [
    [title, 'req/s', 'p50 ms', 'p99 ms', 'CPU µs/req', 'floor req/s', 'floor p99', 'floor CPU µs/req', 'req/s ratio', 'CPU ratio', 'NestJS floor req/s', 'its CPU µs/req', 'req/s ratio', 'CPU ratio'],
  ];
  for (const [name, s] of Object.entries(r)) {
    const w = s.wharf.median;
    const f = s.floor.median;
    const n = s.nest_floor.median;
    rows.push([name, w.rps, w.p50_ms, w.p99_ms, w.cpu_us_per_request, f.rps, f.p99_ms, f.cpu_us_per_request, s.rps_ratio, s.cpu_ratio, n.rps, n.cpu_us_per_request, s.nest_rps_ratio, s.nest_cpu_ratio]);
  }
  return table(rows);
}

async function main(): Promise<void> {
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'wharf-bench-catalog-'));
  stopOnSignals('catalog');
  onStop(() => rmSync(tmp, { recursive: true, force: true }));
  const loadBefore = os.loadavg().map((x) => round(x, 2));
  try {
    // Side by side: the shipped configuration (gateway answer cache on), and the same system with
    // the gateway cache off, so every request crosses NATS to the repository (its own cache on).
    const cached = await run(5000, tmp);
    const uncached = await run(0, tmp);
    const judged = cached.list_latest_page1!;
    const verdicts = [
      verdict('list req/s vs floor', judged.rps_ratio, '>=', 0.5, `Wharf req/s ÷ floor req/s, list latest, ${CLIENTS} connections, gateway cache on`),
      verdict('list CPU/request vs floor', judged.cpu_ratio, '<=', 2, 'Wharf CPU µs per request (gateway + repository + nats-server) ÷ the floor’s'),
      verdict('list req/s vs NestJS floor', judged.nest_rps_ratio, '>=', 0.5, 'Wharf req/s ÷ the NestJS floor’s: what Wharf’s own request path costs over its framework'),
      verdict('list CPU/request vs NestJS floor', judged.nest_cpu_ratio, '<=', 2, 'Wharf CPU µs per request ÷ the NestJS floor’s'),
    ];
    console.error(sideTable('gateway cache on', cached));
    console.error(sideTable('gateway cache off', uncached));
    printVerdicts('catalog', verdicts);
    console.log(
      JSON.stringify(
        {
          bench: 'catalog',
          machine: machine(),
          loadavg_1_5_15: { before: loadBefore, after: os.loadavg().map((x) => round(x, 2)) },
          versions: VERSIONS,
          clients: CLIENTS,
          seconds_per_run: SECONDS,
          rounds: ROUNDS,
          load: `wrk -t1 -c${CLIENTS} -d${SECONDS}s, Wharf, the NestJS floor and the floor in turn, round by round`,
          floor: 'bare node:http server (own process) answering the same bytes from memory after a constant-time compare of the same Authorization header',
          nest_floor: 'NestJS on Express (own process) as the gateway creates it, one global guard comparing the same header in constant time, the catalog’s two routes, the same bytes from memory sent as the gateway sends a cached answer',
          cpu: 'user + system time per request: Wharf = gateway + repository + nats-server; floor = its one process',
          headline: {
            wharf_rps: judged.wharf.median.rps,
            floor_rps: judged.floor.median.rps,
            rps_ratio: judged.rps_ratio,
            wharf_p99_ms: judged.wharf.median.p99_ms,
            floor_p99_ms: judged.floor.median.p99_ms,
            wharf_cpu_us_per_request: judged.wharf.median.cpu_us_per_request,
            floor_cpu_us_per_request: judged.floor.median.cpu_us_per_request,
            cpu_ratio: judged.cpu_ratio,
            nest_floor_rps: judged.nest_floor.median.rps,
            nest_floor_cpu_us_per_request: judged.nest_floor.median.cpu_us_per_request,
            nest_rps_ratio: judged.nest_rps_ratio,
            nest_cpu_ratio: judged.nest_cpu_ratio,
          },
          gateway_cache_on: cached,
          gateway_cache_off: uncached,
          verdicts,
          pass: verdicts.every((v) => v.pass),
        },
        null,
        2,
      ),
    );
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

if (process.argv.includes('--floor')) floorMain();
else
  main().catch((e: unknown) => {
    console.error(e);
    process.exit(1);
  });
