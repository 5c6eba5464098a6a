import { spawn, type ChildProcess } from 'node:child_process';
import http from 'node:http';
import path from 'node:path';
import { freePort, instanceRecord } from '@wharf/testing';
import WebSocket from 'ws';
import { routerNodeFlags } from './node-flags';
import { SECRET, startRouterHarness, startUpstream, USERS, type RouterHarness } from './test-support/router-harness';

jest.setTimeout(60_000);

/**
 * A real router process (the built apps/router/dist/main.js with its node flags, as `pnpm start`
 * and the image run it) gets a real SIGTERM while it proxies a slow response and a websocket: readiness goes false
 * first, the response is answered, the listener closes after Platform.ShutdownDelaySeconds, the
 * websocket keeps working through the grace period and is closed at its end, and the process
 * exits 0. Real NATS, a real upstream app; the platform's answers come from the harness.
 */
const MAIN = path.resolve(__dirname, '../dist/main.js');
const TOKEN = 'wharf_pat_alice_shutdown';

let h: RouterHarness;
let up: Awaited<ReturnType<typeof startUpstream>>;
let host = '';

beforeAll(async () => {
  h = await startRouterHarness();
  up = await startUpstream();
  h.platform.tokens.set(TOKEN, { caller: USERS.alice, readOnly: false });
  const i = instanceRecord({ address: `127.0.0.1:${up.port}` });
  h.platform.instances.set(i.id, i);
  host = `${i.id}.apps.localhost`;
});
afterAll(async () => {
  await up?.stop();
  await h?.stop();
});

interface Router {
  proc: ChildProcess;
  port: number;
  output: string[];
  exited: Promise<{ code: number | null; signal: string | null }>;
}

async function startRouterProcess(timing: { delay: number; grace: number }): Promise<Router> {
  const port = await freePort();
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    WHARF_PLATFORM_NATS_URL: h.nats.url,
    WHARF_PLATFORM_INTERNAL_SECRET: SECRET,
    WHARF_PLATFORM_LOG_LEVEL: 'log',
    WHARF_PLATFORM_SHUTDOWN_DELAY_SECONDS: String(timing.delay),
    WHARF_PLATFORM_SHUTDOWN_GRACE_SECONDS: String(timing.grace),
    WHARF_ROUTER_PORT: String(port),
    WHARF_ROUTER_WORKERS: '1',
    WHARF_ROUTER_GATEWAY_URL: 'http://gateway.test:8080',
  };
  const proc = spawn(process.execPath, [...routerNodeFlags(), MAIN], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  const output: string[] = [];
  for (const s of [proc.stdout!, proc.stderr!]) s.on('data', (d: Buffer) => output.push(d.toString()));
  const exited = new Promise<{ code: number | null; signal: string | null }>((r) => proc.once('exit', (code, signal) => r({ code, signal })));
  await waitFor(async () => (await get(port, '/readyz', 'localhost').catch(() => null))?.status === 200, 20_000).catch((e: Error) => {
    proc.kill('SIGKILL');
    throw new Error(`${e.message}\n${output.join('')}`);
  });
  return { proc, port, output, exited };
}

function get(port: number, p: string, hostHeader: string, agent: http.Agent | false = false): Promise<{ status: number; headers: http.IncomingHttpHeaders; text: string }> {
  return new Promise((resolve, reject) => {
    http
      .get({ host: '127.0.0.1', port, path: p, agent, headers: { host: hostHeader, authorization: `Bearer ${TOKEN}` } }, (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (text += c));
        res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, text }));
      })
      .on('error', reject);
  });
}

function openWs(port: number): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`ws://127.0.0.1:${port}/ws`, { headers: { host: `${host}:${port}`, authorization: `Bearer ${TOKEN}` } });
    ws.once('message', () => resolve(ws)); // the upstream's greeting
    ws.once('unexpected-response', (_q, res) => reject(new Error(`websocket refused: ${res.statusCode}`)));
    ws.once('error', reject);
  });
}

const echo = (ws: WebSocket, text: string) =>
  new Promise<string>((resolve, reject) => {
    ws.once('message', (m) => resolve(m.toString()));
    ws.once('close', () => reject(new Error('closed')));
    ws.send(text);
  });

describe('a router process stopped with SIGTERM', () => {
  it('drains: readiness first, answers in flight, websockets through the grace period, exit 0', async () => {
    const r = await startRouterProcess({ delay: 1, grace: 3 });
    const ws = await openWs(r.port);
    const closed = new Promise<number>((resolve) => ws.once('close', (code) => resolve(code)));
    const keepAlive = new http.Agent({ keepAlive: true });
    const slow = get(r.port, '/slow?ms=1500', `${host}:${r.port}`, keepAlive);
    await sleep(100);

    r.proc.kill('SIGTERM');
    await waitFor(async () => (await get(r.port, '/readyz', 'localhost')).status === 503);
    expect(JSON.parse((await get(r.port, '/readyz', 'localhost')).text)).toMatchObject({ status: 'draining' });
    await expect(echo(ws, 'during the delay')).resolves.toBe('during the delay');

    // the response in flight is answered, and its connection is not kept
    const answered = await slow;
    expect([answered.status, answered.text, answered.headers.connection]).toEqual([200, 'late', 'close']);
    // after the delay the listener is closed: new connections are refused
    await waitFor(() => get(r.port, '/readyz', 'localhost').then(() => false, (e: NodeJS.ErrnoException) => e.code === 'ECONNREFUSED'));
    // the open websocket still works during the grace period ...
    await expect(echo(ws, 'during the grace period')).resolves.toBe('during the grace period');
    // ... and is closed at its end; the process exits 0
    await closed;
    expect(await r.exited).toEqual({ code: 0, signal: null });
    expect(r.output.join('')).toContain('grace period over: closing 1 websockets');
    keepAlive.destroy();
  });

  it('exits as soon as nothing is left in flight, without waiting out the grace period', async () => {
    const r = await startRouterProcess({ delay: 0, grace: 30 });
    const ws = await openWs(r.port);
    r.proc.kill('SIGTERM');
    await waitFor(() => r.output.join('').includes('draining for up to 30 s'));
    await expect(echo(ws, 'still here')).resolves.toBe('still here');
    ws.close();
    expect(await r.exited).toEqual({ code: 0, signal: null });
    expect(r.output.join('')).not.toContain('grace period over');
  });
});

async function waitFor(ok: () => boolean | Promise<boolean>, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await Promise.resolve().then(ok).catch(() => false))) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await sleep(25);
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
