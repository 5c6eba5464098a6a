import { readFileSync } from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { alivePids, startWharf, type RunningSystem } from '@wharf/testing';

jest.setTimeout(180_000);

const EXAMPLES = path.resolve(__dirname, '../../../../examples/dist');

/**
 * Issue 4's "done when", over REST against Wharf started as `pnpm start` starts it: run a sample,
 * reach it on its port, follow its logs, hit the instance limit (429), see a crash reported as
 * FAILED with its last log lines, and leave nothing running.
 */
describe('Run an app from the REST API, end to end', () => {
  let sys: RunningSystem;
  let alice: string;
  const api = (p: string) => `${sys.gateway}/api/v1${p}`;
  const call = async (method: string, p: string, body?: unknown) => {
    const res = await fetch(api(p), {
      method,
      headers: { authorization: `Bearer ${alice}`, ...(body ? { 'content-type': 'application/json' } : {}) },
      body: body ? JSON.stringify(body) : undefined,
    });
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : null };
  };
  const importSample = async (name: string) => {
    const res = await fetch(api('/bundles'), {
      method: 'POST',
      headers: { authorization: `Bearer ${alice}`, 'content-type': 'application/zip' },
      body: new Uint8Array(readFileSync(path.join(EXAMPLES, `${name}.zip`))),
    });
    expect(res.status).toBe(201);
    return ((await res.json()) as { id: string }).id;
  };
  const waitFor = async (id: string, done: (i: { status: string; url: string }) => boolean) => {
    for (let i = 0; i < 600; i++) {
      const { body } = await call('GET', `/instances/${id}`);
      if (done(body)) return body;
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error(`instance ${id} did not get there`);
  };

  beforeAll(async () => {
    // every line the services can write, for the request-id trail and stop()'s scan for secrets
    sys = await startWharf({ WHARF_SCHEDULER_MAX_INSTANCES_FULL_ACCESS: '2', WHARF_PLATFORM_LOG_LEVEL: 'verbose' });
    const minted = await fetch(`${sys.gateway}/api/v1/tokens`, {
      method: 'POST',
      headers: { authorization: `Bearer ${sys.adminToken}`, 'content-type': 'application/json' },
      body: JSON.stringify({ user: 'alice', roles: ['full-access'] }),
    });
    alice = ((await minted.json()) as { token: string }).token;
    sys.remember(alice);
  });

  afterAll(async () => {
    if (sys?.proc.exitCode === null) await sys.stop();
  });

  let helloId: string;
  let instance: { id: string; url: string; status: string };
  /** The app through the router, as users reach it (the REST API never tells where it listens). */
  const viaRouter = (url: string) =>
    new Promise<{ status: number; body: string }>((resolve, reject) => {
      const u = new URL(url);
      http
        .get({ host: '127.0.0.1', port: u.port, path: '/', headers: { host: u.host, authorization: `Bearer ${alice}` }, agent: false }, (res) => {
          let body = '';
          res.setEncoding('utf8');
          res.on('data', (c: string) => (body += c));
          res.on('end', () => resolve({ status: res.statusCode!, body }));
        })
        .on('error', reject);
    });

  it('runs the hello sample and its page answers through the router', async () => {
    helloId = await importSample('hello');
    const run = await call('POST', `/apps/${helloId}/instances`, { visibility: 'PRIVATE' });
    expect(run.status).toBe(201);
    expect(run.body).not.toHaveProperty('address');
    instance = await waitFor(run.body.id, (i) => i.status === 'RUNNING') as typeof instance;
    expect(instance).not.toHaveProperty('address');
    const page = await viaRouter(instance.url);
    expect(page.status).toBe(200);
    expect(page.body).toBeTruthy();
  });

  it('shows its logs, and follows them as a stream', async () => {
    const tail = await fetch(api(`/instances/${instance.id}/logs?tail=50`), { headers: { authorization: `Bearer ${alice}` } });
    expect(tail.status).toBe(200);
    expect(tail.headers.get('content-type')).toMatch(/text\/plain/);
    expect((await tail.text()).length).toBeGreaterThan(0);
    const chunks: string[] = [];
    await new Promise<void>((resolve, reject) => {
      const req = http.get(api(`/instances/${instance.id}/logs?follow=1&tail=5`), { headers: { authorization: `Bearer ${alice}` } }, (res) => {
        expect(res.statusCode).toBe(200);
        res.on('data', (d: Buffer) => {
          chunks.push(d.toString());
          req.destroy();
          resolve();
        });
      });
      req.on('error', (e) => (chunks.length ? resolve() : reject(e)));
      // new output: a request to the app is logged by it
      setTimeout(() => void viaRouter(instance.url), 200);
    });
    expect(chunks.join('').length).toBeGreaterThan(0);
  });

  it('follows one Run by its request id: gateway, NATS, scheduler, driver, launcher', async () => {
    const requestId = `e2e-run-${Date.now().toString(36)}`;
    const res = await fetch(api(`/apps/${helloId}/instances`), {
      method: 'POST',
      headers: { authorization: `Bearer ${alice}`, 'content-type': 'application/json', 'x-request-id': requestId },
      body: '{}',
    });
    expect(res.status).toBe(201);
    expect(res.headers.get('x-request-id')).toBe(requestId);
    const { id } = (await res.json()) as { id: string };
    await waitFor(id, (i) => i.status === 'RUNNING');
    // every service line is one JSON object, prefixed with the service's name by `pnpm start`
    const lines = sys.output
      .map((l) => /^\[([a-z-]+)\] (\{.*\})$/.exec(l))
      .filter((m): m is RegExpExecArray => !!m)
      .map((m) => ({ from: m[1]!, line: JSON.parse(m[2]!) as { service: string; reqId?: string; msg?: string; level: string; time: string } }));
    expect(lines.length).toBeGreaterThan(10);
    for (const { from, line } of lines) {
      expect(line.service).toBe(from);
      expect(typeof line.time).toBe('string');
    }
    const trail = lines.filter((l) => l.line.reqId === requestId).map((l) => l.line);
    // the gateway's answer, the scheduler's Run (over NATS), its driver starting the launcher, and
    // the launcher's status reports (sent with the same id)
    expect(trail.some((l) => l.service === 'gateway' && /POST \/api\/v1\/apps\/.+\/instances|request completed/.test(JSON.stringify(l)))).toBe(true);
    expect(trail.some((l) => l.service === 'scheduler' && l.msg?.includes(`instance ${id} of`))).toBe(true);
    expect(trail.some((l) => l.service === 'scheduler' && l.msg?.includes(`started launcher for ${id}`))).toBe(true);
    expect(trail.some((l) => l.service === 'scheduler' && JSON.stringify(l).includes(`/internal/instances/${id}/status`))).toBe(true);
    // and the launcher's own first line, in the instance's log
    const log = await fetch(api(`/instances/${id}/logs?tail=200`), { headers: { authorization: `Bearer ${alice}` } });
    expect(await log.text()).toContain(`request ${requestId}`);
    expect((await call('DELETE', `/instances/${id}`)).status).toBe(200);
  });

  it('refuses a launch over the limit with 429 and a clear message', async () => {
    const second = await call('POST', `/apps/${helloId}/instances`, {});
    expect(second.status).toBe(201);
    const third = await call('POST', `/apps/${helloId}/instances`, {});
    expect(third).toMatchObject({ status: 429, body: { error: { code: 'LIMIT_EXCEEDED' } } });
    expect(third.body.error.message).toMatch(/2/);
    expect((await call('DELETE', `/instances/${second.body.id}`)).status).toBe(200);
  });

  it('reports a crashing app as FAILED with its last log lines', async () => {
    const crashId = await importSample('crash');
    const run = await call('POST', `/apps/${crashId}/instances`, {});
    expect(run.status).toBe(201);
    const failed = (await waitFor(run.body.id, (i) => i.status === 'FAILED')) as unknown as { statusReason: string };
    expect(failed.statusReason).toMatch(/\S/);
    expect((await call('DELETE', `/instances/${run.body.id}`)).status).toBe(200);
  });

  it('refuses to delete an app version while an instance of it runs (409), and allows it after terminate', async () => {
    expect((await call('DELETE', `/apps/${helloId}`)).status).toBe(409);
    expect((await call('DELETE', `/instances/${instance.id}`)).body.status).toBe('TERMINATED');
    expect((await call('DELETE', `/apps/${helloId}`)).status).toBe(200);
  });

  it('leaves no launcher or app process behind on Ctrl-C', async () => {
    const pids = Object.values(sys.pids());
    await sys.stop();
    expect(alivePids(pids)).toEqual([]);
  });
});
