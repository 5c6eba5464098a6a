import http from 'node:http';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { AliasContracts, SchedulerContracts, type Instance } from '@wharf/contracts';
import { buildBundle } from '@wharf/testing';
import WebSocket from 'ws';
import { admin, alice, ensureBuilt, SECRET, startHarness, waitFor, type Harness } from '../../scheduler/src/test-support/harness';
import { startRouterOnScheduler, type RouterOnScheduler } from './test-support/router-on-scheduler';

jest.setTimeout(180_000);

const TOKEN = 'wharf_pat_alice_alias_move';
/** Concurrent clients, and the most requests each sends (a bounded loop). */
const CLIENTS = 8;
const MAX_PER_CLIENT = 4000;

/**
 * Blue/green with an alias, end to end: the real scheduler (process driver, sandboxed launchers),
 * a real router, two real instances of an app that answers its own instance id (and echoes
 * websockets). While clients send requests through the alias without pause and a websocket is
 * open, an admin moves the alias from blue to green: no request fails, the websocket stays on
 * blue. Then blue is terminated (its websocket closes), and every request lands on green.
 */
describe('moving an alias under load', () => {
  let h: Harness;
  let router: RouterOnScheduler;
  let dir: string;
  let blue: Instance;
  let green: Instance;
  const agent = new http.Agent({ keepAlive: true, maxSockets: CLIENTS });

  beforeAll(async () => {
    ensureBuilt();
    dir = mkdtempSync(path.join(os.tmpdir(), 'wharf-alias-move-'));
    // the websocket echo sample, answering GET with the id of the instance that serves it (within
    // the default 512Mi memory limit: the relay and the app hold many connections under it)
    const source = readFileSync(path.join(__dirname, '../../../examples/echo-ws/echows/app.py'), 'utf8').replace(/PAGE = b"""[\s\S]*?"""[^\n]*\n/, 'PAGE = os.environ["WHARF_INSTANCE_ID"].encode()\n')
      // thousands of requests: no log line for each
      .replace('print("echo-ws: " + fmt % args, flush=True)', 'pass');
    expect(source).toContain('PAGE = os.environ["WHARF_INSTANCE_ID"]');
    expect(source).not.toContain('fmt % args');
    const zip = path.join(dir, 'whoami.zip');
    writeFileSync(zip, await buildBundle({ app: { name: 'whoami', version: '1.0.0', module: 'echows.app' }, files: { 'echows/__init__.py': '', 'echows/app.py': source } }));
    h = await startHarness();
    await h.startReplica();
    await h.addApp('whoami-1', zip);

    router = await startRouterOnScheduler(h.nats, { secret: SECRET, dataDir: dir, tokens: { [TOKEN]: alice } });
    const run = async () => {
      const i = await h.client.rpc(SchedulerContracts.create, { appVersionId: 'whoami-1', visibility: 'PRIVATE' }, alice);
      await h.untilStatus(i.id, ['RUNNING'], 60_000);
      return i;
    };
    blue = await run();
    green = await run();
  });

  afterAll(async () => {
    agent.destroy();
    await router?.stop();
    await h?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const host = (label: string) => `${label}.apps.localhost:${router.port}`;
  const get = (label: string, p = '/') =>
    new Promise<{ status: number; body: string; location?: string }>((resolve, reject) => {
      http
        .get({ host: '127.0.0.1', port: router.port, path: p, headers: { host: host(label), authorization: `Bearer ${TOKEN}` }, agent }, (res) => {
          let body = '';
          res.setEncoding('utf8');
          res.on('data', (c: string) => (body += c));
          res.on('end', () => resolve({ status: res.statusCode!, body, location: res.headers.location }));
        })
        .on('error', reject);
    });

  it('serves every request while the alias moves from blue to green and blue stops; then only green', async () => {
    await h.client.rpc(AliasContracts.create, { name: 'shop', instanceId: blue.id, primary: true }, admin);
    await waitFor('the router to serve shop from blue', () => get('shop'), (r) => r.status === 200 && r.body === blue.id);
    expect((await h.client.rpc(SchedulerContracts.get, { id: blue.id }, alice)).url).toMatch(/^http:\/\/shop\.apps\.localhost(:\d+)?$/);

    // a websocket through the alias, opened on blue
    const ws = new WebSocket(`ws://127.0.0.1:${router.port}/ws`, { headers: { host: host('shop'), authorization: `Bearer ${TOKEN}` } });
    await new Promise((resolve, reject) => {
      ws.once('open', resolve);
      ws.once('error', reject);
      ws.once('unexpected-response', (_req, res) => reject(new Error(`websocket refused: ${res.statusCode}`)));
    });
    const wsClosed = new Promise<void>((r) => ws.once('close', () => r()));
    const echo = async (text: string) => {
      const back = new Promise<string>((r) => ws.once('message', (m) => r(m.toString())));
      ws.send(text);
      expect(await back).toBe(text);
    };

    // the load: CLIENTS loops, each sending one request after the other until told to stop
    const seen = { blue: 0, green: 0 };
    const failures: string[] = [];
    let stop = false;
    const client = async () => {
      for (let n = 0; n < MAX_PER_CLIENT && !stop; n++) {
        try {
          const r = await get(process.env.LOAD_HOST === 'id' ? blue.id : 'shop', `/?n=${n}`);
          if (r.status === 200 && r.body === blue.id) seen.blue++;
          else if (r.status === 200 && r.body === green.id) seen.green++;
          else failures.push(`${r.status} ${r.body.slice(0, 200)}`);
        } catch (e) {
          failures.push(String(e));
        }
      }
    };
    const clients = Array.from({ length: CLIENTS }, client);
    const progress = async (what: string, ok: () => boolean) => waitFor(`${what} (so far ${JSON.stringify(seen)}, ${failures.length} failed)`, async () => ok(), (v) => v || stop, 30_000, 10);

    await progress('requests served by blue', () => seen.blue >= 100);
    await echo('before the move');
    const moved = await h.client.rpc(AliasContracts.assign, { name: 'shop', instanceId: green.id }, admin);
    expect(moved).toMatchObject({ instanceId: green.id, primary: true });
    await progress('requests served by green', () => seen.green >= 100);

    // the websocket opened before the move is still open, on blue
    await echo('after the move');
    stop = true;
    await Promise.all(clients);
    // failures by kind (status and body, or the error), with how many
    const kinds = failures.reduce<Record<string, number>>((k, f) => ({ ...k, [f]: (k[f] ?? 0) + 1 }), {});
    expect(kinds).toEqual({});
    expect(seen.blue).toBeGreaterThanOrEqual(100);
    expect(seen.green).toBeGreaterThanOrEqual(100);
    // blue/green: the old one stops
    await h.client.rpc(SchedulerContracts.terminate, { id: blue.id }, alice);
    await wsClosed; // the router closes what was open to an instance that went away
    for (let i = 0; i < 20; i++) expect(await get('shop', `/after?i=${i}`)).toMatchObject({ status: 200, body: green.id });
    // green's id host sends browsers to its alias
    expect(await get(green.id, '/x?y=1')).toMatchObject({ status: 302, location: `http://shop.apps.localhost:${router.port}/x?y=1` });
    expect((await h.client.rpc(SchedulerContracts.get, { id: green.id }, alice)).primaryAlias).toBe('shop');
  });
});
