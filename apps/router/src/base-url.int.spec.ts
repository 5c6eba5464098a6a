import http from 'node:http';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { AliasContracts, SchedulerContracts, type Instance } from '@wharf/contracts';
import { buildBundle } from '@wharf/testing';
import WebSocket from 'ws';
import { exampleFiles } from '../../../examples/build';
import { admin, alice, ensureBuilt, SECRET, startHarness, waitFor, type Harness } from '../../scheduler/src/test-support/harness';
import { startRouterOnScheduler, type RouterOnScheduler } from './test-support/router-on-scheduler';

jest.setTimeout(180_000);

const TOKEN = 'wharf_pat_alice_base_url';

/**
 * An app that shows what it was given: its base path (env), the X-Forwarded-Prefix and Cookie
 * headers and the path it was asked for; it sets a cookie on `/` and asks for a service worker
 * scope over the whole host, which the router must keep to its own path.
 */
const PROBE_PY = `import json, os
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class Handler(BaseHTTPRequestHandler):
    def do_GET(self):
        body = json.dumps({
            "base": os.environ.get("WHARF_BASE_PATH"),
            "prefix": self.headers.get("X-Forwarded-Prefix"),
            "cookie": self.headers.get("Cookie"),
            "path": self.path,
        }).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Set-Cookie", "sid=probe; Path=/; HttpOnly")
        self.send_header("Service-Worker-Allowed", "/")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_POST = do_GET


ThreadingHTTPServer(("127.0.0.1", int(os.environ["PORT"])), Handler).serve_forever()
`;

const manifest = (name: string, module: string, mode: 'DOMAIN' | 'BASE_URL' | null) =>
  `[App]\nName = "${name}"\nVersion = "1.0.0"\nTitle = "${name}"\nCategory = ["Other"]\n\n[Runtime]\nModule = "${module}"\n${mode ? `RoutingMode = "${mode}"\n` : ''}`;

interface Answer {
  status: number;
  body: string;
  headers: http.IncomingHttpHeaders;
}

/**
 * BASE_URL routing end to end: the real scheduler (process driver, sandboxed launchers), a real
 * router, the websocket sample and a probe app declaring `RoutingMode = "BASE_URL"`, a DOMAIN app
 * beside them. Instances are served under `/instance/<id>/` on the bare apps host — HTTP and
 * websockets — with their base path in env; a request in the other mode's form is redirected;
 * what an app sets stays on its own path.
 */
describe('BASE_URL routing through the router', () => {
  let h: Harness;
  let router: RouterOnScheduler;
  let dir: string;
  let echo: Instance;
  let probe: Instance;
  let plain: Instance;

  beforeAll(async () => {
    ensureBuilt();
    dir = mkdtempSync(path.join(os.tmpdir(), 'wharf-base-url-'));
    const zip = async (name: string, opts: Parameters<typeof buildBundle>[0]) => {
      const file = path.join(dir, `${name}.zip`);
      writeFileSync(file, await buildBundle(opts));
      return file;
    };
    h = await startHarness();
    await h.startReplica({ WHARF_SCHEDULER_ROUTING_MODES: '["DOMAIN","BASE_URL"]' });
    await h.addApp(
      'echo-1',
      await zip('echo', { files: { ...exampleFiles('echo-ws'), 'app.toml': manifest('echo-ws', 'echows.app', 'BASE_URL') } }),
    );
    await h.addApp('probe-1', await zip('probe', { manifest: manifest('probe', 'probe.app', 'BASE_URL'), files: { 'probe/__init__.py': '', 'probe/app.py': PROBE_PY } }));
    await h.addApp('plain-1', await zip('plain', { manifest: manifest('plain', 'probe.app', null), files: { 'probe/__init__.py': '', 'probe/app.py': PROBE_PY } }));
    router = await startRouterOnScheduler(h.nats, { secret: SECRET, dataDir: dir, tokens: { [TOKEN]: alice } });
    const run = async (appVersionId: string) => {
      const i = await h.client.rpc(SchedulerContracts.create, { appVersionId, visibility: 'PRIVATE' }, alice);
      await h.untilStatus(i.id, ['RUNNING'], 60_000);
      return h.client.rpc(SchedulerContracts.get, { id: i.id }, alice);
    };
    [echo, probe, plain] = await Promise.all([run('echo-1'), run('probe-1'), run('plain-1')]);
  });

  afterAll(async () => {
    await router?.stop();
    await h?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const appsHost = () => `apps.localhost:${router.port}`;
  const send = (host: string, p: string, opts: { method?: string; headers?: Record<string, string>; token?: boolean } = {}) =>
    new Promise<Answer>((resolve, reject) => {
      const req = http.request(
        {
          host: '127.0.0.1',
          port: router.port,
          path: p,
          method: opts.method ?? 'GET',
          headers: { host, ...(opts.token === false ? {} : { authorization: `Bearer ${TOKEN}` }), ...opts.headers },
          agent: false,
        },
        (res) => {
          let body = '';
          res.setEncoding('utf8');
          res.on('data', (c: string) => (body += c));
          res.on('end', () => resolve({ status: res.statusCode!, body, headers: res.headers }));
        },
      );
      req.on('error', reject);
      req.end();
    });
  const openWs = (host: string, p: string, headers: Record<string, string> = {}) =>
    new Promise<WebSocket>((resolve, reject) => {
      const ws = new WebSocket(`ws://127.0.0.1:${router.port}${p}`, { headers: { host, authorization: `Bearer ${TOKEN}`, ...headers } });
      ws.once('open', () => resolve(ws));
      ws.once('error', reject);
      ws.once('unexpected-response', (_req, res) => {
        let body = '';
        res.on('data', (c: Buffer) => (body += c.toString()));
        res.on('end', () => reject(new Error(`${res.statusCode} ${body}`)));
      });
    });

  it('says where each instance is served: the mode, its base path and its URL on the bare apps host', () => {
    expect(echo).toMatchObject({ routingMode: 'BASE_URL', basePath: `/instance/${echo.id}/`, url: `http://apps.localhost:8081/instance/${echo.id}/` });
    expect(plain).toMatchObject({ routingMode: 'DOMAIN', basePath: '/', url: `http://${plain.id}.apps.localhost:8081` });
  });

  it('serves the websocket sample under /instance/<id>/: its page builds the socket address on WHARF_BASE_PATH, frames go both ways', async () => {
    const page = await send(appsHost(), `/instance/${echo.id}/`);
    expect(page.status).toBe(200);
    expect(page.body).toContain(`'/instance/${echo.id}/ws'`);
    const ws = await openWs(appsHost(), `/instance/${echo.id}/ws`, { origin: `http://${appsHost()}` });
    for (const text of ['hello', 'x'.repeat(70_000)]) {
      const back = new Promise<string>((r) => ws.once('message', (m) => r(m.toString())));
      ws.send(text);
      expect(await back).toBe(text);
    }
    ws.close();
    // a page on another origin may not ride on the browser's credentials
    await expect(openWs(appsHost(), `/instance/${echo.id}/ws`, { origin: 'http://evil.test' })).rejects.toThrow(/403 websocket from another origin/);
  });

  it('gives the app its base path in env and the full path; no X-Forwarded-Prefix (the prefix is not stripped), never one the client sent', async () => {
    const r = await send(appsHost(), `/instance/${probe.id}/api/x?y=1`, { headers: { 'x-forwarded-prefix': '/evil' } });
    expect(r.status).toBe(200);
    expect(JSON.parse(r.body)).toEqual({ base: `/instance/${probe.id}/`, prefix: null, cookie: null, path: `/instance/${probe.id}/api/x?y=1` });
    // a DOMAIN app is served at / and told so
    const d = await send(`${plain.id}.apps.localhost:${router.port}`, '/here');
    expect(JSON.parse(d.body)).toEqual({ base: '/', prefix: null, cookie: null, path: '/here' });
  });

  it("keeps what an app sets on its own path: cookies moved under /instance/<id>/, no service worker scope over the host", async () => {
    const r = await send(appsHost(), `/instance/${probe.id}/`);
    expect(r.headers['set-cookie']).toEqual([`sid=probe; HttpOnly; Path=/instance/${probe.id}/`]);
    expect(r.headers['service-worker-allowed']).toBeUndefined();
    // on a host of its own the app's cookie is left as it is
    const d = await send(`${plain.id}.apps.localhost:${router.port}`, '/');
    expect(d.headers['set-cookie']).toEqual(['sid=probe; Path=/; HttpOnly']);
    expect(d.headers['service-worker-allowed']).toBe('/');
  });

  it('redirects a request in the wrong form to the form the instance is served in, keeping the path, query and method', async () => {
    // no slash after the id
    expect(await send(appsHost(), `/instance/${echo.id}`)).toMatchObject({ status: 302, headers: { location: `/instance/${echo.id}/` } });
    expect(await send(appsHost(), `/instance/${echo.id}?a=1`)).toMatchObject({ status: 302, headers: { location: `/instance/${echo.id}/?a=1` } });
    // a BASE_URL instance asked for on its own host
    const onHost = await send(`${echo.id}.apps.localhost:${router.port}`, '/x/y?z=1', { token: false });
    expect(onHost).toMatchObject({ status: 302, headers: { location: `http://${appsHost()}/instance/${echo.id}/x/y?z=1` } });
    expect(await send(`${echo.id}.apps.localhost:${router.port}`, '/form', { method: 'POST' })).toMatchObject({
      status: 307,
      headers: { location: `http://${appsHost()}/instance/${echo.id}/form` },
    });
    // a DOMAIN instance asked for under /instance/
    expect(await send(appsHost(), `/instance/${plain.id}/x?z=1`, { token: false })).toMatchObject({
      status: 302,
      headers: { location: `http://${plain.id}.apps.localhost:${router.port}/x?z=1` },
    });
    // websockets cannot follow redirects: they are told where the instance is
    await expect(openWs(`${echo.id}.apps.localhost:${router.port}`, '/ws')).rejects.toThrow(`404 instance ${echo.id} is served at ${echo.url}`);
    await expect(openWs(appsHost(), `/instance/${plain.id}/ws`)).rejects.toThrow(/^404 instance .* is served at http:\/\//);
  });

  it('answers 404 for what is no instance, 421 for another port, and sends a browser without a session to the gateway for this site', async () => {
    for (const p of ['/instance/NOTANID/', '/instance/', `/instance/zzzzzzzzzz/`]) {
      expect([p, (await send(appsHost(), p)).status]).toEqual([p, 404]);
    }
    expect((await send('apps.localhost:1', `/instance/${echo.id}/`)).status).toBe(421);
    const signIn = await send(appsHost(), `/instance/${echo.id}/page?q=1`, { token: false, headers: { accept: 'text/html' } });
    expect(signIn.status).toBe(302);
    const to = new URL(signIn.headers.location!);
    expect(`${to.origin}${to.pathname}`).toBe('http://gateway.test:8080/auth/instance-ticket');
    expect(Object.fromEntries(to.searchParams)).toEqual({ host: `${appsHost()}/instance/${echo.id}`, next: `/instance/${echo.id}/page?q=1` });
    // API clients get 401, as on instance hosts
    expect((await send(appsHost(), `/instance/${echo.id}/`, { token: false })).status).toBe(401);
  });

  it('the suspended page resumes under the base path', async () => {
    await h.client.rpc(SchedulerContracts.suspend, { id: probe.id }, alice);
    const page = await waitFor(
      'the suspended page',
      () => send(appsHost(), `/instance/${probe.id}/`, { headers: { accept: 'text/html' } }),
      (r) => r.status === 503 && r.body.includes('suspended'),
    );
    expect(page.body).toContain(`action="/instance/${probe.id}/.wharf/resume"`);
    const resumed = await send(appsHost(), `/instance/${probe.id}/.wharf/resume`, { method: 'POST', headers: { origin: `http://${appsHost()}` } });
    expect(resumed).toMatchObject({ status: 303, headers: { location: `/instance/${probe.id}/` } });
    await h.untilStatus(probe.id, ['RUNNING'], 60_000);
    await waitFor('the probe to answer again', () => send(appsHost(), `/instance/${probe.id}/`), (r) => r.status === 200);
  });

  it('refuses an alias for a BASE_URL instance: an alias is a host of its own', async () => {
    const e = await h.client.rpc(AliasContracts.create, { name: 'echo', instanceId: echo.id }, admin).catch((x: Error) => x);
    expect(e).toMatchObject({ code: 'CONFLICT', message: expect.stringContaining(`instance ${echo.id} is served in BASE_URL mode`) });
    expect((await h.client.rpc(AliasContracts.list, {}, admin)).items).toEqual([]);
  });
});
