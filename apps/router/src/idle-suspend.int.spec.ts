import http from 'node:http';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { SchedulerContracts, type Instance } from '@wharf/contracts';
import { buildBundle } from '@wharf/testing';
import WebSocket from 'ws';
import { buildExamples } from '../../../examples/build';
import { InstanceSupervisor } from '../../scheduler/src/instances/instance.supervisor';
import { FakeClock } from '../../scheduler/src/test-support/memory-instances';
import { alice, ensureBuilt, SECRET, startHarness, waitFor, type Harness } from '../../scheduler/src/test-support/harness';
import { startRouterOnScheduler, type RouterOnScheduler } from './test-support/router-on-scheduler';

jest.setTimeout(120_000);

const MIN = 60_000;
const TOKEN = 'wharf_pat_alice_idle';

/**
 * The app holds a keep-alive lease through its control socket, with the Python standard library
 * only — the call docs/app-authoring.md shows: GET /hold?minutes=N takes one, answering what the
 * socket said.
 */
const HOLDER_PY = `import http.client, json, os, socket
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse


class ControlSocket(http.client.HTTPConnection):
    def __init__(self):
        super().__init__("localhost")

    def connect(self):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.connect(os.environ["WHARF_CONTROL_SOCKET"])


def keep_alive(minutes):
    c = ControlSocket()
    c.request("POST", "/keep-alive", json.dumps({"minutes": minutes}), {"Content-Type": "application/json"})
    r = c.getresponse()
    return r.status, r.read()


class Handler(BaseHTTPRequestHandler):
    def do_GET(self):
        q = parse_qs(urlparse(self.path).query)
        status, body = keep_alive(int(q.get("minutes", ["60"])[0])) if self.path.startswith("/hold") else (200, b"{}")
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


ThreadingHTTPServer(("127.0.0.1", int(os.environ["PORT"])), Handler).serve_forever()
`;

/**
 * Idle suspension end to end, with a clock the spec moves: the real scheduler (process driver,
 * sandboxed launchers, the websocket sample app), a real router reporting activity every second,
 * real websockets through it. Frames keep an instance running past its timeout; a silent open
 * websocket does not; an app's keep-alive lease, taken from inside the sandbox, does.
 */
describe('idle suspension through the router', () => {
  let h: Harness;
  let router: RouterOnScheduler;
  let supervisor: InstanceSupervisor;
  let zipDir: string;
  const clock = new FakeClock();

  beforeAll(async () => {
    ensureBuilt();
    zipDir = mkdtempSync(path.join(os.tmpdir(), 'wharf-idle-'));
    const zips = await buildExamples(zipDir);
    h = await startHarness();
    const replica = await h.startReplica({ WHARF_SCHEDULER_IDLE_TIMEOUT_MINUTES: '30', WHARF_SCHEDULER_IDLE_GRACE_SECONDS: '60' }, { clock });
    supervisor = replica.app.get(InstanceSupervisor);
    await h.addApp('echo-1', zips['echo-ws']);
    const holder = path.join(zipDir, 'holder.zip');
    writeFileSync(holder, await buildBundle({ app: { name: 'holder', version: '1.0.0', module: 'holder.app' }, files: { 'holder/__init__.py': '', 'holder/app.py': HOLDER_PY } }));
    await h.addApp('holder-1', holder);

    router = await startRouterOnScheduler(h.nats, { secret: SECRET, dataDir: zipDir, tokens: { [TOKEN]: alice }, router: { ActivityReportSeconds: 1 } });
  });

  afterAll(async () => {
    await router?.stop();
    await h?.close();
    rmSync(zipDir, { recursive: true, force: true });
  });

  const host = (id: string) => `${id}.apps.localhost:${router.port}`;
  const get = (id: string) => h.client.rpc(SchedulerContracts.get, { id }, alice);
  const running = async (appVersionId: string): Promise<Instance> => {
    const i = await h.client.rpc(SchedulerContracts.create, { appVersionId, visibility: 'PRIVATE' }, alice);
    await h.untilStatus(i.id, ['RUNNING'], 60_000);
    return get(i.id);
  };
  /** Waits until the routers' reports have moved lastActivityAt to the (fake) now. */
  const reported = (id: string, since: number) =>
    waitFor('the router to report traffic', () => get(id), (i) => Date.parse(i.lastActivityAt) >= since, 10_000);
  const httpGet = (id: string, p: string) =>
    new Promise<{ status: number; body: string }>((resolve, reject) => {
      http
        .get({ host: '127.0.0.1', port: router.port, path: p, headers: { host: host(id), authorization: `Bearer ${TOKEN}` }, agent: false }, (res) => {
          let body = '';
          res.setEncoding('utf8');
          res.on('data', (c: string) => (body += c));
          res.on('end', () => resolve({ status: res.statusCode!, body }));
        })
        .on('error', reject);
    });

  it('keeps an instance whose websocket carries frames, and suspends it once the websocket falls silent', async () => {
    const inst = await running('echo-1');
    expect(inst.idle).toEqual({ timeoutMinutes: 30, disabledByAdmin: false, keepAliveUntil: null });
    const ws = new WebSocket(`ws://127.0.0.1:${router.port}/ws`, { headers: { host: host(inst.id), authorization: `Bearer ${TOKEN}` } });
    await new Promise((resolve, reject) => (ws.once('open', resolve), ws.once('error', reject)));
    const closed = new Promise<number>((r) => ws.once('close', (code) => r(code)));
    const echo = async (text: string) => {
      const back = new Promise<string>((r) => ws.once('message', (m) => r(m.toString())));
      ws.send(text);
      expect(await back).toBe(text);
    };

    // 50 minutes pass in steps of 10, a frame each way in every step: past the 30 min timeout, still running
    for (let step = 1; step <= 5; step++) {
      clock.advance(10 * MIN);
      const at = clock.now();
      await echo(`frame ${step}`);
      await reported(inst.id, at);
      await supervisor.suspendIdle();
      expect((await get(inst.id)).status).toBe('RUNNING');
    }

    // silence, the websocket still open: two report periods for what was sent to land, then 32 minutes
    await new Promise((r) => setTimeout(r, 2500));
    clock.advance(32 * MIN);
    await new Promise((r) => setTimeout(r, 2500)); // a silent websocket is not reported
    await supervisor.suspendIdle();
    const suspended = await get(inst.id);
    expect(suspended).toMatchObject({ status: 'SUSPENDED', statusReason: 'idle for 30 min' });
    expect(await closed).toBeGreaterThan(0); // the router closes connections to an instance that went away
    // the volume and the record stay; the owner's next visit (or resume) starts it again
    await h.client.rpc(SchedulerContracts.resume, { id: inst.id }, alice);
    await h.untilStatus(inst.id, ['RUNNING'], 60_000);
    await h.client.rpc(SchedulerContracts.terminate, { id: inst.id }, alice);
  });

  it("holds an instance while its app's keep-alive lease (taken through the control socket, from inside the sandbox) lasts", async () => {
    const inst = await running('holder-1');
    const taken = await httpGet(inst.id, '/hold?minutes=120');
    expect(taken.status).toBe(200);
    const until = (JSON.parse(taken.body) as { until: string }).until;
    expect(Date.parse(until)).toBeGreaterThan(clock.now() + 119 * MIN);
    expect((await get(inst.id)).idle.keepAliveUntil).toBe(until);
    // too long a lease: the platform's limit, in words the app can log
    const tooLong = await httpGet(inst.id, '/hold?minutes=100000');
    expect(tooLong.status).toBe(400);
    expect(tooLong.body).toMatch(/at most 1440 minutes.*MaxKeepAliveMinutes/);

    await new Promise((r) => setTimeout(r, 2500)); // the requests above are reported, then nothing more
    clock.advance(110 * MIN);
    await supervisor.suspendIdle();
    expect((await get(inst.id)).status).toBe('RUNNING');
    clock.advance(10 * MIN + 32 * MIN); // the lease ended 32 minutes ago
    await supervisor.suspendIdle();
    expect(await get(inst.id)).toMatchObject({ status: 'SUSPENDED', statusReason: 'idle for 30 min', idle: { keepAliveUntil: until } });
    await h.client.rpc(SchedulerContracts.terminate, { id: inst.id }, alice);
  });
});
