import { fork, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import cluster from 'node:cluster';
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { connect, StringCodec, type Msg, type NatsConnection } from 'nats';
import WebSocket, { WebSocketServer } from 'ws';
import { AliasContracts, IdentityContracts, SchedulerContracts, type Instance } from '@wharf/contracts';
import { freePort, instanceRecord, procStat, rssBytes, startNatsServer, type NatsServer } from '@wharf/testing';
import { cpuTicks, machine, MB, median, natsServerPid, parseWrkOutput, percentile, round, stealPercent, WRK_TAIL_SCRIPT, type WrkOutput } from './common';

/**
 * bench/router: the same upstream (a Node http + ws echo server in a child process) reached on
 * 127.0.0.1 (a) directly, (b) through nginx (worker_processes 1, upstream keepalive 64), (c)
 * through configurable-http-proxy (JupyterHub's proxy) and (d) through the Wharf router with
 * authorization on (every request carries a bearer PAT and an instance host), at
 * Router.Workers = 1 and 2. The bench plays the scheduler and the gateway on a private NATS.
 *
 *  - HTTP: wrk -t1 at fixed connections for a fixed time, a 12-byte and a 64 KiB response;
 *    Requests/sec, p50 and p99 from `wrk --latency`, and the CPU time the proxy and the upstream
 *    spent per request (from /proc: a figure that steal time and noisy neighbours hardly move).
 *    ROUNDS rounds go through every target in turn, so a slow minute on a shared machine hits all
 *    targets alike; each figure is the target's median round (by req/s), every round is in the JSON.
 *  - latency under light load: wrk -c1, one request at a time — what the hop itself adds (at 32
 *    connections every target is saturated and its latency is queueing: ≈ connections ÷ req/s).
 *  - node-floor (a reference, not a product): the leanest forwarder Node's http module allows —
 *    http.request with a keep-alive agent, no checks, no pipes, Router.Workers-many processes — the
 *    ceiling for any data path built on node:http on this machine.
 *  - websocket echo: WS_CLIENTS clients, each doing sequential echo round trips.
 *  - soak: through the router and CHP at the same time, clients opening a websocket, exchanging
 *    a few messages and closing (every 4th abruptly) for SOAK_SECONDS; RSS of every proxy
 *    process (router: primary + cluster workers) after a warm-up and at the end; open fds; and
 *    whether the upstream still holds websockets after the clients are gone (half-open pairs).
 *
 * Targets (judged on the better router configuration): router/CHP req/s ≥ 2, router/nginx
 * req/s ≥ 0.5, router CPU per request ≤ 1.2 × node-floor's, router p99 − direct p99 ≤ 2 ms (each
 * for both sizes; the p99 at one connection, the median of LIGHT_ROUNDS rounds), soak RSS growth
 * ≤ 10 MB. On 2 CPUs or more each proxy is pinned to the last one (see PIN), and for the
 * one-connection runs to wrk's (see SAME_CPU).
 * Prints a side-by-side table on stderr and JSON on stdout. Every child process (nginx, CHP,
 * router and its workers, upstream, wrk, nats-server) is stopped at the end, also on failure.
 *
 * Env (or --flag value): BENCH_CONNECTIONS (--connections, 32), BENCH_SECONDS (--seconds, 4 per
 * round), BENCH_ROUNDS (--rounds, 3), BENCH_LIGHT_SECONDS (--light-seconds, 2), BENCH_LIGHT_ROUNDS
 * (--light-rounds, 5), BENCH_WARMUP_SECONDS
 * (1), BENCH_WS_CLIENTS (32), BENCH_WS_SECONDS (--ws-seconds, 4), BENCH_SOAK_SECONDS
 * (--soak-seconds, 60), BENCH_SOAK_CLIENTS (32), BENCH_SOAK_WARMUP_SECONDS (10),
 * BENCH_SOAK_WARMUP_MAX_SECONDS (60), BENCH_ROUTER_WORKERS (--workers, "1,2"), BENCH_FLOOR
 * (--floor, 1: also run the node-floor reference; 0: skip it), BENCH_ROUTER_NODE_ARGS (node flags
 * for the router's processes, e.g. "--cpu-prof --cpu-prof-dir=/tmp/p" to profile it under this load).
 */
const ROOT = path.resolve(__dirname, '../..');
// BENCH_ROUTER_MAIN: another build of the router (e.g. an earlier commit's) in place of this tree's
const ROUTER_MAIN = process.env.BENCH_ROUTER_MAIN ?? path.join(ROOT, 'apps/router/dist/main.js');
/**
 * BENCH_ROUTER_BASELINE: another build of the router (an earlier commit's main.js) run beside this
 * one as target `router-base` (1 worker), through the same rounds: a change measured side by side
 * in one run. Shown, never judged.
 */
const ROUTER_BASELINE = process.env.BENCH_ROUTER_BASELINE ?? '';
/** The node flags the router starts with wherever Wharf starts it (its image's CMD, `pnpm start`). */
const ROUTER_NODE_FLAGS = (JSON.parse(readFileSync(path.join(ROOT, 'apps/router/package.json'), 'utf8')) as { wharf?: { nodeFlags?: string[] } }).wharf?.nodeFlags ?? [];
const CHP_BIN = path.join(ROOT, 'bench/node_modules/.bin/configurable-http-proxy');
const NGINX_BIN = process.env.BENCH_NGINX ?? '/usr/sbin/nginx';
const WRK_BIN = process.env.BENCH_WRK ?? (existsSync('/usr/bin/wrk') ? '/usr/bin/wrk' : 'wrk');

function option(flag: string, env: string, fallback: string): string {
  const argv = process.argv;
  for (let i = 2; i < argv.length; i++) {
    if (argv[i] === `--${flag}` && argv[i + 1] !== undefined) return argv[i + 1]!;
    if (argv[i]!.startsWith(`--${flag}=`)) return argv[i]!.slice(flag.length + 3);
  }
  return process.env[env] ?? fallback;
}
const numOption = (flag: string, env: string, fallback: number): number => {
  const v = Number(option(flag, env, String(fallback)));
  if (!Number.isFinite(v) || v < 0) throw new Error(`--${flag} / ${env}: not a number: ${option(flag, env, '')}`);
  return v;
};

const CONNECTIONS = numOption('connections', 'BENCH_CONNECTIONS', 32);
const SECONDS = numOption('seconds', 'BENCH_SECONDS', 4);
const ROUNDS = Math.max(1, Math.round(numOption('rounds', 'BENCH_ROUNDS', 3)));
const LIGHT_SECONDS = numOption('light-seconds', 'BENCH_LIGHT_SECONDS', 2);
/**
 * Rounds of the one-connection runs, through every target in turn; each target's p99 is the
 * median of its rounds'. One 3 s run's p99 swung 0.3–4.7 ms for nginx from run to run on the same
 * machine (a stall of the VM lands in the 1 % or not): one round says more about the minute than
 * about the proxy.
 */
const LIGHT_ROUNDS = numOption('light-rounds', 'BENCH_LIGHT_ROUNDS', 5);
const FLOOR = option('floor', 'BENCH_FLOOR', '1') !== '0';
const WARMUP_SECONDS = numOption('warmup-seconds', 'BENCH_WARMUP_SECONDS', 1);
const WS_CLIENTS = numOption('ws-clients', 'BENCH_WS_CLIENTS', 32);
const WS_SECONDS = numOption('ws-seconds', 'BENCH_WS_SECONDS', 4);
const SOAK_SECONDS = numOption('soak-seconds', 'BENCH_SOAK_SECONDS', 60);
const SOAK_CLIENTS = numOption('soak-clients', 'BENCH_SOAK_CLIENTS', 32);
/** Churn before the first RSS sample: the heaps grow to their working size in the first seconds. */
const SOAK_WARMUP_SECONDS = numOption('soak-warmup-seconds', 'BENCH_SOAK_WARMUP_SECONDS', 10);
/**
 * ...and longer while any proxy's RSS still reaches new highs (a cluster worker that got few of
 * the earlier connections is still growing into its working size), up to this. A leak never
 * levels off: it runs the warm-up to this cap and still shows as growth in the measured part.
 */
const SOAK_WARMUP_MAX_SECONDS = numOption('soak-warmup-max-seconds', 'BENCH_SOAK_WARMUP_MAX_SECONDS', 60);
/** Messages exchanged on each soak websocket before it closes. */
const SOAK_MESSAGES = 3;
/**
 * With 2 CPUs or more, every proxy runs alone on the last CPU, and wrk, the upstream, nats-server
 * and this process on the others (taskset). Unpinned on a 2-core machine, a proxy shares its CPUs
 * with wrk and the upstream, and its CPU time per request swung 2–3× between rounds of the same
 * build (node-floor 106–225 µs, CHP 280–435 µs), more than the differences being measured.
 * BENCH_PIN=0 runs unpinned (and the router at 1 and 2 workers by default).
 */
const CPU_COUNT = os.cpus().length;
const PIN = option('pin', 'BENCH_PIN', CPU_COUNT >= 2 ? '1' : '0') !== '0' && CPU_COUNT >= 2;
const PROXY_CPUS = String(CPU_COUNT - 1);
const LOAD_CPUS = CPU_COUNT > 2 ? `0-${CPU_COUNT - 2}` : '0';
/**
 * The one-connection runs, pinned: wrk, the upstream and the proxy on this one CPU (judged), and
 * the proxy apart on PROXY_CPUS (reported). One request at a time leaves nothing to run in
 * parallel, and apart every request crosses CPUs four times: on this VM a cross-CPU wake-up now
 * and then takes milliseconds, and nginx alone on the other CPU added +2.5–3.3 ms to direct's p99
 * where on the same CPU it added +0.1–0.3 ms (2026-12-02). Apart, the figure is the VM's; on one
 * CPU it is the proxy's own work and pauses (GC included, on the CPU it shares with the others).
 */
const SAME_CPU = '0';
const TASKSET = '/usr/bin/taskset';
// pinned, a second worker would share the proxy's one CPU: 1 worker unless asked
const WORKERS = option('workers', 'BENCH_ROUTER_WORKERS', PIN ? '1' : '1,2')
  .split(',')
  .map((s) => Number(s.trim()))
  .filter((n) => Number.isInteger(n) && n >= 1);

const TARGET = { router_over_chp: 2, router_over_nginx: 0.5, p99_minus_direct_ms: 2, cpu_over_floor: 1.2, soak_growth_mb: 10, soak_heap_growth_mb: 2 };

/** Moves processes (every thread) onto `cpus` (a taskset list). */
function pin(pids: number[], cpus: string): void {
  for (const pid of pids) {
    const r = spawnSync(TASKSET, ['-a', '-p', '-c', cpus, String(pid)], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`taskset -a -p -c ${cpus} ${pid}: ${r.error?.message ?? r.stderr}`);
  }
}
const TOKEN = 'wharf_pat_bench';
const INSTANCE_ID = 'benchinst1';
const SECRET = `bench-router-${randomBytes(12).toString('hex')}`;
const SIZES = { small: { path: '/small', bytes: 12 }, '64k': { path: '/64k', bytes: 65536 } } as const;
type Size = keyof typeof SIZES;
const WS_MESSAGE = 'x'.repeat(32);

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const log = (s: string) => console.error(`bench/router: ${s}`);
const started = performance.now();

// ---- the upstream (child process: `node router.js --as-upstream`) ----------------------------------

/** GET /small → 12 bytes, GET /64k → 65536 bytes, /headers → what it received, /stats → open websockets by `?via=`; ws echoes. */
function upstreamMain(): void {
  const small = Buffer.from('hello wharf\n');
  const big = Buffer.alloc(65536, 'x');
  const open = new Map<string, number>();
  const opened = new Map<string, number>();
  const server = http.createServer((req, res) => {
    const send = (type: string, body: Buffer | string) => {
      res.writeHead(200, { 'content-type': type, 'content-length': Buffer.byteLength(body) });
      res.end(body);
    };
    if (req.url === '/small') return send('text/plain', small);
    if (req.url === '/64k') return send('application/octet-stream', big);
    if (req.url === '/headers') return send('application/json', JSON.stringify(req.headers));
    if (req.url === '/stats') return send('application/json', JSON.stringify({ open: Object.fromEntries(open), opened: Object.fromEntries(opened) }));
    res.writeHead(404, { 'content-length': '0' });
    res.end();
  });
  // Longer than any run: the proxies' keep-alive pools are never closed under them mid-measurement.
  server.keepAliveTimeout = 120_000;
  server.headersTimeout = 121_000;
  const wss = new WebSocketServer({ server, perMessageDeflate: false });
  wss.on('connection', (ws, req) => {
    const via = new URL(req.url ?? '/', 'http://x').searchParams.get('via') ?? 'unknown';
    open.set(via, (open.get(via) ?? 0) + 1);
    opened.set(via, (opened.get(via) ?? 0) + 1);
    ws.on('message', (m, isBinary) => ws.send(m, { binary: isBinary }));
    ws.on('error', () => ws.terminate());
    ws.once('close', () => open.set(via, open.get(via)! - 1));
  });
  server.listen(0, '127.0.0.1', () => process.send?.({ port: (server.address() as AddressInfo).port }));
  // The bench went away (finished, failed or killed): so does the upstream.
  process.on('disconnect', () => process.exit(0));
}

// ---- node-floor (child process: `node router.js --as-node-floor <upstream port> <port> <workers>`) --------

/**
 * The least a Node proxy can do per request: node:http server, http.request over a keep-alive
 * agent, the response head passed as received, the body written on with backpressure. No checks,
 * no header rewriting, no websockets, GET/HEAD only (the bench sends nothing else). A reference for
 * what node:http itself costs here, not something to deploy.
 */
function floorMain(): void {
  const [upstreamPort, port, workers] = process.argv.slice(process.argv.indexOf('--as-node-floor') + 1).map(Number);
  if (cluster.isPrimary && workers! > 1) {
    cluster.schedulingPolicy = cluster.SCHED_NONE; // as the router: workers accept on the shared port themselves
    for (let i = 0; i < workers!; i++) cluster.fork();
    let up = 0;
    cluster.on('message', () => ++up === workers && console.log('listening'));
    process.on('SIGTERM', () => process.exit(0)); // workers see the disconnect and go too
    return;
  }
  const agent = new http.Agent({ keepAlive: true, maxSockets: 256, maxFreeSockets: 256, scheduling: 'lifo' });
  const server = http.createServer((req, res) => {
    const out = http.request({ host: '127.0.0.1', port: upstreamPort, method: req.method, path: req.url, headers: req.headers, agent }, (r) => {
      res.writeHead(r.statusCode ?? 502, r.rawHeaders);
      r.on('data', (c: Buffer) => {
        if (!res.write(c)) {
          r.pause();
          res.once('drain', () => r.resume());
        }
      });
      r.on('end', () => res.end());
    });
    out.on('error', () => {
      if (!res.headersSent) res.writeHead(502);
      res.end();
    });
    out.end();
  });
  server.listen(port, '127.0.0.1', () => (cluster.isWorker ? process.send?.('listening') : console.log('listening')));
  if (cluster.isWorker) process.on('disconnect', () => process.exit(0));
}

// ---- child processes: tracked, each proxy in its own process group --------------------------------

interface Child {
  proc: ChildProcess;
  name: string;
  /** Leader of its own process group (kill(-pid) reaches nginx/router workers too). */
  group: boolean;
}
const children = new Set<Child>();
const groups = new Set<number>();
const tempDirs = new Set<string>();

function track(proc: ChildProcess, name: string, group: boolean): Child {
  const c = { proc, name, group };
  children.add(c);
  if (group && proc.pid) groups.add(proc.pid);
  return c;
}

const alive = (p: ChildProcess) => p.exitCode === null && p.signalCode === null;

function kill(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(pid, signal);
  } catch {
    // already gone
  }
}

/** Every process on the machine, with its parent and process group (Linux /proc). */
function processTable(): { pid: number; ppid: number; pgrp: number; cmd: string }[] {
  const out: { pid: number; ppid: number; pgrp: number; cmd: string }[] = [];
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const f = procStat(d);
      const cmd = readFileSync(`/proc/${d}/cmdline`, 'utf8').replace(/\0/g, ' ').trim();
      if (!f || f.state === 'Z') continue; // gone, or a zombie waiting for its parent, not a running process
      out.push({ pid: Number(d), ppid: f.ppid, pgrp: f.pgrp, cmd: cmd.slice(0, 200) });
    } catch {
      // gone
    }
  }
  return out;
}

/** Members of a process group (a proxy and its workers). */
const groupPids = (pgid: number) => processTable().filter((p) => p.pgrp === pgid).map((p) => p.pid);

async function stopChild(c: Child, graceMs = 5000): Promise<void> {
  const { proc } = c;
  if (!proc.pid) return;
  if (alive(proc)) {
    const exited = new Promise<void>((r) => proc.once('exit', () => r()));
    kill(c.group ? -proc.pid : proc.pid, 'SIGTERM');
    const t = setTimeout(() => kill(c.group ? -proc.pid! : proc.pid!, 'SIGKILL'), graceMs);
    await exited;
    clearTimeout(t);
  }
  // Workers that outlived their leader (a crashed primary, an nginx master that did not wait).
  if (c.group) {
    for (let i = 0; i < 40 && groupPids(proc.pid).length; i++) {
      if (i === 20) kill(-proc.pid, 'SIGKILL');
      await sleep(50);
    }
  }
  children.delete(c);
}

/** Last resort (process exit): SIGKILL whatever is still tracked. */
function killAllNow(): void {
  for (const c of children) if (c.proc.pid) kill(c.group ? -c.proc.pid : c.proc.pid, 'SIGKILL');
  for (const g of groups) kill(-g, 'SIGKILL');
}

/** Processes of this run still alive: members of our proxies' groups, and our own children. */
function leftovers(): { pid: number; cmd: string }[] {
  return processTable()
    .filter((p) => p.pid !== process.pid && (groups.has(p.pgrp) || p.ppid === process.pid))
    .map((p) => ({ pid: p.pid, cmd: p.cmd }));
}

/** Keeps the last lines of a child's output (warnings and errors are what we look for). */
function capture(proc: ChildProcess, lines: string[]): void {
  for (const s of [proc.stdout, proc.stderr]) {
    if (!s) continue;
    createInterface({ input: s }).on('line', (line) => {
      lines.push(line);
      if (lines.length > 500) lines.splice(0, lines.length - 500);
    });
  }
}

// ---- HTTP helpers ---------------------------------------------------------------------------------

interface Answer {
  status: number;
  body: Buffer;
}

function get(port: number, p: string, headers: Record<string, string> = {}, timeoutMs = 5000): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = http.get({ host: '127.0.0.1', port, path: p, headers, agent: false, timeout: timeoutMs }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks) }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`GET ${p} on port ${port}: no answer within ${timeoutMs} ms`)));
    req.on('error', reject);
  });
}

async function waitFor(what: string, ok: () => Promise<boolean>, timeoutMs: number, died: () => string | null): Promise<void> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const dead = died();
    if (dead) throw new Error(`${what}: ${dead}`);
    if (await ok().catch(() => false)) return;
    if (Date.now() > until) throw new Error(`${what}: not ready within ${timeoutMs} ms`);
    await sleep(50);
  }
}

// ---- the proxies ----------------------------------------------------------------------------------

interface Target {
  name: string;
  kind: 'direct' | 'nginx' | 'chp' | 'router' | 'baseline' | 'floor';
  port: number;
  workers?: number;
  /** The processes that do the proxying (for RSS); empty for direct. */
  pids(): number[];
  output: string[];
  child?: Child;
  note: string;
}

/**
 * What every request carries, on every target alike: the router needs both; the others ignore them.
 * Capitalized: wrk adds its own `Host` unless it finds exactly `Host` among ours (two Host headers → nginx 400).
 */
const headersFor = (port: number): Record<string, string> => ({ Host: `${INSTANCE_ID}.apps.localhost:${port}`, Authorization: `Bearer ${TOKEN}` });

async function startNginx(upstreamPort: number): Promise<Target> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'wharf-bench-nginx-'));
  tempDirs.add(dir);
  chmodSync(dir, 0o755); // nginx workers run as `nobody` when we are root: they must reach the temp paths
  const port = await freePort();
  const conf = path.join(dir, 'nginx.conf');
  writeFileSync(
    conf,
    `worker_processes 1;
daemon off;
pid ${dir}/nginx.pid;
error_log ${dir}/error.log warn;
events { worker_connections 4096; }
http {
  access_log off;
  client_body_temp_path ${dir}/client_body;
  proxy_temp_path ${dir}/proxy;
  fastcgi_temp_path ${dir}/fastcgi;
  uwsgi_temp_path ${dir}/uwsgi;
  scgi_temp_path ${dir}/scgi;
  upstream app { server 127.0.0.1:${upstreamPort}; keepalive 64; }
  # websockets: Upgrade/Connection passed on; other requests send Connection "" (upstream keep-alive)
  map $http_upgrade $connection_upgrade { default upgrade; '' ''; }
  server {
    listen 127.0.0.1:${port};
    location / {
      proxy_pass http://app;
      proxy_http_version 1.1;
      proxy_set_header Upgrade $http_upgrade;
      proxy_set_header Connection $connection_upgrade;
      proxy_read_timeout 3600s;
    }
  }
}
`,
  );
  const proc = spawn(NGINX_BIN, ['-p', `${dir}/`, '-c', conf, '-e', `${dir}/error.log`], { stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  const child = track(proc, 'nginx', true);
  const output: string[] = [];
  capture(proc, output);
  await waitFor('nginx', async () => (await get(port, '/small')).status === 200, 10_000, () =>
    alive(proc) ? null : `exited with ${proc.exitCode ?? proc.signalCode}: ${output.join('\n')} ${existsSync(`${dir}/error.log`) ? readFileSync(`${dir}/error.log`, 'utf8') : ''}`,
  );
  return { name: 'nginx', kind: 'nginx', port, pids: () => groupPids(proc.pid!), output, child, note: 'nginx, worker_processes 1, upstream keepalive 64' };
}

async function startChp(upstreamPort: number): Promise<Target> {
  if (!existsSync(CHP_BIN)) throw new Error(`${CHP_BIN} is missing: run pnpm install`);
  const [port, apiPort] = [await freePort(), await freePort()];
  const args = ['--ip', '127.0.0.1', '--port', String(port), '--api-ip', '127.0.0.1', '--api-port', String(apiPort), '--default-target', `http://127.0.0.1:${upstreamPort}`, '--log-level', 'error'];
  // --inspect-port=0: as for the router, the soak's full collection (the inspector off until then)
  const nodeOptions = `${process.env.NODE_OPTIONS ?? ''} --inspect-port=0`.trim();
  const proc = spawn(CHP_BIN, args, { env: { ...process.env, NODE_OPTIONS: nodeOptions, CONFIGPROXY_AUTH_TOKEN: randomBytes(16).toString('hex') }, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  const child = track(proc, 'configurable-http-proxy', true);
  const output: string[] = [];
  capture(proc, output);
  await waitFor('configurable-http-proxy', async () => (await get(port, '/small')).status === 200, 20_000, () =>
    alive(proc) ? null : `exited with ${proc.exitCode ?? proc.signalCode}: ${output.join('\n')}`,
  );
  const version = JSON.parse(readFileSync(path.join(ROOT, 'bench/node_modules/configurable-http-proxy/package.json'), 'utf8')) as { version: string };
  return { name: 'chp', kind: 'chp', port, pids: () => groupPids(proc.pid!), output, child, note: `configurable-http-proxy ${version.version}, --default-target` };
}

async function startFloor(upstreamPort: number, workers: number): Promise<Target> {
  const port = await freePort();
  const proc = spawn(process.execPath, [__filename, '--as-node-floor', String(upstreamPort), String(port), String(workers)], { stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  const child = track(proc, 'node-floor', true);
  const output: string[] = [];
  capture(proc, output);
  await waitFor('node-floor', async () => output.includes('listening') && (await get(port, '/small')).status === 200, 20_000, () =>
    alive(proc) ? null : `exited with ${proc.exitCode ?? proc.signalCode}: ${output.join('\n')}`,
  );
  return {
    name: 'node-floor',
    kind: 'floor',
    port,
    workers,
    pids: () => groupPids(proc.pid!),
    output,
    child,
    note: `reference only: bare node:http forwarder (http.request, keep-alive agent, no checks, no pipes), ${workers} worker${workers === 1 ? '' : 's'}, HTTP GET only`,
  };
}

/** The router's JSON log line, or null for any other line. */
function logLine(line: string): { level?: string; msg?: string } | null {
  if (!line.startsWith('{')) return null;
  try {
    return JSON.parse(line) as { level?: string; msg?: string };
  } catch {
    return null;
  }
}

const isBanner = (line: string): boolean => (logLine(line)?.msg ?? line).startsWith('Router: ');
/** Anything but the router's info lines (start-up, banner, shutdown) is a problem worth showing. */
/** What node's inspector prints when the soak switches it on (not a problem). */
const isInspectorLine = (line: string): boolean => /^(Debugger (listening on|attached\.|ending on)|For help, see: https:\/\/nodejs\.org)/.test(line);
const isRouterProblem = (line: string): boolean => logLine(line)?.level !== 'info' && !isInspectorLine(line);

async function startRouter(workers: number, natsUrl: string, main = ROUTER_MAIN, baseline = false): Promise<Target> {
  const port = await freePort();
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    NATS_URL: natsUrl,
    WHARF_ROUTER_PORT: String(port),
    WHARF_ROUTER_HOST: '127.0.0.1',
    WHARF_PLATFORM_INTERNAL_SECRET: SECRET,
    // 'log': the banner (an info line) says when every worker listens; the router logs nothing per request
    WHARF_PLATFORM_LOG_LEVEL: 'log',
    WHARF_PLATFORM_LOG_FORMAT: 'json',
    WHARF_ROUTER_WORKERS: String(workers),
  };
  delete env.WHARF_CONFIG;
  // e.g. BENCH_ROUTER_NODE_ARGS="--cpu-prof --cpu-prof-dir=/tmp/prof": a CPU profile of the router under this load
  // BENCH_ROUTER_BASELINE_NODE_ARGS: the baseline's own (default: the same), e.g. a node flag tried
  // side by side on the same build
  const given = baseline ? (process.env.BENCH_ROUTER_BASELINE_NODE_ARGS ?? process.env.BENCH_ROUTER_NODE_ARGS) : process.env.BENCH_ROUTER_NODE_ARGS;
  const nodeArgs = (given ?? '').split(/\s+/).filter(Boolean);
  const allNodeArgs = [...ROUTER_NODE_FLAGS, ...nodeArgs];
  // the inspector stays off until the soak switches it on (SIGUSR1) for a full collection; the
  // router's own start-up flags (package.json wharf.nodeFlags) as its image and `pnpm start` give them
  const proc = spawn(process.execPath, ['--inspect-port=0', ...allNodeArgs, main], { env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  const name = baseline ? 'router-base' : `router-w${workers}`;
  const child = track(proc, name, true);
  const output: string[] = [];
  capture(proc, output);
  const died = () => (alive(proc) ? null : `exited with ${proc.exitCode ?? proc.signalCode}:\n${output.join('\n')}`);
  // The banner comes once every worker listens; then /readyz (any worker) until several in a row say NATS is up.
  await waitFor(`${name} banner`, async () => output.some(isBanner), 30_000, died);
  let streak = 0;
  await waitFor(`${name} /readyz`, async () => {
    streak = (await get(port, '/readyz')).status === 200 ? streak + 1 : 0;
    return streak >= 2 * workers;
  }, 30_000, died);
  return {
    name,
    kind: baseline ? 'baseline' : 'router',
    port,
    workers,
    pids: () => groupPids(proc.pid!),
    output,
    child,
    note: `${baseline ? `${main} (BENCH_ROUTER_BASELINE), shown beside the router, not judged` : 'apps/router/dist/main.js'}${allNodeArgs.length ? ` with node ${allNodeArgs.join(' ')}` : ''}, Router.Workers=${workers}, authorization on (bearer PAT, PRIVATE instance)`,
  };
}

// ---- the platform, played by the bench: NestJS's NATS wire format ---------------------------------

/**
 * @nestjs/microservices over NATS: a request is JSON `{ pattern, data, id }` with a reply inbox;
 * the answer is `{ id, response, isDisposed: true }` or `{ id, err: { code, message }, isDisposed: true }`.
 * Our `data` is the contract envelope `{ caller, body }`; the response is the bare response object.
 * Answers are validated with the real contracts before they are sent.
 */
async function playPlatform(natsUrl: string, instance: Instance): Promise<{ nc: NatsConnection; counts: Record<string, number> }> {
  const nc = await connect({ servers: natsUrl, name: 'bench-router-platform' });
  const sc = StringCodec();
  const counts = { route: 0, aliases: 0, verify: 0, refused: 0, invalid: 0 };
  const serve = (subject: string, answer: (data: unknown) => { response: unknown } | { err: { code: string; message: string } }) => {
    nc.subscribe(subject, {
      callback: (err, m: Msg) => {
        if (err || !m.reply) return;
        let packet: { id?: string; data?: unknown };
        try {
          packet = JSON.parse(sc.decode(m.data)) as { id?: string; data?: unknown };
        } catch {
          counts.invalid++;
          return;
        }
        if (packet.id === undefined) return; // an event, not a request
        let a: ReturnType<typeof answer>;
        try {
          a = answer(packet.data);
        } catch (e) {
          counts.invalid++;
          a = { err: { code: 'INTERNAL', message: `bench platform: ${e instanceof Error ? e.message : String(e)}` } };
        }
        m.respond(sc.encode(JSON.stringify({ id: packet.id, ...a, isDisposed: true })));
      },
    });
  };
  serve(SchedulerContracts.route.subject, (data) => {
    const env = SchedulerContracts.route.envelope.parse(data);
    counts.route++;
    const instances = env.body.ids.filter((id) => id === instance.id).map(() => instance);
    return { response: SchedulerContracts.route.response.parse({ instances }) };
  });
  // the alias table (no aliases): read at start and every Router.ResyncSeconds, as from the scheduler
  serve(AliasContracts.route.subject, (data) => {
    AliasContracts.route.envelope.parse(data);
    counts.aliases++;
    return { response: AliasContracts.route.response.parse({ seq: 0, aliases: [] }) };
  });
  serve(IdentityContracts.verifyToken.subject, (data) => {
    const env = IdentityContracts.verifyToken.envelope.parse(data);
    counts.verify++;
    if (env.body.token !== TOKEN) {
      counts.refused++;
      return { err: { code: 'UNAUTHENTICATED', message: 'unknown token' } };
    }
    const response = { caller: { sub: 'bench', name: 'bench', roles: ['full-access'] }, kind: 'pat', readOnly: false, expiresAt: null };
    return { response: IdentityContracts.verifyToken.response.parse(response) };
  });
  await nc.flush();
  return { nc, counts };
}

function benchInstance(upstreamPort: number): Instance {
  return instanceRecord({
    id: INSTANCE_ID,
    appVersionId: 'benchapp01',
    appName: 'bench',
    appOwner: { sub: 'bench', name: 'bench' },
    owner: { sub: 'bench', name: 'bench' },
    address: `127.0.0.1:${upstreamPort}`,
  });
}

// ---- wrk ------------------------------------------------------------------------------------------

interface WrkResult extends WrkOutput {
  /** CPU time (user + system) per request of the proxy's processes and of the upstream; null where not measured. */
  cpu_us_per_request?: { proxy: number | null; upstream: number | null };
  /**
   * Percent of each CPU's time the hypervisor gave to others during the run (/proc/stat steal):
   * whether a slow round was the machine's.
   */
  steal_pct?: number[];
}

type MedianRound = WrkResult & { rounds_rps: number[] };

/** One proxy against the others, for one response size. */
interface SizeVerdict {
  router_over_chp_rps: number;
  router_over_nginx_rps: number;
  router_over_direct_rps: number;
  /** At one connection, the median of the rounds' p99 (the judged figure; pinned: on the CPU of wrk and the upstream). */
  p99_minus_direct_ms: number;
  /** The same with the proxy on its own CPU (pinned runs only; reported, not judged: see SAME_CPU). */
  p99_minus_direct_ms_own_cpu: number | null;
  p50_minus_direct_ms: number;
  /** At CONNECTIONS connections, where it is queueing. */
  p99_minus_direct_ms_saturated: number;
  cpu_us_per_request: number | null;
  /** CPU per request ÷ node-floor's (null without the floor). */
  cpu_over_floor: number | null;
  pass_router_over_chp: boolean;
  pass_cpu_over_floor: boolean;
  pass_router_over_nginx: boolean;
  pass_p99_minus_direct: boolean;
}

/** The round with the median req/s (the lower middle one for an even count), and every round's req/s. */
function medianRound(runs: WrkResult[]): MedianRound {
  const sorted = [...runs].sort((a, b) => a.rps - b.rps);
  return { ...sorted[Math.floor((sorted.length - 1) / 2)]!, rounds_rps: runs.map((r) => r.rps) };
}

/** One-connection rounds of a target: the median p50 and p99 over the rounds (`median`: the lower middle one for an even count), and every round's. */
interface MedianLight {
  p50_ms: number;
  p99_ms: number;
  non_2xx: number;
  rounds_p50_ms: number[];
  rounds_p99_ms: number[];
  /** Each round's steal per CPU (see WrkResult). */
  rounds_steal_pct: number[][];
  /** Median over the rounds of p90 … p99.9 (ms). */
  tail_ms: Record<string, number>;
}

function medianLight(runs: WrkResult[]): MedianLight {
  return {
    p50_ms: median(runs.map((r) => r.p50_ms)),
    p99_ms: median(runs.map((r) => r.p99_ms)),
    non_2xx: runs.reduce((a, r) => a + r.non_2xx, 0),
    rounds_p50_ms: runs.map((r) => r.p50_ms),
    rounds_p99_ms: runs.map((r) => r.p99_ms),
    rounds_steal_pct: runs.map((r) => r.steal_pct ?? []),
    tail_ms: Object.fromEntries(Object.keys(runs[0]?.tail_ms ?? {}).map((k) => [k, median(runs.map((r) => r.tail_ms?.[k] ?? NaN))])),
  };
}

/** Clock ticks per second of /proc/<pid>/stat's utime and stime (USER_HZ: 100 on Linux, whatever the kernel's HZ). */
const USER_HZ = 100;

/** CPU time (user + system, µs) the processes have used so far; 0 for those gone. */
function cpuMicros(pids: number[]): number {
  let ticks = 0;
  for (const pid of pids) {
    try {
      const f = procStat(pid);
      if (f) ticks += f.utime + f.stime;
    } catch {
      // gone
    }
  }
  return (ticks * 1e6) / USER_HZ;
}

/** Whose CPU time a wrk run measures: the proxy's processes (none for direct) and the upstream. */
interface CpuWatch {
  proxy: number[];
  upstream: number;
}

let tailScriptPath: string | null = null;
function tailScript(): string {
  if (tailScriptPath) return tailScriptPath;
  const dir = mkdtempSync(path.join(os.tmpdir(), 'wharf-bench-wrk-'));
  tempDirs.add(dir);
  tailScriptPath = path.join(dir, 'tail.lua');
  writeFileSync(tailScriptPath, WRK_TAIL_SCRIPT);
  return tailScriptPath;
}

async function wrk(port: number, p: string, seconds: number, connections = CONNECTIONS, watch?: CpuWatch, cpus = LOAD_CPUS): Promise<WrkResult> {
  const headers = Object.entries(headersFor(port)).flatMap(([k, v]) => ['-H', `${k}: ${v}`]);
  // one connection: more of the tail than --latency prints (the shape says whether the p99 is a few stalls or many)
  const tail = connections === 1 ? ['-s', tailScript()] : [];
  const args = ['-t1', `-c${connections}`, `-d${seconds}s`, '--latency', '--timeout', '5s', ...tail, ...headers, `http://127.0.0.1:${port}${p}`];
  const cpu0 = watch && { proxy: cpuMicros(watch.proxy), upstream: cpuMicros([watch.upstream]) };
  const ticks0 = cpuTicks();
  const proc = PIN ? spawn(TASKSET, ['-c', cpus, WRK_BIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'] }) : spawn(WRK_BIN, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  const child = track(proc, 'wrk', false);
  let out = '';
  let err = '';
  proc.stdout!.on('data', (c: Buffer) => (out += c.toString()));
  proc.stderr!.on('data', (c: Buffer) => (err += c.toString()));
  const killer = setTimeout(() => kill(proc.pid!, 'SIGKILL'), (seconds + 20) * 1000);
  const code = await new Promise<number | null>((resolve, reject) => {
    proc.once('error', reject);
    proc.once('close', (c) => resolve(c));
  }).finally(() => {
    clearTimeout(killer);
    children.delete(child);
  });
  if (code !== 0) throw new Error(`wrk ${args.join(' ')} exited with ${code}: ${err}${out}`);
  const r: WrkResult = { ...parseWrkOutput(out), steal_pct: stealPercent(ticks0, cpuTicks()) };
  if (watch && cpu0 && r.requests > 0) {
    const per = (after: number, before: number) => round((after - before) / r.requests, 1);
    r.cpu_us_per_request = {
      proxy: watch.proxy.length ? per(cpuMicros(watch.proxy), cpu0.proxy) : null,
      upstream: per(cpuMicros([watch.upstream]), cpu0.upstream),
    };
  }
  return r;
}

// ---- websockets -----------------------------------------------------------------------------------

function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let t: NodeJS.Timeout;
  return Promise.race([p, new Promise<T>((_, reject) => (t = setTimeout(() => reject(new Error(`${what}: timed out after ${ms} ms`)), ms)))]).finally(() => clearTimeout(t));
}

/** An open websocket to the target whose echoes can be awaited one at a time. */
async function openWs(port: number, via: string): Promise<{ ws: WebSocket; echo(msg: string): Promise<void> }> {
  const ws = new WebSocket(`ws://127.0.0.1:${port}/ws?via=${via}`, { headers: headersFor(port), perMessageDeflate: false });
  let waiting: { resolve(): void; reject(e: Error): void } | null = null;
  ws.on('message', () => {
    const w = waiting;
    waiting = null;
    w?.resolve();
  });
  const fail = (e: Error) => {
    const w = waiting;
    waiting = null;
    w?.reject(e);
  };
  ws.on('close', () => fail(new Error('websocket closed while waiting for an echo')));
  await withTimeout(
    new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
      ws.once('unexpected-response', (_req, res) => reject(new Error(`websocket upgrade answered HTTP ${res.statusCode}`)));
    }),
    5000,
    'websocket open',
  ).catch((e: unknown) => {
    ws.terminate();
    throw e;
  });
  ws.on('error', fail);
  return {
    ws,
    echo: (msg) =>
      withTimeout(
        new Promise<void>((resolve, reject) => {
          waiting = { resolve, reject };
          ws.send(msg);
        }),
        5000,
        'websocket echo',
      ),
  };
}

const closeWs = (ws: WebSocket) =>
  ws.readyState === WebSocket.CLOSED
    ? Promise.resolve()
    : withTimeout(
        new Promise<void>((resolve) => {
          ws.once('close', () => resolve());
          ws.close(1000);
        }),
        5000,
        'websocket close',
      ).catch(() => ws.terminate());

async function wsEcho(t: Target) {
  const conns = await Promise.all(Array.from({ length: WS_CLIENTS }, () => openWs(t.port, `echo-${t.name}`)));
  const rtt: number[] = [];
  let errors = 0;
  const t0 = performance.now();
  const until = t0 + WS_SECONDS * 1000;
  await Promise.all(
    conns.map(async (c) => {
      while (performance.now() < until) {
        const s = performance.now();
        try {
          await c.echo(WS_MESSAGE);
        } catch {
          errors++;
          return;
        }
        rtt.push(performance.now() - s);
      }
    }),
  );
  const elapsed = (performance.now() - t0) / 1000;
  await Promise.all(conns.map((c) => closeWs(c.ws)));
  rtt.sort((a, b) => a - b);
  return { clients: WS_CLIENTS, round_trips: rtt.length, errors, rt_per_sec: round(rtt.length / elapsed), p50_ms: round(percentile(rtt, 50), 3), p99_ms: round(percentile(rtt, 99), 3) };
}

// ---- soak: websocket open/close churn, RSS over time ----------------------------------------------

function fdCount(pids: number[]): number {
  let n = 0;
  for (const pid of pids) {
    try {
      n += readdirSync(`/proc/${pid}/fd`).length;
    } catch {
      // gone or not ours
    }
  }
  return n;
}

const rssOf = (pids: number[]) => pids.reduce((a, pid) => a + rssBytes(pid), 0);

async function upstreamStats(port: number): Promise<{ open: Record<string, number>; opened: Record<string, number> }> {
  return JSON.parse((await get(port, '/stats')).body.toString()) as { open: Record<string, number>; opened: Record<string, number> };
}

/**
 * The JS heap a target's node processes keep after a full garbage collection, in bytes: what is
 * live, whatever phase of V8's collection cycle the moment falls in (with `Router.HeapGrowingPercent`
 * the heap runs up to 3 × that before a full collection, so RSS alone says more about the phase than
 * about a leak). Through each process's inspector: started with `--inspect-port=0` and off until
 * here, switched on with SIGUSR1 (the port it took is read from its "Debugger listening" line), then
 * `HeapProfiler.collectGarbage` twice (finalizers run between them) and `Runtime.getHeapUsage`.
 */
async function heapAfterGc(t: Target): Promise<{ heap: number; rss: number }> {
  let heap = 0;
  let rss = 0;
  for (const pid of t.pids()) {
    const url = inspectors.get(pid) ?? (await openInspector(pid, t));
    const [, , usage] = await cdp(url, ['HeapProfiler.collectGarbage', 'HeapProfiler.collectGarbage', 'Runtime.getHeapUsage']);
    heap += (usage as { usedSize: number }).usedSize;
    rss += rssBytes(pid);
  }
  return { heap, rss };
}

/** Inspector URLs of the processes switched on so far (by pid). */
const inspectors = new Map<number, string>();
const INSPECTOR_LINE = /Debugger listening on (ws:\/\/\S+)/;

async function openInspector(pid: number, t: Target): Promise<string> {
  const known = new Set([...inspectors.values()]);
  const fresh = () => t.output.map((l) => INSPECTOR_LINE.exec(l)?.[1]).find((u) => u !== undefined && !known.has(u));
  process.kill(pid, 'SIGUSR1');
  const until = Date.now() + 10_000;
  for (let url = fresh(); ; url = fresh()) {
    if (url) {
      inspectors.set(pid, url);
      return url;
    }
    if (Date.now() > until) throw new Error(`${t.name} (pid ${pid}): no inspector 10 s after SIGUSR1 (is it started with --inspect-port=0?)`);
    await sleep(50);
  }
}

/** Chrome DevTools protocol calls in turn on one connection; their results, in order. */
function cdp(url: string, methods: string[]): Promise<unknown[]> {
  return withTimeout(
    new Promise<unknown[]>((resolve, reject) => {
      const ws = new WebSocket(url);
      const results: unknown[] = [];
      const next = () => ws.send(JSON.stringify({ id: results.length + 1, method: methods[results.length] }));
      ws.on('open', next);
      ws.on('message', (data) => {
        const m = JSON.parse(data.toString()) as { id?: number; result?: unknown; error?: { message: string } };
        if (m.id === undefined) return; // an event
        if (m.error) return reject(new Error(`${methods[results.length]}: ${m.error.message}`));
        results.push(m.result);
        if (results.length < methods.length) return next();
        ws.close();
        resolve(results);
      });
      ws.on('error', reject);
    }),
    60_000,
    `inspector ${url}`,
  );
}

async function soak(targets: Target[], upstreamPort: number) {
  const state = targets.map((t) => ({ t, cycles: 0, clean: 0, abrupt: 0, errors: 0, lastError: '' }));
  let phaseEnd = performance.now() + SOAK_WARMUP_SECONDS * 1000;
  let stop = false;
  const cycle = async (s: (typeof state)[number], n: number) => {
    const c = await openWs(s.t.port, `soak-${s.t.name}`);
    for (let i = 0; i < SOAK_MESSAGES; i++) await c.echo(WS_MESSAGE);
    if (n % 4 === 3) {
      c.ws.terminate(); // the client vanishes without a close handshake (a closed laptop, a killed tab)
      s.abrupt++;
    } else {
      await closeWs(c.ws);
      s.clean++;
    }
    s.cycles++;
  };
  const clients = state.flatMap((s) =>
    Array.from({ length: SOAK_CLIENTS }, async () => {
      for (let n = 0; !stop; n++) {
        try {
          await cycle(s, n);
        } catch (e) {
          s.errors++;
          s.lastError = e instanceof Error ? e.message : String(e);
          await sleep(50);
        }
      }
    }),
  );
  const sample = () =>
    state.map((s) => {
      const pids = s.t.pids();
      const each = new Map(pids.map((pid) => [pid, rssBytes(pid)]));
      return { pids, each, rss: [...each.values()].reduce((a, b) => a + b, 0), fds: fdCount(pids) };
    });
  /** Per process: the group leader is the router's primary (or the only process), the rest its workers. */
  const perProcess = (i: number, a: ReturnType<typeof sample>[number], b: ReturnType<typeof sample>[number]) =>
    [...new Set([...a.pids, ...b.pids])].map((pid) => ({
      pid,
      role: pid === state[i]!.t.child?.proc.pid ? (a.pids.length > 1 ? 'primary' : 'main') : 'worker',
      start_mb: a.each.has(pid) ? round(a.each.get(pid)! / MB) : null,
      end_mb: b.each.has(pid) ? round(b.each.get(pid)! / MB) : null,
    }));
  // Warm-up: SOAK_WARMUP_SECONDS, then on until no proxy's RSS has set a new high (by more than
  // 1 MB) for 5 s, or SOAK_WARMUP_MAX_SECONDS have passed.
  const warmStart = performance.now();
  await sleep(Math.max(0, phaseEnd - performance.now()));
  const high = sample().map((x) => x.rss);
  let calmSince = performance.now();
  while (performance.now() - calmSince < 5000 && performance.now() - warmStart < SOAK_WARMUP_MAX_SECONDS * 1000) {
    await sleep(1000);
    sample().forEach((x, i) => {
      if (x.rss > high[i]! + MB) {
        high[i] = x.rss;
        calmSince = performance.now();
      }
    });
  }
  const warmupSeconds = round((performance.now() - warmStart) / 1000);
  const cyclesAtStart = state.map((s) => s.cycles);
  const start = sample();
  // then a full collection in every proxy, the churn going on: the heap and RSS that are live at the start
  const gcStart: { heap: number; rss: number }[] = [];
  for (const s of state) gcStart.push(await heapAfterGc(s.t));
  const timeline: { t_s: number; rss_mb: number[] }[] = [{ t_s: 0, rss_mb: start.map((x) => round(x.rss / MB)) }];
  const peak = start.map((x) => x.rss);
  const t0 = performance.now();
  phaseEnd = t0 + SOAK_SECONDS * 1000;
  while (performance.now() < phaseEnd) {
    await sleep(Math.min(1000, Math.max(0, phaseEnd - performance.now())));
    const now = sample();
    now.forEach((x, i) => (peak[i] = Math.max(peak[i]!, x.rss)));
    const ts = Math.round((performance.now() - t0) / 1000);
    if (ts % 10 === 0 || performance.now() >= phaseEnd) {
      if (timeline[timeline.length - 1]!.t_s === ts) timeline.pop();
      timeline.push({ t_s: ts, rss_mb: now.map((x) => round(x.rss / MB)) });
    }
  }
  const end = sample();
  // and again at the end, the churn still going on, as at the start
  const gcEnd: { heap: number; rss: number }[] = [];
  for (const s of state) gcEnd.push(await heapAfterGc(s.t));
  stop = true;
  await withTimeout(Promise.all(clients), 30_000, 'soak clients finishing').catch((e: unknown) => log(String(e)));
  await sleep(2000); // closes propagate through the proxy to the upstream
  const settled = sample();
  const up = await upstreamStats(upstreamPort);
  return Object.fromEntries(
    state.map((s, i) => [
      s.t.name,
      {
        clients: SOAK_CLIENTS,
        seconds: SOAK_SECONDS,
        warmup_seconds: warmupSeconds,
        cycles_measured: s.cycles - cyclesAtStart[i]!,
        cycles_per_sec: round((s.cycles - cyclesAtStart[i]!) / SOAK_SECONDS),
        cycles_total: s.cycles,
        clean_closes: s.clean,
        abrupt_closes: s.abrupt,
        errors: s.errors,
        last_error: s.lastError || null,
        processes: end[i]!.pids.length,
        rss_start_mb: round(start[i]!.rss / MB),
        rss_end_mb: round(end[i]!.rss / MB),
        rss_peak_mb: round(peak[i]! / MB),
        rss_after_2s_idle_mb: round(settled[i]!.rss / MB),
        rss_growth_mb: round((end[i]!.rss - start[i]!.rss) / MB),
        heap_after_gc_start_mb: round(gcStart[i]!.heap / MB),
        heap_after_gc_end_mb: round(gcEnd[i]!.heap / MB),
        heap_growth_after_gc_mb: round((gcEnd[i]!.heap - gcStart[i]!.heap) / MB),
        rss_after_gc_start_mb: round(gcStart[i]!.rss / MB),
        rss_after_gc_end_mb: round(gcEnd[i]!.rss / MB),
        rss_growth_after_gc_mb: round((gcEnd[i]!.rss - gcStart[i]!.rss) / MB),
        rss_by_process_mb: perProcess(i, start[i]!, end[i]!),
        fds_start: start[i]!.fds,
        fds_end: end[i]!.fds,
        fds_after_2s_idle: settled[i]!.fds,
        upstream_websockets_still_open_after_2s: up.open[`soak-${s.t.name}`] ?? 0,
        upstream_websockets_opened: up.opened[`soak-${s.t.name}`] ?? 0,
        timeline_rss_mb: timeline.map((p) => ({ t_s: p.t_s, rss_mb: p.rss_mb[i] })),
      },
    ]),
  );
}

// ---- checks, table --------------------------------------------------------------------------------

/** Fails loudly unless both sizes and a websocket echo work through the target. */
async function preflight(t: Target): Promise<void> {
  for (const s of Object.values(SIZES)) {
    const a = await get(t.port, s.path, headersFor(t.port));
    if (a.status !== 200 || a.body.length !== s.bytes) {
      throw new Error(`${t.name}: GET ${s.path} answered HTTP ${a.status} with ${a.body.length} bytes (want 200, ${s.bytes}): ${a.body.toString().slice(0, 300)}\n${t.output.slice(-20).join('\n')}`);
    }
  }
  if (t.kind === 'floor') return; // HTTP only
  const c = await openWs(t.port, `preflight-${t.name}`);
  await c.echo('ping');
  await closeWs(c.ws);
}

/** Authorization is really on: no token and a wrong token are refused; the app never sees the token. */
async function routerAuthCheck(t: Target) {
  const h = headersFor(t.port);
  const none = await get(t.port, '/small', { Host: h.Host! });
  const wrong = await get(t.port, '/small', { Host: h.Host!, Authorization: 'Bearer wharf_pat_wrong' });
  const seen = JSON.parse((await get(t.port, '/headers', h)).body.toString()) as Record<string, string>;
  const out = {
    no_token_status: none.status,
    wrong_token_status: wrong.status,
    upstream_saw_authorization: 'authorization' in seen,
    upstream_saw_x_wharf_user: seen['x-wharf-user'] ?? null,
    upstream_saw_identity_token: 'x-wharf-identity' in seen,
  };
  if (none.status !== 401 || wrong.status !== 401 || out.upstream_saw_authorization || out.upstream_saw_x_wharf_user !== 'bench') {
    throw new Error(`${t.name}: authorization does not behave as expected: ${JSON.stringify(out)}`);
  }
  return out;
}

const pad = (s: string | number, n: number) => String(s).padStart(n);
const padEnd = (s: string, n: number) => s.padEnd(n);
const fmt = (n: number | null | undefined, d = 2) => (n === null || n === undefined || Number.isNaN(n) ? '—' : n.toFixed(d));
/** A run's steal per CPU, `0.0/1.2 %`. */
const stealText = (r: WrkResult) => (r.steal_pct?.length ? `${r.steal_pct.map((x) => x.toFixed(1)).join('/')} %` : '—');
const mark = (pass: boolean) => (pass ? 'pass' : 'FAIL');

// ---- main -----------------------------------------------------------------------------------------

async function main(): Promise<void> {
  if (!existsSync(ROUTER_MAIN)) throw new Error(`${path.relative(ROOT, ROUTER_MAIN)} is missing: run pnpm -s build`);
  if (!existsSync(NGINX_BIN)) throw new Error(`${NGINX_BIN} is missing (Debian: apt-get install nginx-light), or set BENCH_NGINX`);
  if (ROUTER_BASELINE && !existsSync(ROUTER_BASELINE)) throw new Error(`BENCH_ROUTER_BASELINE=${ROUTER_BASELINE}: no such file (give another build's apps/router/dist/main.js, inside this checkout so that its packages resolve)`);
  if (WORKERS.length === 0) throw new Error('BENCH_ROUTER_WORKERS / --workers: give e.g. 1,2');
  const nTargets = 3 + WORKERS.length + (FLOOR ? 1 : 0) + (ROUTER_BASELINE ? 1 : 0);
  // pinned, each proxy's one-connection runs are made twice (on wrk's CPU and on its own)
  const lightRuns = LIGHT_ROUNDS * 2 * (PIN ? 2 : 1);
  const expectedS = 15 + nTargets * (Math.max(1, WARMUP_SECONDS) + ROUNDS * 2 * SECONDS + lightRuns * (LIGHT_SECONDS + 0.2) + WS_SECONDS + 3) + SOAK_WARMUP_SECONDS + SOAK_SECONDS + 5;
  log(`~${Math.round(expectedS)} s: ${nTargets} targets × (${ROUNDS} rounds × 2 × ${SECONDS} s wrk, ${lightRuns} × ${LIGHT_SECONDS} s at one connection, ${WS_SECONDS} s websocket echo), then a ${SOAK_SECONDS} s soak`);
  // The whole run is bounded: past this, everything is stopped and the bench fails.
  const watchdog = setTimeout(() => {
    log(`FAIL: still running after ${Math.round(expectedS + SOAK_WARMUP_MAX_SECONDS + 180)} s; stopping everything`);
    void cleanup().finally(() => process.exit(1));
  }, (expectedS + SOAK_WARMUP_MAX_SECONDS + 180) * 1000);
  watchdog.unref();

  const loadBefore = os.loadavg().map((x) => round(x, 2));
  let nats: NatsServer | null = null;
  let platform: Awaited<ReturnType<typeof playPlatform>> | null = null;
  let upstream: ChildProcess | null = null;
  const targets: Target[] = [];
  let cleaned = false;
  const cleanup = async () => {
    if (cleaned) return;
    cleaned = true;
    for (const c of [...children].reverse()) await stopChild(c).catch((e: unknown) => log(`stopping ${c.name}: ${String(e)}`));
    await platform?.nc.close().catch(() => undefined);
    await nats?.stop().catch((e: unknown) => log(`stopping nats-server: ${String(e)}`));
    for (const d of tempDirs) rmSync(d, { recursive: true, force: true });
  };
  const onSignal = (sig: NodeJS.Signals) => {
    log(`${sig}: stopping everything`);
    void cleanup().finally(() => process.exit(130));
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);

  let result: Record<string, unknown> | null = null;
  let table = '';
  let failure: unknown = null;
  try {
    // the upstream, in its own process (not sharing an event loop with the websocket clients)
    upstream = fork(__filename, ['--as-upstream'], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    track(upstream, 'upstream', false);
    const upstreamPort = await withTimeout(
      new Promise<number>((resolve, reject) => {
        upstream!.once('message', (m: { port: number }) => resolve(m.port));
        upstream!.once('exit', (c) => reject(new Error(`upstream exited with ${c}`)));
      }),
      10_000,
      'upstream start',
    );
    nats = await startNatsServer();
    platform = await playPlatform(nats.url, benchInstance(upstreamPort));

    targets.push({ name: 'direct', kind: 'direct', port: upstreamPort, pids: () => [], output: [], note: 'the upstream itself (Node http + ws, one process)' });
    log('starting nginx, configurable-http-proxy and the router');
    targets.push(await startNginx(upstreamPort));
    targets.push(await startChp(upstreamPort));
    for (const w of WORKERS) targets.push(await startRouter(w, nats.url));
    if (ROUTER_BASELINE) targets.push(await startRouter(1, nats.url, ROUTER_BASELINE, true));
    if (FLOOR) targets.push(await startFloor(upstreamPort, Math.max(...WORKERS)));
    for (const t of targets) await preflight(t);
    if (PIN) {
      if (!existsSync(TASKSET)) throw new Error(`${TASKSET} (util-linux) is missing: install it, or run with BENCH_PIN=0`);
      const natsPid = natsServerPid(nats.port);
      pin([process.pid, upstream!.pid!, ...(natsPid ? [natsPid] : [])], LOAD_CPUS);
      for (const t of targets) pin(t.pids(), PROXY_CPUS);
      log(`pinned: every proxy on CPU ${PROXY_CPUS}; wrk, the upstream, nats-server and the bench on CPU ${LOAD_CPUS}`);
    }
    const routers = targets.filter((t) => t.kind === 'router');
    const authCheck = await routerAuthCheck(routers[0]!);
    log(`every target answers 200 (small, 64k) and echoes websockets; router refuses no/wrong token with 401`);

    const sizes = Object.keys(SIZES) as Size[];
    const watchOf = (t: Target): CpuWatch => ({ proxy: t.pids(), upstream: upstream!.pid! });
    for (const t of targets) {
      // The warm-up (JIT, keep-alive pools) doubles as wrk's own check: every answer must be a 2xx.
      const warm = await wrk(t.port, SIZES.small.path, Math.max(1, WARMUP_SECONDS));
      if (warm.non_2xx > 0) throw new Error(`${t.name}: ${warm.non_2xx} of ${warm.requests} requests from wrk were not answered 2xx`);
    }
    // Rounds through every target in turn: a slow stretch of the machine hits them all alike.
    const rounds: Record<Size, Record<string, WrkResult[]>> = { small: {}, '64k': {} };
    for (let n = 1; n <= ROUNDS; n++) {
      for (const t of targets) {
        const watch = watchOf(t);
        for (const size of sizes) {
          const r = await wrk(t.port, SIZES[size].path, SECONDS, CONNECTIONS, watch);
          (rounds[size][t.name] ??= []).push(r);
          log(`round ${n}/${ROUNDS} ${padEnd(t.name, 10)} ${padEnd(size, 5)} ${pad(fmt(r.rps, 1), 9)} req/s  p50 ${fmt(r.p50_ms)} ms  p99 ${fmt(r.p99_ms)} ms  CPU ${fmt(r.cpu_us_per_request?.proxy, 0)} µs/req (upstream ${fmt(r.cpu_us_per_request?.upstream, 0)})  steal ${stealText(r)}${r.non_2xx ? `  non-2xx ${r.non_2xx}` : ''}`);
        }
      }
    }
    const http_ = Object.fromEntries(sizes.map((size) => [size, Object.fromEntries(targets.map((t) => [t.name, medianRound(rounds[size][t.name]!)]))])) as Record<Size, Record<string, MedianRound>>;
    // One request at a time: what the hop itself adds, without queueing; rounds through every target.
    // Pinned: each proxy on the CPU of wrk and the upstream (judged), then on its own (see SAME_CPU).
    const lightRounds: Record<Size, Record<string, WrkResult[]>> = { small: {}, '64k': {} };
    const apartRounds: Record<Size, Record<string, WrkResult[]>> = { small: {}, '64k': {} };
    if (PIN) pin([upstream!.pid!], SAME_CPU);
    const oneConnection = async (t: Target, into: Record<Size, Record<string, WrkResult[]>>) => {
      for (const size of sizes) (into[size][t.name] ??= []).push(await wrk(t.port, SIZES[size].path, LIGHT_SECONDS, 1, watchOf(t), SAME_CPU));
    };
    for (let n = 1; n <= LIGHT_ROUNDS; n++) {
      for (const t of targets) {
        if (PIN) pin(t.pids(), SAME_CPU);
        await oneConnection(t, lightRounds);
        if (PIN) pin(t.pids(), PROXY_CPUS);
        if (PIN && t.kind !== 'direct') await oneConnection(t, apartRounds);
        const last = (r: Record<Size, Record<string, WrkResult[]>>, size: Size) => r[size][t.name]?.at(-1)?.p99_ms;
        log(
          `1 connection, round ${n}/${LIGHT_ROUNDS} ${padEnd(t.name, 10)} p50 ${fmt(lightRounds.small[t.name]!.at(-1)!.p50_ms, 3)} ms  p99 ${fmt(last(lightRounds, 'small'), 3)} / ${fmt(last(lightRounds, '64k'), 3)} ms (small / 64k)` +
            (PIN && t.kind !== 'direct' ? `; on its own CPU p99 ${fmt(last(apartRounds, 'small'), 3)} / ${fmt(last(apartRounds, '64k'), 3)} ms` : '') +
            `; small p95 / p98 / p99.9 ${['p95', 'p98', 'p99.9'].map((k) => fmt(lightRounds.small[t.name]!.at(-1)!.tail_ms?.[k], 2)).join(' / ')} ms` +
            `; steal ${stealText(lightRounds.small[t.name]!.at(-1)!)}`,
        );
      }
    }
    if (PIN) pin([upstream!.pid!], LOAD_CPUS);
    const light = Object.fromEntries(sizes.map((size) => [size, Object.fromEntries(targets.map((t) => [t.name, medianLight(lightRounds[size][t.name]!)]))])) as Record<Size, Record<string, MedianLight>>;
    const lightApart = PIN
      ? (Object.fromEntries(sizes.map((size) => [size, Object.fromEntries(targets.filter((t) => t.kind !== 'direct').map((t) => [t.name, medianLight(apartRounds[size][t.name]!)]))])) as Record<Size, Record<string, MedianLight>>)
      : null;
    const echo: Record<string, Awaited<ReturnType<typeof wsEcho>>> = {};
    const rssAfterLoad: Record<string, number> = {};
    for (const t of targets) {
      if (t.kind !== 'floor') {
        echo[t.name] = await wsEcho(t);
        log(`${padEnd(t.name, 10)} ws    ${pad(fmt(echo[t.name]!.rt_per_sec, 1), 9)} rt/s   p50 ${fmt(echo[t.name]!.p50_ms)} ms  p99 ${fmt(echo[t.name]!.p99_ms)} ms`);
      }
      if (t.kind !== 'direct') rssAfterLoad[t.name] = round(rssOf(t.pids()) / MB);
    }

    // ratios and targets per router configuration
    const floorTarget = targets.find((t) => t.kind === 'floor');
    const judge = (r: Target) => {
      const per = Object.fromEntries(
        (Object.keys(SIZES) as Size[]).map((size) => {
          const x = http_[size][r.name]!;
          const overChp = round(x.rps / http_[size].chp!.rps, 2);
          const overNginx = round(x.rps / http_[size].nginx!.rps, 2);
          const l = light[size][r.name]!;
          const p99Delta = round(l.p99_ms - light[size].direct!.p99_ms, 3);
          const clean = x.non_2xx === 0 && x.socket_errors.timeout === 0 && l.non_2xx === 0;
          const floorCpu = floorTarget ? http_[size][floorTarget.name]!.cpu_us_per_request?.proxy : null;
          const mine = x.cpu_us_per_request?.proxy;
          const cpuOverFloor = floorCpu && mine ? round(mine / floorCpu, 2) : null;
          return [
            size,
            {
              router_over_chp_rps: overChp,
              router_over_nginx_rps: overNginx,
              router_over_direct_rps: round(x.rps / http_[size].direct!.rps, 2),
              p99_minus_direct_ms: p99Delta,
              p99_minus_direct_ms_own_cpu: lightApart?.[size][r.name] ? round(lightApart[size][r.name]!.p99_ms - light[size].direct!.p99_ms, 3) : null,
              p50_minus_direct_ms: round(l.p50_ms - light[size].direct!.p50_ms, 3),
              p99_minus_direct_ms_saturated: round(x.p99_ms - http_[size].direct!.p99_ms, 3),
              cpu_us_per_request: x.cpu_us_per_request?.proxy ?? null,
              cpu_over_floor: cpuOverFloor,
              pass_router_over_chp: clean && overChp >= TARGET.router_over_chp,
              pass_cpu_over_floor: clean && cpuOverFloor !== null && cpuOverFloor <= TARGET.cpu_over_floor,
              pass_router_over_nginx: clean && overNginx >= TARGET.router_over_nginx,
              pass_p99_minus_direct: clean && p99Delta <= TARGET.p99_minus_direct_ms,
            },
          ];
        }),
      ) as Record<Size, SizeVerdict>;
      const passes = Object.values(per).reduce((a, p) => a + Number(p.pass_router_over_chp) + Number(p.pass_router_over_nginx) + Number(p.pass_p99_minus_direct) + Number(p.pass_cpu_over_floor), 0);
      return { per, passes, ws_router_over_chp_rt: echo[r.name] ? round(echo[r.name]!.rt_per_sec / echo.chp!.rt_per_sec, 2) : null };
    };
    const judged = Object.fromEntries(routers.map((r) => [r.name, judge(r)]));
    const floor = targets.find((t) => t.kind === 'floor');
    const floorRatios = floor ? judge(floor).per : null;
    // The better configuration: more targets met; on a tie, more small-response req/s.
    const best = [...routers].sort((a, b) => judged[b.name]!.passes - judged[a.name]!.passes || http_.small[b.name]!.rps - http_.small[a.name]!.rps)[0]!;
    const bestWhy = routers.length === 1 ? 'the only configuration run' : `meets ${judged[best.name]!.passes} of 8 HTTP targets${routers.filter((r) => r !== best).map((r) => ` (${r.name}: ${judged[r.name]!.passes})`).join('')}; ties go to more small-response req/s`;

    // the soak: the better router and CHP; the rest is stopped first (less noise on the CPUs)
    for (const t of targets) if (t.child && t !== best && t.kind !== 'chp') await stopChild(t.child);
    const chp = targets.find((t) => t.kind === 'chp')!;
    log(`soak: ${SOAK_CLIENTS} clients each through ${best.name} and chp, open → ${SOAK_MESSAGES} echoes → close (every 4th abrupt), ${SOAK_WARMUP_SECONDS}–${SOAK_WARMUP_MAX_SECONDS} s warm-up (until RSS levels off) + ${SOAK_SECONDS} s`);
    const soaked = await soak([best, chp], upstreamPort);
    const soakRouter = soaked[best.name]!;
    const soakChp = soaked.chp!;
    log(`soak: ${best.name} ${soakRouter.cycles_per_sec} cycles/s, RSS ${soakRouter.rss_start_mb} → ${soakRouter.rss_end_mb} MB; chp ${soakChp.cycles_per_sec} cycles/s, RSS ${soakChp.rss_start_mb} → ${soakChp.rss_end_mb} MB`);

    const routerProblems = routers.flatMap((r) => r.output.filter(isRouterProblem).map((l) => `${r.name}: ${l}`));
    const chpProblems = chp.output.filter((l) => !isInspectorLine(l)).map((l) => `chp: ${l}`);
    const j = judged[best.name]!;
    const soakPass = soakRouter.rss_growth_after_gc_mb <= TARGET.soak_growth_mb && soakRouter.heap_growth_after_gc_mb <= TARGET.soak_heap_growth_mb && soakRouter.errors === 0 && soakRouter.upstream_websockets_still_open_after_2s === 0;
    const targetsOut = {
      router_over_chp_rps: { target: `>= ${TARGET.router_over_chp}`, small: j.per.small.router_over_chp_rps, '64k': j.per['64k'].router_over_chp_rps, pass: j.per.small.pass_router_over_chp && j.per['64k'].pass_router_over_chp },
      router_over_nginx_rps: { target: `>= ${TARGET.router_over_nginx}`, small: j.per.small.router_over_nginx_rps, '64k': j.per['64k'].router_over_nginx_rps, pass: j.per.small.pass_router_over_nginx && j.per['64k'].pass_router_over_nginx },
      router_cpu_over_node_floor: { target: `<= ${TARGET.cpu_over_floor}`, measured: 'CPU µs per request of the median round by req/s, each ÷ node-floor’s', small: j.per.small.cpu_over_floor, '64k': j.per['64k'].cpu_over_floor, pass: j.per.small.pass_cpu_over_floor && j.per['64k'].pass_cpu_over_floor },
      router_p99_minus_direct_p99_ms: { target: `<= ${TARGET.p99_minus_direct_ms}`, measured: `wrk -c1 (one request at a time: the hop, not queueing), median p99 of ${LIGHT_ROUNDS} rounds${PIN ? `, the proxy on CPU ${SAME_CPU} with wrk and the upstream` : ''}`,
        own_cpu_small: j.per.small.p99_minus_direct_ms_own_cpu,
        own_cpu_64k: j.per['64k'].p99_minus_direct_ms_own_cpu, small: j.per.small.p99_minus_direct_ms, '64k': j.per['64k'].p99_minus_direct_ms, pass: j.per.small.pass_p99_minus_direct && j.per['64k'].pass_p99_minus_direct },
      soak_rss_growth_mb: { target: `<= ${TARGET.soak_growth_mb}, after a full collection at both ends; the JS heap left after it <= ${TARGET.soak_heap_growth_mb} (and no soak errors, no websocket left open upstream)`, router: soakRouter.rss_growth_after_gc_mb, router_heap: soakRouter.heap_growth_after_gc_mb, chp: soakChp.rss_growth_after_gc_mb, chp_heap: soakChp.heap_growth_after_gc_mb, router_without_gc: soakRouter.rss_growth_mb, chp_without_gc: soakChp.rss_growth_mb, pass: soakPass },
    };

    // the readable table
    const names = targets.map((t) => t.name);
    const lines: string[] = [];
    lines.push(`bench/router: ${os.cpus().length} CPUs, wrk -t1 -c${CONNECTIONS}, ${ROUNDS} rounds × ${SECONDS} s per target and size (median round shown); -c1 × ${LIGHT_SECONDS} s; websocket echo ${WS_CLIENTS} clients × ${WS_SECONDS} s; all on 127.0.0.1`);
    lines.push('');
    lines.push(
      `${padEnd('target', 10)} │ ${pad('small req/s', 11)} ${pad('p50 ms', 7)} ${pad('p99 ms', 7)} ${pad('CPU µs', 7)} │ ${pad('64k req/s', 10)} ${pad('p50 ms', 7)} ${pad('p99 ms', 7)} ${pad('CPU µs', 7)} │ ${pad('1-conn p99 ms', 13)} ${pad('(64k)', 6)} │ ${pad('ws rt/s', 8)} ${pad('p50 ms', 7)} ${pad('p99 ms', 7)}`,
    );
    lines.push(`${'─'.repeat(11)}┼${'─'.repeat(37)}┼${'─'.repeat(36)}┼${'─'.repeat(22)}┼${'─'.repeat(25)}`);
    for (const n of names) {
      const s = http_.small[n]!;
      const b = http_['64k'][n]!;
      const e = echo[n];
      const errs = s.non_2xx + b.non_2xx + (e?.errors ?? 0) ? `  (non-2xx ${s.non_2xx + b.non_2xx}, ws errors ${e?.errors ?? 0})` : '';
      lines.push(
        `${padEnd(n, 10)} │ ${pad(fmt(s.rps, 1), 11)} ${pad(fmt(s.p50_ms), 7)} ${pad(fmt(s.p99_ms), 7)} ${pad(fmt(s.cpu_us_per_request?.proxy, 0), 7)} │ ${pad(fmt(b.rps, 1), 10)} ${pad(fmt(b.p50_ms), 7)} ${pad(fmt(b.p99_ms), 7)} ${pad(fmt(b.cpu_us_per_request?.proxy, 0), 7)} │ ${pad(fmt(light.small[n]!.p99_ms, 3), 13)} ${pad(fmt(light['64k'][n]!.p99_ms, 2), 6)} │ ${pad(fmt(e?.rt_per_sec, 1), 8)} ${pad(fmt(e?.p50_ms), 7)} ${pad(fmt(e?.p99_ms), 7)}${errs}`,
      );
    }
    lines.push(`(CPU µs: user + system time of the proxy's processes per request; the upstream's is in the JSON. 1-conn: wrk -c1, one request at a time.)`);
    lines.push('');
    lines.push(`${padEnd('ratios', 10)} │ ${pad('/CHP', 7)} ${pad('/nginx', 7)} ${pad('1-conn p99−direct small', 26)} │ ${pad('/CHP', 7)} ${pad('/nginx', 7)} ${pad('1-conn p99−direct 64k', 26)} │ ws /CHP`);
    const ownCpu = (v: SizeVerdict) => (v.p99_minus_direct_ms_own_cpu === null ? '' : ` (${fmt(v.p99_minus_direct_ms_own_cpu, 2)})`);
    const ratioRows: [string, ReturnType<typeof judge>['per'], number | null][] = routers.map((r) => [r.name, judged[r.name]!.per, judged[r.name]!.ws_router_over_chp_rt]);
    if (floor && floorRatios) ratioRows.push([`${floor.name}*`, floorRatios, null]);
    const nginx = targets.find((t) => t.kind === 'nginx');
    if (nginx) ratioRows.push(['nginx†', judge(nginx).per, null]);
    const base = targets.find((t) => t.kind === 'baseline');
    const baseRatios = base ? judge(base).per : null;
    if (base && baseRatios) ratioRows.push([`${base.name}‡`, baseRatios, echo[base.name] ? round(echo[base.name]!.rt_per_sec / echo.chp!.rt_per_sec, 2) : null]);
    for (const [name, p, ws] of ratioRows) {
      lines.push(
        `${padEnd(name, 10)} │ ${pad(fmt(p.small.router_over_chp_rps), 7)} ${pad(fmt(p.small.router_over_nginx_rps), 7)} ${pad(`${fmt(p.small.p99_minus_direct_ms, 3)} ms${ownCpu(p.small)}`, 26)} │ ${pad(fmt(p['64k'].router_over_chp_rps), 7)} ${pad(fmt(p['64k'].router_over_nginx_rps), 7)} ${pad(`${fmt(p['64k'].p99_minus_direct_ms, 3)} ms${ownCpu(p['64k'])}`, 26)} │ ${fmt(ws)}`,
      );
    }
    if (floor) lines.push(`* ${floor.name}: ${floor.note}; not judged — it shows how far any node:http data path gets on this machine.`);
    if (nginx) lines.push('† nginx against itself and CHP: a reference for what a C proxy adds to the one-connection p99 on this machine at this moment.');
    if (base && baseRatios) lines.push(`‡ ${base.name}: ${base.note}; its CPU ÷ node-floor: small ${fmt(baseRatios.small.cpu_over_floor)}, 64k ${fmt(baseRatios['64k'].cpu_over_floor)}.`);
    lines.push(
      `1-conn: wrk -c1, ${LIGHT_ROUNDS} rounds × ${LIGHT_SECONDS} s per target and size, median p99` +
        (PIN ? `; judged with the proxy on CPU ${SAME_CPU} beside wrk and the upstream, and (in brackets) on its own CPU ${PROXY_CPUS}, not judged: cross-CPU wake-ups on this machine` : ''),
    );
    lines.push('');
    lines.push(`soak (${SOAK_SECONDS} s after ${soakRouter.warmup_seconds} s warm-up, ${SOAK_CLIENTS} clients each, open → ${SOAK_MESSAGES} echoes → close, every 4th abrupt):`);
    for (const [n, s] of [[best.name, soakRouter], ['chp', soakChp]] as const) {
      lines.push(
        `  ${padEnd(n, 10)} ${pad(fmt(s.cycles_per_sec, 1), 7)} cycles/s, RSS ${fmt(s.rss_start_mb, 1)} → ${fmt(s.rss_end_mb, 1)} MB (growth ${fmt(s.rss_growth_mb, 1)} MB, peak ${fmt(s.rss_peak_mb, 1)}, ${s.processes} process${s.processes === 1 ? '' : 'es'}), fds ${s.fds_start} → ${s.fds_end} → ${s.fds_after_2s_idle} idle, upstream websockets still open ${s.upstream_websockets_still_open_after_2s}, errors ${s.errors}`,
        `  ${padEnd('', 10)} after a full collection: RSS ${fmt(s.rss_after_gc_start_mb, 1)} → ${fmt(s.rss_after_gc_end_mb, 1)} MB (${fmt(s.rss_growth_after_gc_mb, 1)}), JS heap ${fmt(s.heap_after_gc_start_mb, 1)} → ${fmt(s.heap_after_gc_end_mb, 1)} MB (${fmt(s.heap_growth_after_gc_mb, 1)})`,
      );
      if (s.rss_by_process_mb.length > 1) {
        lines.push(`  ${' '.repeat(10)} by process: ${s.rss_by_process_mb.map((p) => `${p.role} ${p.pid} ${fmt(p.start_mb, 1)} → ${fmt(p.end_mb, 1)} MB`).join(', ')}`);
      }
    }
    lines.push('');
    lines.push(`targets, judged on ${best.name} (${bestWhy}):`);
    lines.push(`  router/CHP req/s        ≥ ${TARGET.router_over_chp}     small ${fmt(j.per.small.router_over_chp_rps)}  64k ${fmt(j.per['64k'].router_over_chp_rps)}   ${mark(targetsOut.router_over_chp_rps.pass)}`);
    lines.push(`  router CPU/node-floor    ≤ ${TARGET.cpu_over_floor}   small ${fmt(j.per.small.cpu_over_floor)}  64k ${fmt(j.per['64k'].cpu_over_floor)}   ${mark(targetsOut.router_cpu_over_node_floor.pass)} (CPU µs per request)`);
    lines.push(`  router/nginx req/s      ≥ ${TARGET.router_over_nginx}   small ${fmt(j.per.small.router_over_nginx_rps)}  64k ${fmt(j.per['64k'].router_over_nginx_rps)}   ${mark(targetsOut.router_over_nginx_rps.pass)}`);
    lines.push(`  router p99 − direct p99 ≤ ${TARGET.p99_minus_direct_ms} ms  small ${fmt(j.per.small.p99_minus_direct_ms, 3)} ms  64k ${fmt(j.per['64k'].p99_minus_direct_ms, 3)} ms   ${mark(targetsOut.router_p99_minus_direct_p99_ms.pass)} (one connection, no queueing)`);
    lines.push(`  soak growth after GC    ≤ ${TARGET.soak_growth_mb} MB RSS, ≤ ${TARGET.soak_heap_growth_mb} MB heap  router ${fmt(soakRouter.rss_growth_after_gc_mb, 1)} / ${fmt(soakRouter.heap_growth_after_gc_mb, 1)} MB (CHP ${fmt(soakChp.rss_growth_after_gc_mb, 1)} / ${fmt(soakChp.heap_growth_after_gc_mb, 1)} MB)   ${mark(soakPass)}`);
    if (routerProblems.length) lines.push(`router log: ${routerProblems.length} warning/error lines (see router_log in the JSON)`);
    table = lines.join('\n');

    result = {
      bench: 'router',
      machine: machine(),
      loadavg_1_5_15: { before: loadBefore, after: os.loadavg().map((x) => round(x, 2)) },
      settings: {
        wrk: `wrk -t1 -c${CONNECTIONS} -d${SECONDS}s --latency, ${ROUNDS} rounds through all targets (+ ${Math.max(1, WARMUP_SECONDS)} s warm-up per target, not counted); wrk -t1 -c1 -d${LIGHT_SECONDS}s × ${LIGHT_ROUNDS} rounds for the one-connection latency`,
        rounds: ROUNDS,
        light_seconds: LIGHT_SECONDS,
        light_rounds: LIGHT_ROUNDS,
        pinned: PIN ? { proxies: PROXY_CPUS, load: LOAD_CPUS, one_connection_judged_on: SAME_CPU } : false,
        connections: CONNECTIONS,
        seconds: SECONDS,
        ws_clients: WS_CLIENTS,
        ws_seconds: WS_SECONDS,
        soak_seconds: SOAK_SECONDS,
        soak_warmup_seconds: SOAK_WARMUP_SECONDS,
        soak_clients_per_proxy: SOAK_CLIENTS,
        router_workers: WORKERS,
        responses: { small: `${SIZES.small.bytes} bytes`, '64k': `${SIZES['64k'].bytes} bytes` },
        request_headers: { host: `${INSTANCE_ID}.apps.localhost:<port>`, authorization: `Bearer ${TOKEN}` },
      },
      targets_run: Object.fromEntries(targets.map((t) => [t.name, t.note])),
      router_authorization_check: authCheck,
      http: http_,
      http_rounds: rounds,
      http_one_connection: light,
      http_one_connection_own_cpu: lightApart,
      websocket_echo: echo,
      rss_after_load_mb: rssAfterLoad,
      ratios: Object.fromEntries(routers.map((r) => [r.name, { ...judged[r.name]!.per, ws_echo_router_over_chp_rt: judged[r.name]!.ws_router_over_chp_rt }])),
      node_floor_ratios: floorRatios,
      baseline_ratios: baseRatios,
      soak: soaked,
      nats_requests_answered_by_bench: platform.counts,
      router_log: routerProblems.slice(-50),
      chp_log: chpProblems.slice(-50),
      judged_on: best.name,
      judged_on_why: bestWhy,
      targets: targetsOut,
      notes: [
        'wrk runs one at a time; the load generator, the proxy and the upstream share the same CPUs',
        'every request (all targets) carries the same Host and Authorization headers; only the router uses them',
        `p99 − direct p99 is judged with wrk -c1: at ${CONNECTIONS} connections every target is saturated and its latency is queueing (≈ connections ÷ req/s), which the req/s targets already judge; those figures are ratios.*.p99_minus_direct_ms_saturated`,
        'http.*: the median round by req/s of each target and size; http_rounds: every round',
        `http_one_connection: the median p50 and p99 of ${LIGHT_ROUNDS} rounds of wrk -c1 per target and size (every round's in rounds_*)${PIN ? `, each proxy pinned to CPU ${SAME_CPU} with wrk and the upstream; http_one_connection_own_cpu: the same with the proxy on CPU ${PROXY_CPUS} (reported, not judged: on a VM a cross-CPU wake-up can take milliseconds, and four of them are in every proxied request)` : ''}`,
        'cpu_us_per_request: user + system CPU time of the proxy processes (and of the upstream) during the run, per request completed',
        'steal_pct (each run in http_rounds, rounds_steal_pct in http_one_connection): percent of each CPU’s time the hypervisor gave to others during the run (/proc/stat), to tell a slow round of the machine from one of the proxy',
        'soak RSS: sum over the proxy processes (router: primary + cluster workers), sampled after the warm-up and when the churn stops; judged after a full collection in each process at both moments (through its inspector, switched on for it), with the JS heap left after it',
      ],
      pass: targetsOut.router_over_chp_rps.pass && targetsOut.router_over_nginx_rps.pass && targetsOut.router_cpu_over_node_floor.pass && targetsOut.router_p99_minus_direct_p99_ms.pass && targetsOut.soak_rss_growth_mb.pass,
      total_seconds: 0,
    };
  } catch (e) {
    failure = e;
    // (after a signal, the failure is only the cleanup stopping the run under us)
    if (!cleaned) for (const t of targets) if (t.output.length) log(`${t.name} output (last lines):\n${t.output.slice(-20).join('\n')}`);
  } finally {
    await cleanup();
    clearTimeout(watchdog);
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }

  // Nothing of this run may outlive it.
  let left = leftovers();
  for (let i = 0; i < 40 && left.length; i++) {
    await sleep(50);
    left = leftovers();
  }
  const cleanupReport = { leftover_processes: left, temp_dirs_left: [...tempDirs].filter((d) => existsSync(d)) };
  if (result) {
    result.total_seconds = round((performance.now() - started) / 1000);
    console.error(`\n${table}\n`);
    console.log(JSON.stringify({ ...result, cleanup: cleanupReport }, null, 2));
  }
  if (left.length) {
    console.error(`bench/router: FAIL: processes outlived the run: ${JSON.stringify(left)}`);
    for (const p of left) kill(p.pid, 'SIGKILL');
    process.exit(2);
  }
  if (failure) throw failure;
}

if (process.argv.includes('--as-upstream')) {
  upstreamMain();
} else if (process.argv.includes('--as-node-floor')) {
  floorMain();
} else {
  process.on('exit', killAllNow);
  main().catch((e: unknown) => {
    console.error(e);
    process.exit(1);
  });
}
