import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import {
  InstanceActivityEvent,
  InstanceChangedEvent,
  SchedulerContracts as C,
  signInternalToken,
  WharfError,
  type Caller,
  type PayloadOf,
} from '@wharf/contracts';
import { connect, type NatsConnection } from 'nats';
import { buildEnvProbeBundle } from '@wharf/testing';
import { buildExamples, type ExampleName } from '../../../examples/build';
import {
  admin,
  alice,
  author,
  bob,
  ensureBuilt,
  httpGet,
  instancePids,
  launcherPids,
  SECRET,
  startHarness,
  vera,
  waitFor,
  websocketEcho,
  type Harness,
  type Replica,
} from './test-support/harness';

const RUNTIMES =
  '[{Name="python-3.11",Image="wharf/python:3.11",Default=true},' +
  '{Name="python-3.10",Image="wharf/python:3.10",State="DEPRECATED",StateReason="security support ends soon"},' +
  '{Name="python-3.8",Image="wharf/python:3.8",State="DISABLED",StateReason="end of life"}]';

jest.setTimeout(60_000);

let h: Harness;
let replica: Replica;
let zips: Record<ExampleName, string>;
let zipDir: string;
let nc: NatsConnection;
const events: PayloadOf<typeof InstanceChangedEvent>[] = [];

const rpcError = (p: Promise<unknown>) => p.then(() => null, (e: unknown) => e as WharfError);
const get = (id: string, c: Caller = alice) => h.client.rpc(C.get, { id }, c);

beforeAll(async () => {
  ensureBuilt();
  zipDir = mkdtempSync(path.join(os.tmpdir(), 'wharf-examples-'));
  zips = await buildExamples(zipDir);
  h = await startHarness();
  await h.addApp('hello-1', zips.hello);
  await h.addApp('hello-2', zips.hello, { overrides: { version: '1.1.0' } });
  await h.addApp('other-1', zips.crash, { overrides: { name: 'other' } });
  await h.addApp('crash-1', zips.crash);
  await h.addApp('echo-1', zips['echo-ws']);
  await h.addApp('wheel-1', zips['wheel-app']);
  await h.addApp('private-1', zips.hello, { visibleTo: (c) => c?.sub === author.sub || c?.sub === alice.sub });
  const base = (await h.addApp('tmp', zips.hello)).runtime;
  const probeZip = path.join(zipDir, 'probe.zip');
  writeFileSync(probeZip, await buildEnvProbeBundle());
  await h.addApp('secret-1', probeZip, {
    overrides: { env: [{ name: 'GREETING', value: 'hi' }, { name: 'API_TOKEN', secret: 'hello-secrets', secretKey: 'token' }] },
  });
  await h.addApp('gpu-1', zips.hello, { overrides: { runtime: { ...base, gpuCount: 1 } } });
  await h.addApp('big-1', zips.hello, { overrides: { runtime: { ...base, memoryLimit: '64Gi' } } });
  await h.addApp('old-1', zips.hello, { overrides: { runtime: { ...base, runtimeVersion: 'python-3.8' } } });
  replica = await h.startReplica({ WHARF_SCHEDULER_RUNTIME_VERSIONS: RUNTIMES, WHARF_SCHEDULER_MAX_INSTANCES_VISITOR: '1' });
  nc = await connect({ servers: h.nats.url });
  const sub = nc.subscribe(InstanceChangedEvent.subject);
  void (async () => {
    for await (const m of sub) {
      const raw = JSON.parse(Buffer.from(m.data).toString('utf8')) as { data: unknown };
      events.push(InstanceChangedEvent.payload.parse(raw.data));
    }
  })();
}, 90_000);

afterAll(async () => {
  await nc?.close();
  await h?.close();
  rmSync(zipDir, { recursive: true, force: true });
});

describe('scheduler with the process driver (real NATS, launcher, Python)', () => {
  it('runs hello: HTTP 200 within seconds, logs, suspend/resume keeps the volume, upgrade, terminate leaves nothing', async () => {
    const t0 = Date.now();
    const created = await h.client.rpc(C.create, { appVersionId: 'hello-1' }, alice);
    expect(created).toMatchObject({ appName: 'hello', appVersion: '1.0.0', owner: { sub: alice.sub }, runtime: 'python-3.11', visibility: 'PRIVATE' });
    expect(created.id).toMatch(/^[a-z][a-z0-9]{9}$/);
    expect(created.url).toBe(`http://${created.id}.apps.localhost:8081`);
    expect(['PROVISIONING', 'INSTALLING', 'STARTING', 'RUNNING']).toContain(created.status);
    expect(created).not.toHaveProperty('address'); // users never learn where it listens; the router does
    const id = created.id;
    const { address } = await h.routed(id);
    expect(address).toMatch(/^127\.0\.0\.1:\d+$/);
    const base = `http://${address}`;
    // Its port comes from ProcessPortRange (outside the ports the kernel gives connections), claimed for it.
    const port = Number(address!.split(':')[1]);
    const claim = path.join(h.dataDir, 'ports', String(port));
    expect(port).toBeGreaterThanOrEqual(20_000);
    expect(port).toBeLessThanOrEqual(29_999);
    expect(readFileSync(claim, 'utf8')).toBe(id);

    const first = await waitFor('HTTP 200 from the instance', () => httpGet(`${base}/`), (r) => r.status === 200, 15_000, 20);
    const launchMs = Date.now() - t0;
    console.log(`launch (create → first HTTP 200, hello): ${launchMs} ms`);
    expect(first.body).toContain('Hello from Wharf');
    expect(launchMs).toBeLessThan(10_000);
    await h.untilStatus(id, ['RUNNING']);

    // The routers' activity reports move lastActivityAt to when the scheduler got them (the routers'
    // own clocks are not trusted: a report dated 2000 counts as now), without a change event.
    const eventsBefore = events.length;
    const at = new Date().toISOString();
    await h.client.emit(InstanceActivityEvent, { ids: [id, 'zzzzzzzzzz'], at });
    const moved = await waitFor('lastActivityAt to move', () => h.client.rpc(C.get, { id }, alice), (i) => i.lastActivityAt >= at, 5000, 20);
    await new Promise((r) => setTimeout(r, 5));
    await h.client.emit(InstanceActivityEvent, { ids: [id], at: '2000-01-01T00:00:00.000Z' });
    await waitFor('lastActivityAt to move again', () => h.client.rpc(C.get, { id }, alice), (i) => i.lastActivityAt > moved.lastActivityAt, 5000, 20);
    expect(events.slice(eventsBefore).filter((e) => e.instance.id === id)).toEqual([]);

    // Logs: the app's own output, over NATS and as a followed HTTP stream.
    const logs = await h.client.rpc(C.logs, { id, tail: 50 }, alice);
    expect(logs.lines.join('\n')).toContain('hello: listening on port');
    expect(logs.lines.join('\n')).toContain('"GET / HTTP/1.1" 200');
    expect(logs.followPath).toBe(`/internal/instances/${id}/logs`);
    const token = signInternalToken(SECRET, alice, `logs:${id}`);
    const streamed = await new Promise<string>((resolve, reject) => {
      let text = '';
      const req = http.get(`http://127.0.0.1:${replica.port}${logs.followPath}?follow=1&tail=2&follow=1`, { headers: { 'x-wharf-internal-token': token } }, (res) => {
        expect(res.statusCode).toBe(200);
        res.on('data', (d: Buffer) => {
          text += d.toString();
          if (text.includes('GET /followed')) {
            req.destroy();
            resolve(text);
          }
        });
      });
      req.on('error', (e) => (text.includes('GET /followed') ? undefined : reject(e)));
      setTimeout(() => void httpGet(`${base}/followed`), 500);
      setTimeout(() => reject(new Error(`no followed line in: ${text}`)), 8000);
    });
    expect(streamed).toContain('GET /followed');
    const denied = await httpGet(`http://127.0.0.1:${replica.port}/internal/instances/${id}/logs?tail=5`, {
      'x-wharf-internal-token': signInternalToken(SECRET, bob, `logs:${id}`),
    });
    expect(denied.status).toBe(404);
    expect((await httpGet(`http://127.0.0.1:${replica.port}/internal/instances/${id}/logs?tail=5`)).status).toBe(401);

    // The volume survives suspend/resume.
    expect(JSON.parse((await httpGet(`${base}/api`)).body)).toMatchObject({ visits: 1 });
    const suspended = await h.client.rpc(C.suspend, { id }, alice);
    expect(suspended).toMatchObject({ status: 'SUSPENDED' });
    expect((await h.routed(id)).address).toBeNull();
    expect(instancePids(id)).toEqual([]);
    await expect(httpGet(`${base}/`)).rejects.toThrow();
    expect(existsSync(claim)).toBe(false); // a suspended instance holds no port
    const resumed = await h.client.rpc(C.resume, { id }, alice);
    expect(resumed.status).toBe('PROVISIONING');
    await h.untilStatus(id, ['RUNNING']);
    const again = await h.routed(id);
    expect(again.address).toBe(address); // the same one again, nobody having taken it
    expect(JSON.parse((await httpGet(`http://${again.address}/api`)).body)).toMatchObject({ visits: 2 });

    // Upgrade: explicit, to another version of the same app only.
    expect((await rpcError(h.client.rpc(C.upgrade, { id, appVersionId: 'other-1' }, alice)))?.code).toBe('INVALID');
    const upgraded = await h.client.rpc(C.upgrade, { id, appVersionId: 'hello-2' }, alice);
    expect(upgraded).toMatchObject({ appVersionId: 'hello-2', appVersion: '1.1.0', status: 'PROVISIONING' });
    const running = await h.untilStatus(id, ['RUNNING']);
    expect((await httpGet(`http://${running.address}/`)).status).toBe(200);
    expect(JSON.parse((await httpGet(`http://${running.address}/api`)).body)).toMatchObject({ visits: 3 });

    const dir = path.join(h.dataDir, 'instances', id);
    expect(existsSync(dir)).toBe(true);
    const gone = await h.client.rpc(C.terminate, { id }, alice);
    expect(gone.status).toBe('TERMINATED');
    expect(instancePids(id)).toEqual([]);
    expect(existsSync(dir)).toBe(false);
    expect(existsSync(claim)).toBe(false);
    expect((await rpcError(get(id)))?.code).toBe('NOT_FOUND');

    const mine = events.filter((e) => e.instance.id === id);
    expect(mine[0]).toMatchObject({ change: 'CREATED', previousStatus: null });
    expect(mine.map((e) => e.instance.status)).toEqual(expect.arrayContaining(['PROVISIONING', 'RUNNING', 'SUSPENDED', 'TERMINATED']));
    expect(mine.some((e) => e.change === 'UPGRADED')).toBe(true);
    expect(mine[mine.length - 1]).toMatchObject({ change: 'TERMINATED', instance: { status: 'TERMINATED' } });
  });

  it('reports a crashing app as FAILED with its last log lines, and frees the slot', async () => {
    const inst = await h.client.rpc(C.create, { appVersionId: 'crash-1' }, alice);
    const failed = await h.untilStatus(inst.id, ['FAILED']);
    expect(failed.statusReason).toContain('the app exited with code 1');
    expect(failed.statusReason).toContain('DATABASE_URL is not set');
    expect(failed.address).toBeNull();
    await waitFor('the launcher to exit', async () => instancePids(inst.id), (p) => p.length === 0, 10_000);
    const exit = JSON.parse(readFileSync(path.join(h.dataDir, 'instances', inst.id, 'exit.json'), 'utf8')) as { code: number };
    expect(exit.code).toBe(1);
    expect((await h.client.rpc(C.countInstances, { appVersionId: 'crash-1' }, null)).count).toBe(1);
    await h.client.rpc(C.terminate, { id: inst.id }, alice);
    expect((await h.client.rpc(C.countInstances, { appVersionId: 'crash-1' }, null)).count).toBe(0);
  });

  it('proxies websockets to the app (echo-ws) and installs bundled wheels once per app version (wheel-app)', async () => {
    const echo = await h.client.rpc(C.create, { appVersionId: 'echo-1' }, alice);
    const w1 = await h.client.rpc(C.create, { appVersionId: 'wheel-1' }, alice);
    const e = await h.untilStatus(echo.id, ['RUNNING']);
    expect(await websocketEcho(e.address!, '/ws', 'hello over the launcher')).toBe('hello over the launcher');
    const r1 = await h.untilStatus(w1.id, ['RUNNING'], 30_000);
    expect((await httpGet(`http://${r1.address}/`)).body).toContain('Greetings, wheel, from wharf_greeting 1.0.0');
    const t0 = Date.now();
    const w2 = await h.client.rpc(C.create, { appVersionId: 'wheel-1' }, alice);
    const r2 = await h.untilStatus(w2.id, ['RUNNING'], 30_000);
    console.log(`wheel-app second instance (cached venv) RUNNING after ${Date.now() - t0} ms`);
    expect((await httpGet(`http://${r2.address}/`)).status).toBe(200);
    expect((await h.client.rpc(C.logs, { id: w2.id, tail: 100 }, alice)).lines.join('\n')).toContain('built earlier');
    for (const id of [echo.id, w1.id, w2.id]) await h.client.rpc(C.terminate, { id }, alice);
  });

  it('authorizes: owners manage, app owners see status and logs, others see nothing; the repository decides visibility', async () => {
    const inst = await h.client.rpc(C.create, { appVersionId: 'hello-1', visibility: 'PRIVATE' }, alice);
    expect((await rpcError(get(inst.id, bob)))?.code).toBe('NOT_FOUND');
    expect((await rpcError(h.client.rpc(C.suspend, { id: inst.id }, bob)))?.code).toBe('NOT_FOUND');
    expect((await get(inst.id, author)).id).toBe(inst.id);
    expect((await h.client.rpc(C.logs, { id: inst.id, tail: 5 }, author)).id).toBe(inst.id);
    expect((await rpcError(h.client.rpc(C.terminate, { id: inst.id }, author)))?.code).toBe('FORBIDDEN');
    expect((await rpcError(h.client.rpc(C.get, { id: inst.id }, null)))?.code).toBe('UNAUTHENTICATED');

    const shared = await h.client.rpc(C.setVisibility, { id: inst.id, visibility: 'ALL_USERS' }, alice);
    expect(shared.visibility).toBe('ALL_USERS');
    expect((await get(inst.id, bob)).id).toBe(inst.id); // may open it, not manage it
    expect((await rpcError(h.client.rpc(C.suspend, { id: inst.id }, bob)))?.code).toBe('FORBIDDEN');
    expect((await rpcError(h.client.rpc(C.setVisibility, { id: inst.id, visibility: 'PUBLIC' }, alice)))?.code).toBe('FORBIDDEN');

    expect((await rpcError(h.client.rpc(C.create, { appVersionId: 'private-1' }, bob)))?.code).toBe('FORBIDDEN');
    expect((await rpcError(h.client.rpc(C.create, { appVersionId: 'nope' }, bob)))?.code).toBe('NOT_FOUND');

    const mine = await h.client.rpc(C.list, {}, alice);
    expect(mine.items.map((i) => i.id)).toContain(inst.id);
    expect((await h.client.rpc(C.list, {}, bob)).items).toEqual([]);
    expect((await h.client.rpc(C.list, { scope: 'app-owner' }, author)).items.map((i) => i.id)).toContain(inst.id);
    expect((await rpcError(h.client.rpc(C.list, { scope: 'all' }, bob)))?.code).toBe('FORBIDDEN');
    const all = await h.client.rpc(C.list, { scope: 'all', user: alice.sub, status: 'PROVISIONING' }, admin);
    expect(all.items.every((i) => i.owner.sub === alice.sub && i.status === 'PROVISIONING')).toBe(true);
    const page1 = await h.client.rpc(C.list, { scope: 'all', limit: 1 }, admin);
    expect(page1.items).toHaveLength(1);

    expect((await h.client.rpc(C.suspend, { id: inst.id }, admin)).status).toBe('SUSPENDED');
    await h.client.rpc(C.terminate, { id: inst.id }, admin);
  });

  it('serves the runtime catalogue: deprecated runtimes warn, disabled and unknown ones refuse with the reason', async () => {
    const rt = await h.client.rpc(C.runtimes, {}, vera);
    expect(rt.items).toEqual([
      { name: 'python-3.11', image: 'wharf/python:3.11', default: true, state: 'ACTIVE', stateReason: null },
      { name: 'python-3.10', image: 'wharf/python:3.10', default: false, state: 'DEPRECATED', stateReason: 'security support ends soon' },
      { name: 'python-3.8', image: 'wharf/python:3.8', default: false, state: 'DISABLED', stateReason: 'end of life' },
    ]);
    const dep = await h.client.rpc(C.create, { appVersionId: 'hello-1', runtime: 'python-3.10' }, alice);
    expect(dep.runtime).toBe('python-3.10');
    expect(dep.warnings.join(' ')).toMatch(/python-3\.10 is deprecated: security support ends soon/);
    const disabled = await rpcError(h.client.rpc(C.create, { appVersionId: 'hello-1', runtime: 'python-3.8' }, alice));
    expect(disabled?.code).toBe('INVALID');
    expect(disabled?.message).toMatch(/runtime python-3\.8 is disabled: end of life; choose one of: python-3\.11, python-3\.10/);
    expect((await rpcError(h.client.rpc(C.create, { appVersionId: 'old-1' }, alice)))?.message).toMatch(/python-3\.8 is disabled/);
    expect((await rpcError(h.client.rpc(C.create, { appVersionId: 'hello-1', runtime: 'python-9.9' }, alice)))?.message).toMatch(/not offered/);
    await h.client.rpc(C.terminate, { id: dep.id }, alice);
  });

  it('enforces limits: instances per role, memory ceilings, no GPUs on the process driver', async () => {
    const one = await h.client.rpc(C.create, { appVersionId: 'hello-1' }, vera);
    const over = await rpcError(h.client.rpc(C.create, { appVersionId: 'hello-1' }, vera));
    expect(over?.code).toBe('LIMIT_EXCEEDED');
    expect(over?.message).toMatch(/you already have 1 running instance; visitors may run at most 1/);
    await h.client.rpc(C.suspend, { id: one.id }, vera); // a suspended instance frees its slot
    const two = await h.client.rpc(C.create, { appVersionId: 'hello-1' }, vera);
    expect((await rpcError(h.client.rpc(C.resume, { id: one.id }, vera)))?.code).toBe('LIMIT_EXCEEDED');
    const big = await rpcError(h.client.rpc(C.create, { appVersionId: 'big-1' }, alice));
    expect(big?.code).toBe('INVALID');
    expect(big?.message).toMatch(/memory limit of 64Gi .* at most 4Gi \(Scheduler\.MaxMemoryLimit\)/);
    const gpu = await rpcError(h.client.rpc(C.create, { appVersionId: 'gpu-1' }, alice));
    expect(gpu?.message).toMatch(/needs 1 GPU\(s\), but the process driver runs instances without GPUs/);
    for (const id of [one.id, two.id]) await h.client.rpc(C.terminate, { id }, vera);
  });

  it('resolves secrets at start: refuses launches with missing (or not granted) secrets, never lists values, admin only', async () => {
    const missing = await rpcError(h.client.rpc(C.create, { appVersionId: 'secret-1' }, alice));
    expect(missing?.code).toBe('INVALID');
    expect(missing?.message).toMatch(/its \[\[Env\]\] API_TOKEN names a secret that it was not granted or that is not set/);
    expect((await rpcError(h.client.rpc(C.secretPut, { name: 'hello-secrets', data: { token: 'x' } }, alice)))?.code).toBe('FORBIDDEN');
    await h.client.rpc(C.secretPut, { name: 'hello-secrets', data: { token: 's3cr3t-value' }, grants: { apps: [], owners: [author.sub] } }, admin);
    const listed = await h.client.rpc(C.secretList, {}, admin);
    expect(listed.items).toEqual([{ name: 'hello-secrets', keys: ['token'], grants: { apps: [], owners: [author.sub] }, updatedAt: expect.any(String) }]);
    expect(JSON.stringify(listed)).not.toContain('s3cr3t-value');
    expect(statSync(path.join(h.dataDir, 'secrets.json')).mode & 0o777).toBe(0o600);

    const inst = await h.client.rpc(C.create, { appVersionId: 'secret-1' }, alice);
    await h.untilStatus(inst.id, ['RUNNING']);
    // What the app itself sees (it may run in an interpreter started ahead of time: /proc would not tell).
    const running = await h.routed(inst.id);
    const seen = JSON.parse((await httpGet(`http://${running.address}/`)).body) as { env: Record<string, string>; cwd: string };
    expect(seen.env).toMatchObject({ API_TOKEN: 's3cr3t-value', GREETING: 'hi', PYTHONUNBUFFERED: '1', WHARF_INSTANCE_ID: inst.id });
    expect(Object.keys(seen.env).filter((k) => /^WHARF_(BUNDLE|STATUS)_TOKEN$/.test(k))).toEqual([]);
    expect(seen.cwd).toBe(path.join(h.dataDir, 'instances', inst.id, 'work', 'app'));
    expect(readFileSync(path.join(h.dataDir, 'instances', inst.id, 'instance.json'), 'utf8')).not.toContain('s3cr3t-value');
    await h.client.rpc(C.terminate, { id: inst.id }, alice);
    await h.client.rpc(C.secretDelete, { name: 'hello-secrets' }, admin);
    expect((await rpcError(h.client.rpc(C.secretDelete, { name: 'hello-secrets' }, admin)))?.code).toBe('NOT_FOUND');
  });

  it('leaves no launcher process behind', async () => {
    await waitFor('no launchers', async () => launcherPids(h.dataDir), (p) => p.length === 0, 10_000);
  });
});
