import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import http from 'node:http';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { alivePids, buildBundle, childPids, cutConnections, freePort, launcherPids, seededRandom, startWharf, type RunningSystem } from '@wharf/testing';
import WebSocket from 'ws';
import { callWithToken, EXAMPLES } from '../e2e/ui';
import { hostileCases, randomBodies, rawRequest, type HostileCase } from './hostile-input';

jest.setTimeout(180_000);

/** A process's resident memory in MB (Linux /proc), NaN when it is gone. */
function rssMb(pid: number): number {
  try {
    const kb = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
    return kb ? Math.round(Number(kb) / 102.4) / 10 : NaN;
  } catch {
    return NaN;
  }
}

/** Paths of the files under `dir`, however deep (none when it is not there). */
function listFiles(dir: string): string[] {
  try {
    return readdirSync(dir, { withFileTypes: true, recursive: true })
      .filter((e) => e.isFile())
      .map((e) => path.join(e.parentPath, e.name));
  } catch {
    return [];
  }
}

/** Files under `dir`, however deep (0 when it is not there). */
function countFiles(dir: string): number {
  try {
    return readdirSync(dir, { withFileTypes: true, recursive: true }).filter((e) => e.isFile()).length;
  } catch {
    return 0;
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** Platform.RequestTimeoutMs (5 s) plus the time to answer: nothing may take longer while a part is away. */
const ANSWER_WITHIN_MS = 7000;

interface Answer {
  status: number;
  ms: number;
  retryAfter: string | null;
  body?: Record<string, unknown>;
}

/**
 * The whole platform as `pnpm start` runs it, with three instances of the websocket sample, through
 * what goes wrong in production:
 * - outages of what it stands on: NATS stops answering for 10 s (frozen with SIGSTOP: connections
 *   hang rather than close, the harder case), and every PostgreSQL connection is cut (what a
 *   database restart does to clients). Nothing hangs past its timeout, 503s say when to retry, an
 *   open websocket goes on, and everything recovers by itself;
 * - its own services dying: each in turn is killed with SIGKILL. `pnpm start` starts it again, as
 *   systemd or Kubernetes would, while the others go on (the router keeps serving the instances
 *   while the scheduler is away); afterwards the same three instances run, each with one launcher:
 *   nothing lost, duplicated or orphaned. One killed again and again is reported as crash-looping,
 *   and still comes back.
 */
describe('the platform through outages and restarts', () => {
  let sys: RunningSystem;
  let token = '';
  const ids: string[] = [];

  beforeAll(async () => {
    sys = await startWharf({
      WHARF_EMBEDDED_RESTART_DELAY_SECONDS: '0.2',
      WHARF_EMBEDDED_RESTART_MAX_DELAY_SECONDS: '0.8',
      WHARF_EMBEDDED_CRASH_LOOP_EXITS: '3',
      WHARF_EMBEDDED_CRASH_LOOP_WINDOW_SECONDS: '120',
      // 20 instances for one user in the kill test (the default allows 10)
      WHARF_SCHEDULER_MAX_INSTANCES_FULL_ACCESS: '20',
    }, { embeddedPostgres: true });
    token = (await callWithToken(sys, sys.adminToken, 'POST', '/tokens', { user: 'alice', name: 'alice', roles: ['full-access'] })).body.token as string;
    const imported = await fetch(`${sys.gateway}/api/v1/bundles`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/zip' },
      body: new Uint8Array(readFileSync(path.join(EXAMPLES, 'echo-ws.zip'))),
    });
    expect(imported.status).toBe(201);
    for (let n = 0; n < 3; n++) ids.push((await callWithToken(sys, token, 'POST', '/apps/echo-ws/instances', {})).body.id as string);
    await until('three instances answering through the router', async () => (await statuses()).every((s) => s === 200), 60_000);
  });
  afterAll(async () => {
    if (sys && sys.proc.exitCode === null) await sys.stop();
  });

  async function until(what: string, check: () => Promise<boolean>, ms = 30_000): Promise<void> {
    const end = Date.now() + ms;
    while (!(await check())) {
      if (Date.now() > end) throw new Error(`${what}: not within ${ms} ms; output:\n${sys.output.slice(-30).join('\n')}`);
      await sleep(100);
    }
  }
  const timed = async (f: () => Promise<Omit<Answer, 'ms'>>): Promise<Answer> => {
    const started = Date.now();
    const r = await f();
    return { ...r, ms: Date.now() - started };
  };
  /** The API, with no client-side timeout shorter than the test's: a hang shows as a long `ms`; 0 when refused. */
  const api = (p: string) =>
    timed(async () => {
      try {
        const r = await fetch(`${sys.gateway}/api/v1${p}`, { headers: { authorization: `Bearer ${token}` }, signal: AbortSignal.timeout(30_000) });
        const text = await r.text();
        return { status: r.status, retryAfter: r.headers.get('retry-after'), body: (text.startsWith('{') ? JSON.parse(text) : {}) as Record<string, unknown> };
      } catch {
        return { status: 0, retryAfter: null };
      }
    });
  /** An instance through the router (127.0.0.1 with the Host header: Node cannot resolve *.localhost); 0 when refused. */
  const through = (id: string) =>
    timed(
      () =>
        new Promise((resolve) => {
          http
            .get({ host: '127.0.0.1', port: sys.routerPort, path: '/', headers: { host: `${id}.apps.localhost:${sys.routerPort}`, authorization: `Bearer ${token}` }, agent: false, timeout: 30_000 }, (res) => {
              res.resume();
              resolve({ status: res.statusCode!, retryAfter: (res.headers['retry-after'] as string | undefined) ?? null });
            })
            .on('error', () => resolve({ status: 0, retryAfter: null }))
            .on('timeout', function (this: http.ClientRequest) {
              this.destroy();
              resolve({ status: -1, retryAfter: null });
            });
        }),
    );
  /** Uploads a bundle 64 KB at a time, 20 ms apart; the answer's status, 0 when the connection broke. */
  const slowUpload = (bundle: Buffer) =>
    new Promise<number>((resolve) => {
      const u = new URL(`${sys.gateway}/api/v1/bundles`);
      const req = http.request(
        { host: u.hostname, port: u.port, path: u.pathname, method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/zip', 'content-length': bundle.length }, agent: false },
        (res) => {
          res.resume();
          res.on('end', () => resolve(res.statusCode!));
          res.on('error', () => resolve(0));
        },
      );
      req.on('error', () => resolve(0));
      void (async () => {
        for (let at = 0; at < bundle.length && !req.destroyed; at += 64 << 10) {
          req.write(bundle.subarray(at, at + (64 << 10)));
          await sleep(20);
        }
        req.end();
      })();
    });
  /** GET with any Host header, answered like fetch's Response (status, text()); rejects with `cause.code` like fetch. */
  const plainGet = (port: number, p: string, headers: Record<string, string>) =>
    new Promise<{ status: number; text(): Promise<string> }>((resolve, reject) => {
      const req = http.get({ host: '127.0.0.1', port, path: p, headers, agent: false, timeout: ANSWER_WITHIN_MS }, (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (body += c));
        res.on('end', () => resolve({ status: res.statusCode!, text: async () => body }));
        res.on('error', (e) => reject(Object.assign(new Error('response failed'), { cause: e })));
      });
      req.on('error', (e) => reject(Object.assign(new Error('request failed'), { cause: e })));
      req.on('timeout', () => req.destroy(Object.assign(new Error('timed out'), { code: 'ETIMEDOUT' })));
    });
  const statuses = async () => (await Promise.all(ids.map(through))).map((a) => a.status);
  const line = (re: RegExp) => sys.output.find((l) => re.test(l));

  /** A service's /metrics as Prometheus reads it: `name{labels} value` lines. */
  const scrape = async (port: number) => {
    const r = await fetch(`http://127.0.0.1:${port}/metrics`);
    expect([port, r.status, r.headers.get('content-type')]).toEqual([port, 200, expect.stringContaining('text/plain')]);
    return r.text();
  };
  const sample = (text: string, name: string, labels: Record<string, string> = {}): number | null => {
    const want = Object.entries(labels).map(([k, v]) => `${k}="${v}"`);
    const line = text.split('\n').find((l) => l.startsWith(`${name}{`) && want.every((w) => l.includes(w)));
    return line ? Number(line.slice(line.lastIndexOf(' ') + 1)) : null;
  };

  it('lets operators see it: every service serves /metrics (here, to this machine), with what the platform did', async () => {
    const { gateway, repository, scheduler, router } = sys.ports;
    const text = { gateway: await scrape(gateway), repository: await scrape(repository), scheduler: await scrape(scheduler), router: await scrape(router) };
    for (const [service, t] of Object.entries(text)) {
      // Node's own (CPU, memory, event loop), labelled with the service
      expect([service, sample(t, 'process_resident_memory_bytes', { service })]).toEqual([service, expect.any(Number)]);
    }
    // HTTP by route pattern (never the raw path), NATS by subject and outcome, on both sides
    expect(sample(text.gateway, 'wharf_http_request_duration_seconds_count', { method: 'POST', route: '/api/v1/apps/:id/instances', status: '201' })).toBe(3);
    expect(sample(text.gateway, 'wharf_nats_request_duration_seconds_count', { subject: 'scheduler.instance.create.v1', outcome: 'ok' })).toBe(3);
    expect(sample(text.scheduler, 'wharf_nats_handled_duration_seconds_count', { subject: 'scheduler.instance.create.v1', outcome: 'ok' })).toBe(3);
    expect(text.gateway).not.toMatch(new RegExp(`route="[^"]*${ids[0]}`));
    // the scheduler: instances by status, starts and how long Run took to RUNNING
    expect(sample(text.scheduler, 'wharf_instances', { status: 'RUNNING', runtime: 'python-3.11' })).toBe(3);
    expect(sample(text.scheduler, 'wharf_instance_starts_total', { outcome: 'RUNNING' })).toBe(3);
    expect(sample(text.scheduler, 'wharf_instance_run_to_running_seconds_count')).toBe(3);
    // the router: what it passed on and refused, how long instances took to answer
    expect(sample(text.router, 'wharf_router_proxied_total', { status: '2xx' })).toBeGreaterThanOrEqual(3);
    expect(sample(text.router, 'wharf_router_upstream_seconds_count')).toBeGreaterThanOrEqual(3);
    const refused = await new Promise<number>((resolve) =>
      http.get({ host: '127.0.0.1', port: sys.routerPort, path: '/', headers: { host: `${ids[0]}.apps.localhost:${sys.routerPort}` }, agent: false }, (res) => (res.resume(), resolve(res.statusCode!))),
    );
    expect(refused).toBe(401);
    expect(sample(await scrape(router), 'wharf_router_denied_total', { reason: 'unauthenticated' })).toBe(1);
    expect(sample(text.router, 'wharf_router_open', { kind: 'websockets' })).toBe(0);
  });

  it('hostile input: every bad request gets a 4xx with a clear message, nothing is stored, no process dies', async () => {
    const gwPort = Number(new URL(sys.gateway).port);
    const appId = ((await callWithToken(sys, token, 'GET', '/apps/echo-ws')).body.id as string | undefined) ?? 'echo-ws';
    const pids = sys.pids();
    const blobs = () => countFiles(path.join(sys.dataDir, 'blobs'));
    /** What a user and an admin can list: none of it may change. */
    const stored = async () =>
      JSON.stringify(
        await Promise.all(
          ['/apps?limit=100', '/instances?limit=100', '/tokens?limit=100', '/user-secrets', '/aliases', ...ids.map((id) => `/instances/${id}/shares`)].map(async (p) => {
            const r = await callWithToken(sys, token, 'GET', p);
            return [p, r.status, r.body.items ?? r.body];
          }),
        ),
      );
    const before = { stored: await stored(), blobs: blobs() };
    const problems: string[] = [];
    const send = async (c: HostileCase) => {
      const r = await fetch(`${sys.gateway}${c.path}`, {
        method: c.method,
        headers: { authorization: `Bearer ${token}`, ...c.headers },
        body: c.body as RequestInit['body'],
        signal: AbortSignal.timeout(ANSWER_WITHIN_MS),
      }).catch((e: unknown) => ({ status: 0, error: String(e) }) as const);
      if (!('headers' in r)) return problems.push(`${c.what}: no answer (${r.error})`);
      const text = await r.text();
      if (r.status < 400 || r.status >= 500) return problems.push(`${c.what}: ${c.method} ${c.path.slice(0, 80)} answered ${r.status} ${text.slice(0, 200)}`);
      let message = '';
      try {
        message = String((JSON.parse(text) as { error?: { message?: string } }).error?.message ?? '');
      } catch {
        /* not JSON */
      }
      if (message.length < 10) problems.push(`${c.what}: ${r.status} without a clear message: ${text.slice(0, 200)}`);
      else if (c.message && !c.message.test(message)) problems.push(`${c.what}: ${r.status} saying ${JSON.stringify(message)}, not ${String(c.message)}`);
    };
    for (const c of hostileCases(appId, ids[0]!)) await send(c);
    // seeded random bodies for the write endpoints, each carrying one value the endpoint must refuse
    const rnd = seededRandom(20261201);
    const writes: [string, string, string, unknown[]][] = [
      ['POST', `/api/v1/apps/${appId}/instances`, 'visibility', ['EVERYONE', 5, null, [], {}]],
      ['POST', '/api/v1/tokens', 'roles', ['root', [5], [{}], 'admin', [null]]],
      ['PUT', '/api/v1/user-secrets/fuzzed', 'data', ['plain', 5, [], { k: 5 }, { '': 'v' }]],
      ['POST', '/api/v1/aliases', 'name', ['UPPER', '-dash', 'a'.repeat(200), '../x', 'ｆｕｌｌ']],
      ['PATCH', `/api/v1/instances/${ids[1]}`, 'visibility', ['EVERYONE', 5, [], {}]],
    ];
    for (const [method, p, poison, bad] of writes) {
      for (const body of randomBodies(12, rnd, poison, bad)) await send({ what: `random ${method} ${p} ${body.slice(0, 80)}`, method, path: p, headers: { 'content-type': 'application/json' }, body });
    }
    // what only a raw socket can send: Node's parser refuses it (400/431) before Wharf sees it, or
    // Wharf answers without repeating it
    const raw = (head: string, body = '') => rawRequest(gwPort, head, body);
    const auth = `Authorization: Bearer ${token}\r\n`;
    const huge = await raw(`GET /api/v1/me HTTP/1.1\r\nHost: x\r\n${auth}X-Big: ${'b'.repeat(64 * 1024)}\r\nConnection: close\r\n\r\n`);
    expect(huge.status).toBe(431);
    const smuggled = await raw(`POST /api/v1/tokens HTTP/1.1\r\nHost: x\r\n${auth}Content-Length: 4\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n0\r\n\r\n`);
    expect(smuggled.status).toBe(400);
    const split = await raw(`GET /api/v1/me HTTP/1.1\r\nHost: x\r\n${auth}X-Request-Id: a\nSet-Cookie: evil=1\r\nConnection: close\r\n\r\n`);
    expect(split.status).toBe(400);
    expect(split.headers).not.toMatch(/evil/);
    const oddId = await raw(`GET /api/v1/me HTTP/1.1\r\nHost: x\r\n${auth}X-Request-Id: <img src=x>\r\nConnection: close\r\n\r\n`);
    expect(oddId.status).toBe(200);
    expect(oddId.headers).toMatch(/^x-request-id: [0-9a-f-]{36}$/im);
    const badMethod = await raw(`BREW /api/v1/apps HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`);
    expect(badMethod.status).toBeGreaterThanOrEqual(400);
    expect(badMethod.status).toBeLessThan(500);
    const unauthenticated = await raw(`DELETE /api/v1/instances/${ids[0]} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer wharf_pat_${'0'.repeat(40)}\r\nConnection: close\r\n\r\n`);
    expect(unauthenticated.status).toBe(401);

    expect(problems).toEqual([]);
    expect({ stored: await stored(), blobs: blobs() }).toEqual(before);
    expect(sys.pids()).toEqual(pids);
    expect(line(/exited|restarting/)).toBeUndefined();
    expect(await statuses()).toEqual([200, 200, 200]);
  });

  it('under load: catalog clients and 1 000 proxied connections (HTTP and websockets) at once, no errors, memory bounded', async () => {
    // 8 s here; WHARF_LOAD_SECONDS=60 for the full minute
    const seconds = Number(process.env.WHARF_LOAD_SECONDS ?? 8);
    // the 200 (fewer with WHARF_LOAD_CATALOG_CLIENTS)
    const catalogClientCount = Number(process.env.WHARF_LOAD_CATALOG_CLIENTS ?? 200);
    // each proxied connection is a user's: a request or message every half second (1 000 req/s in
    // all); the catalog clients ask as fast as they are answered
    const PACE_MS = 500;
    const rss = () => Object.fromEntries(Object.entries(sys.pids()).map(([name, pid]) => [name, rssMb(pid)]));
    const before = rss();
    const end = Date.now() + seconds * 1000;
    /** A connection not answered once by the end goes on until it is, up to this. */
    const lastChance = end + 30_000;
    const errors: string[] = [];
    const counts = { catalog: 0, http: 0, websocket: 0 };
    /** Answers per proxied connection: 500 HTTP, then 500 websockets. */
    const served = new Array<number>(1000).fill(0);
    const note = (what: string) => errors.length < 50 && errors.push(what);
    const catalogClients = Array.from({ length: catalogClientCount }, async () => {
      while (Date.now() < end) {
        // (fetch's errors come from Node's realm, not the test's: `instanceof Error` would not see them)
        type Failed = { failed: { name?: string; message?: string; cause?: { code?: string; message?: string } } };
        const r = await fetch(`${sys.gateway}/api/v1/apps?limit=20`, { headers: { authorization: `Bearer ${token}` }, signal: AbortSignal.timeout(30_000) }).catch((e: unknown): Failed => ({ failed: e as Failed['failed'] }));
        if ('failed' in r) note(`catalog: ${[r.failed.name, r.failed.message, r.failed.cause?.code ?? r.failed.cause?.message].filter(Boolean).join(' ')}`);
        else if (r.status !== 200) note(`catalog: ${r.status}`);
        else {
          await r.arrayBuffer();
          counts.catalog++;
        }
      }
    });
    const agent = new http.Agent({ keepAlive: true, maxSockets: 500 });
    // the 1 000 connections arrive over two seconds, as users do, not in one millisecond
    const arrive = (n: number) => sleep(n * 2);
    const httpClients = Array.from({ length: 500 }, async (_, n) => {
      const id = ids[n % ids.length]!;
      await arrive(2 * n);
      while ((Date.now() < end || served[n] === 0) && Date.now() < lastChance) {
        const status = await new Promise<number | string>((resolve) => {
          http
            .get({ host: '127.0.0.1', port: sys.routerPort, path: '/', headers: { host: `${id}.apps.localhost:${sys.routerPort}`, authorization: `Bearer ${token}` }, agent, timeout: 30_000 }, (res) => {
              let body = '';
              res.on('data', (c: Buffer) => res.statusCode !== 200 && (body += c.toString()));
              res.on('end', () => resolve(res.statusCode === 200 ? 200 : `${res.statusCode} ${body.slice(0, 120)}`));
            })
            .on('error', (e) => resolve(e.message))
            .on('timeout', function (this: http.ClientRequest) {
              this.destroy(new Error('timed out'));
            });
        });
        if (status === 200) {
          counts.http++;
          served[n]++;
        } else note(`proxied HTTP: ${status}`);
        await sleep(PACE_MS);
      }
    });
    const wsClients = Array.from({ length: 500 }, async (_, n) => {
      const id = ids[n % ids.length]!;
      await arrive(2 * n + 1);
      const ws = new WebSocket(`ws://127.0.0.1:${sys.routerPort}/ws`, { headers: { host: `${id}.apps.localhost:${sys.routerPort}`, authorization: `Bearer ${token}` } });
      try {
        await new Promise((resolve, reject) => {
          ws.once('open', resolve);
          ws.once('error', reject);
          // a refusal: its status and what it said
          ws.once('unexpected-response', (_req, res) => {
            let body = '';
            res.on('data', (c: Buffer) => (body += c.toString()));
            res.on('end', () => reject(new Error(`${res.statusCode} ${body.slice(0, 120)}`)));
          });
        });
        for (let i = 0; (Date.now() < end || served[500 + n] === 0) && Date.now() < lastChance; i++) {
          const back = new Promise<string>((resolve) => ws.once('message', (m) => resolve(m.toString())));
          ws.send(`m${n}-${i}`);
          const got = await Promise.race([back, sleep(30_000).then(() => 'no answer')]);
          if (got !== `m${n}-${i}`) throw new Error(`echo: ${got}`);
          counts.websocket++;
          served[500 + n]++;
          await sleep(PACE_MS);
        }
      } catch (e) {
        note(`websocket: ${(e as Error).message}`);
      } finally {
        ws.close();
      }
    });
    await Promise.all([...catalogClients, ...httpClients, ...wsClients]);
    agent.destroy();
    await sleep(2000); // closed connections released
    const after = rss();
    // the figures, for the record (the resilience suite's log), with any platform lookup that failed
    const failedLookups = (await scrape(sys.ports.router)).split('\n').filter((l) => l.startsWith('wharf_nats_request_duration_seconds_count') && !l.includes('outcome="ok"'));
    console.log(JSON.stringify({ load: { seconds, catalogClients: catalogClientCount, answered: counts, connectionsAnswered: served.filter((n) => n > 0).length, rssMbBefore: before, rssMbAfter: after, failedLookups } }));
    expect(errors).toEqual([]);
    expect(counts.catalog).toBeGreaterThan(200);
    // every one of the 1 000 connections was answered (on 2 cores some only after the window)
    expect(served.filter((n) => n === 0).length).toBe(0);
    // every service still there, none grown by 256 MB or more
    const grown = Object.keys(before).filter((name) => !(after[name]! - before[name]! < 256)).map((name) => `${name}: ${before[name]} → ${after[name]} MB`);
    expect(grown).toEqual([]);
    expect(await statuses()).toEqual([200, 200, 200]);
  });

  it('NATS frozen for 10 s: answers within the timeout (503 with Retry-After), the open websocket goes on, everything recovers by itself', async () => {
    const ws = new WebSocket(`ws://127.0.0.1:${sys.routerPort}/ws`, { headers: { host: `${ids[0]}.apps.localhost:${sys.routerPort}`, authorization: `Bearer ${token}` } });
    await new Promise((resolve, reject) => (ws.once('open', resolve), ws.once('error', reject)));
    const echo = async (text: string) => {
      const back = new Promise<string>((r) => ws.once('message', (m) => r(m.toString())));
      ws.send(text);
      return Promise.race([back, sleep(3000).then(() => 'no answer')]);
    };
    expect(await echo('before')).toBe('before');

    const nats = childPids(sys.proc.pid!).find((pid) => readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('nats-server'));
    expect(nats).toBeDefined();
    process.kill(nats!, 'SIGSTOP');
    const apiAnswers: Answer[] = [];
    const routerAnswers: Answer[] = [];
    const echoes: string[] = [];
    try {
      const until10s = Date.now() + 10_000;
      for (let n = 0; Date.now() < until10s; n++) {
        const [a, r, e] = await Promise.all([api('/apps'), through(ids[0]!), echo(`during ${n}`)]);
        apiAnswers.push(a);
        routerAnswers.push(r);
        echoes.push(e === `during ${n}` ? 'ok' : e);
      }
    } finally {
      process.kill(nats!, 'SIGCONT');
    }
    // never a hang: every answer within the request timeout, 503s with Retry-After
    expect(apiAnswers.filter((a) => a.ms > ANSWER_WITHIN_MS || a.status === 0)).toEqual([]);
    expect(routerAnswers.filter((a) => a.ms > ANSWER_WITHIN_MS || a.status <= 0)).toEqual([]);
    expect(apiAnswers.filter((a) => a.status === 503 && a.retryAfter === null)).toEqual([]);
    expect(routerAnswers.filter((a) => a.status === 503 && a.retryAfter === null)).toEqual([]);
    expect(apiAnswers.map((a) => a.status)).toContain(503); // it was an outage: the API said so
    expect(apiAnswers.filter((a) => ![200, 503].includes(a.status))).toEqual([]);
    expect(routerAnswers.filter((a) => ![200, 503].includes(a.status))).toEqual([]);
    // the websocket was authorized before: the app's frames go on without NATS
    expect(echoes.every((e) => e === 'ok')).toBe(true);

    await until('the API answering again', async () => (await api('/apps')).status === 200);
    await until('the router answering again', async () => (await through(ids[0]!)).status === 200);
    expect(await echo('after')).toBe('after');
    ws.close();
    expect(sys.proc.exitCode).toBeNull();
  });

  it('every PostgreSQL connection cut: the gateway and the repository reconnect by themselves, no request hangs', async () => {
    expect(await cutConnections(sys.databaseUrl)).toBeGreaterThan(0); // the services' pools were connected
    const answers: Answer[] = [];
    // the repository (catalog) and the gateway (tokens, audit) both read PostgreSQL on these
    for (let n = 0; n < 10; n++) answers.push(await api('/apps'), await api('/me'), await api(`/instances/${ids[0]}`));
    expect(answers.filter((a) => a.ms > ANSWER_WITHIN_MS || a.status === 0)).toEqual([]);
    // a request on a connection the server just closed may fail once; from then on all answer
    expect(answers.slice(-9).map((a) => a.status)).toEqual(Array(9).fill(200));
    expect(sys.proc.exitCode).toBeNull();
  });

  it('keeps the instances served while the scheduler is away, and the restarted scheduler adopts them', async () => {
    const launchers = launcherPids(sys.dataDir).sort();
    expect(launchers).toHaveLength(3);
    const old = sys.pids().scheduler!;
    process.kill(old, 'SIGKILL');
    await until('the scheduler gone', async () => alivePids([old]).length === 0);
    // while it is away: the router serves what it knows; the API says 503 at once rather than hang
    const during = await statuses();
    const listed = await api('/instances');
    expect(during).toEqual([200, 200, 200]);
    expect([503, 200]).toContain(listed.status); // 200 if the restart was quicker than this request
    expect(listed.ms).toBeLessThan(10_000);
    await until('the scheduler ready again', async () => !!line(/^scheduler is ready again \(restart 1,/));
    expect(line(/^scheduler exited \(SIGKILL\) after \d+(\.\d)? s; restarting it in 0\.2 s$/)).toBeDefined();
    expect(sys.pids().scheduler).not.toBe(old);
    const after = await api('/instances');
    expect(after.status).toBe(200);
    expect((after.body!.items as { id: string; status: string }[]).map((i) => [i.id, i.status]).sort()).toEqual(ids.map((id) => [id, 'RUNNING']).sort());
    expect(launcherPids(sys.dataDir).sort()).toEqual(launchers); // the same processes: adopted, none started twice
    expect(await statuses()).toEqual([200, 200, 200]);
    expect(sys.proc.exitCode).toBeNull();
  });

  it('restarts the router, the gateway, the repository and the sign-in provider, each while the others go on; an import cut off by the kill leaves nothing and can be retried', async () => {
    // a 4 MB bundle that will not compress, uploaded slowly enough to be half-way at the kill
    const bundle = await buildBundle({ app: { name: 'cut-off', version: '1.0.0' }, files: { 'data/noise.bin': randomBytes(4 << 20) } });
    const blobsDir = path.join(sys.dataDir, 'blobs');
    const stagingDir = path.join(sys.dataDir, 'tmp', 'imports');
    const blobsBefore = countFiles(blobsDir);
    for (const name of ['router', 'gateway', 'repository', 'dev-idp']) {
      const old = sys.pids()[name]!;
      expect([name, old]).toEqual([name, expect.any(Number)]);
      let upload: Promise<number> | null = null;
      if (name === 'repository') {
        upload = slowUpload(bundle);
        await until('the import half-way (a staging file and a half-written blob)', async () => countFiles(stagingDir) === 1 && listFiles(blobsDir).some((f) => f.endsWith('.part')));
      }
      process.kill(old, 'SIGKILL');
      await until(`${name} ready again`, async () => !!line(new RegExp(`^${name} is ready again \\(restart 1,`)));
      expect([name, sys.pids()[name]]).not.toEqual([name, old]);
      if (upload) {
        // the client was told (an error answer, or the connection closed); nothing of it is left
        expect(await upload).not.toBe(201);
        expect(listFiles(blobsDir).filter((f) => f.endsWith('.part'))).toEqual([]);
        expect(countFiles(blobsDir)).toBe(blobsBefore);
        expect(countFiles(stagingDir)).toBe(0);
        expect((await api('/apps/cut-off')).status).toBe(404);
        expect((await callWithToken(sys, token, 'POST', '/bundles', new Uint8Array(bundle))).status).toBe(201);
        expect((await api('/apps/cut-off')).status).toBe(200);
      }
    }
    expect(await statuses()).toEqual([200, 200, 200]);
    expect((await api('/apps/echo-ws')).status).toBe(200);
    expect((await fetch(`${sys.idp}/.well-known/openid-configuration`)).status).toBe(200);
    expect(sys.proc.exitCode).toBeNull();
  });

  it('says when a service is crash-looping, keeps restarting it with a growing delay, and it comes back', async () => {
    for (let n = 0; n < 3; n++) {
      // (between an exit and its restart there is none: wait for the one to kill)
      await until('a repository process', async () => !!sys.pids().repository, 10_000);
      const pid = sys.pids().repository!;
      process.kill(pid, 'SIGKILL');
      await until('a new repository process', async () => !!sys.pids().repository && sys.pids().repository !== pid, 10_000);
    }
    const exits = () => sys.output.filter((l) => /^repository exited \(SIGKILL\)/.test(l));
    await until('every exit reported', async () => exits().length === 4);
    // the first exit was the test before's: no stable run in between, so the delay went on doubling
    expect(exits().map((l) => /restarting it in ([\d.]+) s/.exec(l)?.[1])).toEqual(['0.2', '0.4', '0.8', '0.8']);
    expect(sys.output.filter((l) => /^repository is crash-looping: /.test(l)).map((l) => /: (\d) exits in the last/.exec(l)?.[1])).toEqual(['3', '4']);
    // its own readiness (a catalog read could be the gateway's cached answer while it is still away)
    await until('the repository ready again', async () => (await fetch(`http://127.0.0.1:${sys.ports.repository}/readyz`).catch(() => null))?.status === 200);
    expect((await api('/apps/echo-ws')).status).toBe(200);
    expect(sys.proc.exitCode).toBeNull();
  });

  it('with 20 instances and traffic through the router, kill -9 of each service in turn: none lost, duplicated or orphaned; routing back within 1 s of the router being ready', async () => {
    const extra: string[] = [];
    for (let n = 0; n < 17; n++) {
      // (the test before leaves the repository just restarted: a 503 says to try again, as a client would)
      let r = await callWithToken(sys, token, 'POST', '/apps/echo-ws/instances', {});
      for (const end = Date.now() + 30_000; r.status === 503 && Date.now() < end; ) {
        await sleep(500);
        r = await callWithToken(sys, token, 'POST', '/apps/echo-ws/instances', {});
      }
      expect([n, r.status]).toEqual([n, 201]);
      extra.push(r.body.id as string);
    }
    const all = [...ids, ...extra];
    try {
      await until('20 instances answering through the router', async () => (await Promise.all(all.map(through))).every((a) => a.status === 200), 120_000);
      const launchers = launcherPids(sys.dataDir).sort();
      expect(launchers).toHaveLength(20);
      // traffic: one client per instance, a request every 100 ms, each answer noted with its time
      const answers: { id: string; at: number; status: number }[] = [];
      let flowing = true;
      const clients = all.map(async (id) => {
        while (flowing) {
          const a = await through(id);
          answers.push({ id, at: Date.now(), status: a.status });
          await sleep(100);
        }
      });
      const outcomes: Record<string, { downMs: number; failed: Record<string, number>; lastFailureAfterReadyMs: number | null; backWithinMs?: number }> = {};
      try {
        await sleep(300);
        for (const name of ['scheduler', 'gateway', 'repository', 'router']) {
          const readyLines = () => sys.output.filter((l) => l.startsWith(`${name} is ready again (`)).length;
          const readyBefore = readyLines();
          const old = sys.pids()[name]!;
          const killedAt = Date.now();
          process.kill(old, 'SIGKILL');
          const end = Date.now() + 30_000;
          while (readyLines() === readyBefore) {
            if (Date.now() > end) throw new Error(`${name} not ready again within 30 s; output:\n${sys.output.slice(-30).join('\n')}`);
            await sleep(10);
          }
          const readyAt = Date.now();
          await sleep(1300); // what comes after ready: answers up to a second later are judged below
          const since = answers.filter((a) => a.at > killedAt);
          const failures = since.filter((a) => a.status !== 200);
          const failed: Record<string, number> = {};
          for (const f of failures) failed[String(f.status)] = (failed[String(f.status)] ?? 0) + 1;
          const lastFailure = failures.length ? Math.max(...failures.map((f) => f.at)) : null;
          outcomes[name] = { downMs: readyAt - killedAt, failed, lastFailureAfterReadyMs: lastFailure === null ? null : lastFailure - readyAt };
          if (name === 'router') {
            // from the moment the restarted router is ready, each instance's first answer
            const firstOk = all.map((id) => Math.min(...answers.filter((a) => a.id === id && a.at >= readyAt && a.status === 200).map((a) => a.at)) - readyAt);
            outcomes[name].backWithinMs = Math.max(...firstOk);
            expect(outcomes[name].backWithinMs).toBeLessThanOrEqual(1000);
          } else {
            // the router goes on serving the instances it knows while the others are away
            expect([name, failed]).toEqual([name, {}]);
          }
          // after a restart, nothing fails any more
          expect([name, lastFailure === null || lastFailure - readyAt <= 1000]).toEqual([name, true]);
        }
      } finally {
        flowing = false;
        await Promise.all(clients);
      }
      console.log(JSON.stringify({ kills: { instances: all.length, answers: answers.length, outcomes } }));
      // the same 20 instances, RUNNING, each with its one launcher of before: none lost, duplicated or orphaned
      const listed = await api('/instances');
      expect(listed.status).toBe(200);
      expect((listed.body!.items as { id: string; status: string }[]).map((i) => [i.id, i.status]).sort()).toEqual(all.map((id) => [id, 'RUNNING']).sort());
      expect(launcherPids(sys.dataDir).sort()).toEqual(launchers);
      expect((await Promise.all(all.map(through))).map((a) => a.status)).toEqual(all.map(() => 200));
    } finally {
      await Promise.all(extra.map((id) => callWithToken(sys, token, 'DELETE', `/instances/${id}`)));
      await until('the extra instances stopped', async () => launcherPids(sys.dataDir).length === ids.length, 60_000);
    }
    expect(sys.proc.exitCode).toBeNull();
  });

  it('two replicas of the gateway, the repository and the router on one NATS: one of each killed under load, the others answer', async () => {
    // the second replicas: the same programs with the same settings as `pnpm start` gave the first
    // ones (their environment), on ports of their own
    const PORT_KEY = { gateway: 'WHARF_GATEWAY_PORT', repository: 'WHARF_REPOSITORY_PORT', router: 'WHARF_ROUTER_PORT' } as const;
    const replicas: { name: keyof typeof PORT_KEY; port: number; proc: ChildProcess }[] = [];
    try {
      for (const name of Object.keys(PORT_KEY) as (keyof typeof PORT_KEY)[]) {
        const pid = sys.pids()[name]!;
        const env = Object.fromEntries(
          readFileSync(`/proc/${pid}/environ`, 'utf8')
            .split('\0')
            .filter(Boolean)
            .map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)]),
        );
        const port = await freePort();
        // node's arguments as the first one got them: its node flags (the router's --no-memory-reducer) and its main
        const args = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean).slice(1);
        // (the second router stands behind the same public address as the first: Router.PublicPort)
        const publicPort = name === 'router' ? { WHARF_ROUTER_PUBLIC_PORT: String(sys.routerPort) } : {};
        const proc = spawn(process.execPath, args, { env: { ...env, [PORT_KEY[name]]: String(port), ...publicPort }, stdio: ['ignore', 'pipe', 'pipe'] });
        for (const stream of [proc.stdout!, proc.stderr!]) createInterface({ input: stream }).on('line', (l) => sys.output.push(`[${name}-2] ${l}`));
        replicas.push({ name, port, proc });
      }
      for (const r of replicas) {
        await until(`the second ${r.name} ready`, async () => (await fetch(`http://127.0.0.1:${r.port}/readyz`).catch(() => null))?.status === 200);
      }
      const second = Object.fromEntries(replicas.map((r) => [r.name, r.port])) as Record<keyof typeof PORT_KEY, number>;
      // a load balancer's view: each front service at two ports; a replica that refuses connections
      // is taken out and the request sent to the other (that is not an error: it never reached it)
      const fronts = {
        gateway: [Number(new URL(sys.gateway).port), second.gateway],
        router: [sys.routerPort, second.router],
      };
      const down = new Set<number>();
      let inFlight = 0;
      let ok = 0;
      let okAfterKill = 0;
      let killed = false;
      const errors: string[] = [];
      const once = async (kind: 'gateway' | 'router', n: number): Promise<void> => {
        const ports = fronts[kind].filter((p) => !down.has(p));
        const port = ports[n % ports.length]!;
        const id = ids[n % ids.length]!;
        inFlight++;
        let refused = false;
        try {
          const r =
            kind === 'gateway'
              ? await fetch(`http://127.0.0.1:${port}/api/v1/apps?limit=20`, { headers: { authorization: `Bearer ${token}` }, signal: AbortSignal.timeout(ANSWER_WITHIN_MS) })
              : // behind a load balancer both see the public Host (which fetch would not send)
                await plainGet(port, '/', { host: `${id}.apps.localhost:${sys.routerPort}`, authorization: `Bearer ${token}` });
          const text = await r.text();
          if (r.status !== 200) errors.push(`${kind} :${port}${port === sys.routerPort ? ' (first)' : ''} answered ${r.status} ${text.slice(0, 160)}`);
          else if ((ok++, killed)) okAfterKill++;
        } catch (e) {
          const code = (e as { cause?: { code?: string } }).cause?.code;
          if (code === 'ECONNREFUSED') {
            down.add(port);
            refused = true;
          } else errors.push(`${kind} :${port} ${code ?? String(e)}`);
        } finally {
          inFlight--;
        }
        if (refused) await once(kind, n + 1);
      };
      const CLIENTS = 8;
      let stop = false;
      const clients = Array.from({ length: CLIENTS }, async (_, c) => {
        for (let n = c; !stop; n += CLIENTS) await once(c % 2 ? 'router' : 'gateway', n);
      });
      await sleep(2000);
      // the first replica of each, killed at once; what they held in flight at that moment may fail
      const inFlightAtKill = inFlight;
      killed = true;
      for (const name of Object.keys(PORT_KEY)) process.kill(sys.pids()[name]!, 'SIGKILL');
      await sleep(6000);
      stop = true;
      await Promise.all(clients);
      expect(ok).toBeGreaterThan(50);
      expect(okAfterKill).toBeGreaterThan(20);
      expect(inFlightAtKill).toBeLessThanOrEqual(CLIENTS);
      // at most the requests in flight when the processes died; none afterwards
      if (errors.length > inFlightAtKill) expect({ inFlightAtKill, errors: errors.length, kinds: [...new Set(errors)].slice(0, 10) }).toEqual({ inFlightAtKill, errors: '≤ inFlightAtKill' });
    } finally {
      for (const r of replicas) r.proc.kill('SIGTERM');
      await Promise.all(replicas.map((r) => (r.proc.exitCode === null && r.proc.signalCode === null ? new Promise((res) => r.proc.once('exit', res)) : null)));
    }
    // the killed ones came back as before
    await until('the killed services back', async () => (await api('/apps/echo-ws')).status === 200 && (await statuses()).every((st) => st === 200));
  });

  it('stops everything on Ctrl-C, restarted services included: no process left behind', async () => {
    const pids = [...Object.values(sys.pids()), ...launcherPids(sys.dataDir)];
    expect(pids.length).toBeGreaterThanOrEqual(8);
    await sys.stop();
    const cmdline = (pid: number) => {
      try {
        return readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ');
      } catch {
        return '(gone)';
      }
    };
    const left = alivePids(pids).map((pid) => `${pid} ${cmdline(pid)}`);
    expect(left).toEqual([]);
  });
});
