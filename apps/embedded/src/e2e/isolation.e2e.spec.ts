import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { buildBundle, startWharf, type RunningSystem } from '@wharf/testing';

jest.setTimeout(240_000);

const ROOT = path.resolve(__dirname, '../../../..');
const EXAMPLES = path.join(ROOT, 'examples/dist');

/** What the spec knows of the running platform, to aim the attacks. */
interface Targets {
  dataDir: string;
  /** alice's instance (the victim), and its launcher's loopback port (never shown to users; read here from its folder). */
  victim: string;
  victimPort: number;
  /** bob's attacker instance, and its own launcher's port. */
  own: string;
  ownPort: number;
  gatewayPort: number;
  gatewayPid: number;
  natsPort: number;
  postgresPort: number;
}

/** A probe the attacker app runs (examples/attacker/attacker/probes.py): `ok` means the attempt worked. */
type Probe = Record<string, string | number | Record<string, string>> & { kind: string };

/**
 * Every attack an app may try from inside its instance, one line each. Each runs inside bob's
 * attacker instance (must fail), and, as a control that the probe can tell, on the host outside any
 * sandbox, where it works — unless `host` says another layer refuses it there too.
 */
const ATTACKS: { what: string; probe: (t: Targets) => Probe; host?: 'refused' }[] = [
  { what: 'read the internal secret', probe: (t) => ({ kind: 'read', path: `${t.dataDir}/internal-secret` }) },
  { what: "read the scheduler's secret store", probe: (t) => ({ kind: 'read', path: `${t.dataDir}/secrets.json` }) },
  { what: 'read the stored bundles', probe: (t) => ({ kind: 'list', path: `${t.dataDir}/blobs` }) },
  { what: "list another instance's folder", probe: (t) => ({ kind: 'list', path: `${t.dataDir}/instances/${t.victim}` }) },
  { what: "read another instance's volume", probe: (t) => ({ kind: 'list', path: `${t.dataDir}/instances/${t.victim}/data` }) },
  { what: 'write into the shared bundle cache', probe: (t) => ({ kind: 'write', path: `${t.dataDir}/bundles/pwned` }) },
  { what: 'write into the shared venv cache', probe: (t) => ({ kind: 'write', path: `${t.dataDir}/venvs/pwned` }) },
  { what: "read a service's environment", probe: (t) => ({ kind: 'read', path: `/proc/${t.gatewayPid}/environ` }) },
  { what: 'signal a service', probe: (t) => ({ kind: 'signal', pid: t.gatewayPid }) },
  { what: "read the host's password hashes", probe: () => ({ kind: 'read', path: '/etc/shadow' }) },
  { what: 'connect to NATS', probe: (t) => ({ kind: 'connect', host: '127.0.0.1', port: t.natsPort }) },
  { what: 'call a NATS subject as anyone', probe: (t) => ({ kind: 'nats', host: '127.0.0.1', port: t.natsPort, op: 'pub', subject: 'scheduler.instance.terminate.v1' }), host: 'refused' },
  { what: 'answer token checks on NATS', probe: (t) => ({ kind: 'nats', host: '127.0.0.1', port: t.natsPort, op: 'sub', subject: 'gateway.token.verify.v1' }), host: 'refused' },
  { what: 'sniff every NATS subject', probe: (t) => ({ kind: 'nats', host: '127.0.0.1', port: t.natsPort, op: 'sub', subject: '>' }), host: 'refused' },
  { what: 'connect to PostgreSQL', probe: (t) => ({ kind: 'connect', host: '127.0.0.1', port: t.postgresPort }) },
  { what: "call the gateway's API from inside", probe: (t) => ({ kind: 'http', url: `http://127.0.0.1:${t.gatewayPort}/healthz` }) },
  {
    what: 'reach another instance without the router, as its owner',
    probe: (t) => ({ kind: 'http', url: `http://127.0.0.1:${t.victimPort}/`, headers: { 'X-Wharf-User': 'alice' } }),
  },
  { what: 'reach itself without the router', probe: (t) => ({ kind: 'http', url: `http://127.0.0.1:${t.ownPort}/` }) },
];

describe('isolation: an app cannot act as the platform, read what is not its own, or reach past the router', () => {
  let sys: RunningSystem;
  let t: Targets;
  const tokens: Record<string, string> = {};

  const rest = async (token: string, method: string, p: string, body?: unknown, type = 'application/json') => {
    const r = await fetch(`${sys.gateway}/api/v1${p}`, {
      method,
      headers: { authorization: `Bearer ${token}`, ...(body !== undefined ? { 'content-type': type } : {}) },
      body: body === undefined ? undefined : Buffer.isBuffer(body) ? new Uint8Array(body) : JSON.stringify(body),
    });
    const text = await r.text();
    return { status: r.status, body: (text ? JSON.parse(text) : null) as Record<string, unknown> & { error?: { message: string } } };
  };
  const importBundle = (token: string, zip: Buffer) => rest(token, 'POST', '/bundles', zip, 'application/zip');
  const runningInstance = async (token: string, appId: string) => {
    const run = await rest(token, 'POST', `/apps/${encodeURIComponent(appId)}/instances`, { visibility: 'PRIVATE' });
    expect(run.status).toBe(201);
    const id = run.body.id as string;
    for (let i = 0; i < 600; i++) {
      const { body } = await rest(token, 'GET', `/instances/${id}`);
      if (body.status === 'RUNNING') return id;
      if (body.status === 'FAILED') throw new Error(`instance ${id} failed: ${String(body.statusReason)}`);
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`instance ${id} did not run`);
  };
  /** Through the router as `token` (Node cannot resolve *.localhost: 127.0.0.1 with the Host header). */
  const viaRouter = (id: string, token: string, method: string, body?: unknown, headers: Record<string, string> = {}) =>
    new Promise<{ status: number; body: string }>((resolve, reject) => {
      const data = body === undefined ? undefined : JSON.stringify(body);
      const req = http.request(
        {
          host: '127.0.0.1',
          port: sys.routerPort,
          path: method === 'POST' ? '/probe' : '/',
          method,
          agent: false,
          headers: { host: `${id}.apps.localhost:${sys.routerPort}`, authorization: `Bearer ${token}`, ...(data ? { 'content-type': 'application/json' } : {}), ...headers },
        },
        (res) => {
          let text = '';
          res.on('data', (d: Buffer) => (text += d.toString()));
          res.on('end', () => resolve({ status: res.statusCode!, body: text }));
        },
      );
      req.on('error', reject);
      req.end(data);
    });
  const launcherPort = (id: string) => (JSON.parse(readFileSync(path.join(sys.dataDir, 'instances', id, 'process.json'), 'utf8')) as { port: number }).port;

  beforeAll(async () => {
    sys = await startWharf();
    for (const user of ['alice', 'bob']) {
      const r = await rest(sys.adminToken, 'POST', '/tokens', { user, roles: ['full-access'] });
      tokens[user] = r.body.token as string;
    }
    // A secret of the admin's (so secrets.json exists), granted to nobody.
    expect((await rest(sys.adminToken, 'PUT', '/secrets/platform-db', { data: { password: 'hunter2' } })).status).toBe(200);
    const hello = await importBundle(tokens.alice!, readFileSync(path.join(EXAMPLES, 'hello.zip')));
    expect(hello.status).toBe(201);
    const attacker = await importBundle(tokens.bob!, readFileSync(path.join(EXAMPLES, 'attacker.zip')));
    expect(attacker.status).toBe(201);
    const [victim, own] = await Promise.all([runningInstance(tokens.alice!, hello.body.id as string), runningInstance(tokens.bob!, attacker.body.id as string)]);
    const nats = sys.output.map((l) => /^NATS: nats:\/\/[^:]+:(\d+)/.exec(l)).find(Boolean);
    t = {
      dataDir: sys.dataDir,
      victim,
      victimPort: launcherPort(victim),
      own,
      ownPort: launcherPort(own),
      gatewayPort: Number(new URL(sys.gateway).port),
      gatewayPid: sys.pids().gateway!,
      natsPort: Number(nats![1]),
      postgresPort: Number(new URL(sys.databaseUrl).port || 5432),
    };
  });

  afterAll(async () => {
    if (sys?.proc.exitCode === null) await sys.stop();
  });

  it('runs the attacker as its own unprivileged user', async () => {
    const who = await viaRouter(t.own, tokens.bob!, 'GET');
    expect(who.status).toBe(200);
    const seen = JSON.parse(who.body) as { uid: number };
    if (process.getuid?.() === 0) expect(seen.uid).toBeGreaterThanOrEqual(200_000);
    expect(seen.uid).not.toBe(0);
  });

  it.each(ATTACKS.map((a) => [a.what, a] as const))('cannot %s', async (_what, attack) => {
    const probe = attack.probe(t);
    const inside = await viaRouter(t.own, tokens.bob!, 'POST', probe);
    expect(inside.status).toBe(200);
    expect({ probe, ...(JSON.parse(inside.body) as object) }).toMatchObject({ ok: false });
    // Control: the same probe outside any sandbox (as Wharf's own user) tells access when there is some.
    const host = spawnSync('python3', ['-m', 'attacker.probes', JSON.stringify(probe)], { cwd: path.join(ROOT, 'examples/attacker'), encoding: 'utf8' });
    expect(host.status).toBe(0);
    expect({ probe, ...(JSON.parse(host.stdout) as object) }).toMatchObject({ ok: attack.host !== 'refused' });
  });

  it("keeps the data dir closed to every other user, apps' uids included (defense in depth under the sandbox)", () => {
    expect(statSync(t.dataDir).mode & 0o066).toBe(0);
    const open = readdirSync(t.dataDir)
      .map((name) => ({ name, mode: statSync(path.join(t.dataDir, name)).mode }))
      .filter((e) => (e.mode & 0o007) !== 0);
    expect(open).toEqual([]);
  });

  it('cannot pass for someone else through the router: forged identity headers never reach the app', async () => {
    const forged = { 'X-Wharf-User': 'alice', 'X_Wharf_User': 'alice', 'x-WHARF-identity': 'forged' };
    const r = await viaRouter(t.own, tokens.bob!, 'GET', undefined, forged);
    const headers = (JSON.parse(r.body) as { headers: Record<string, string> }).headers;
    const wharf = Object.entries(headers).filter(([k]) => /^x[-_]wharf[-_]/i.test(k));
    expect(wharf.map(([, v]) => v)).not.toContain('alice');
    expect(wharf.map(([, v]) => v)).not.toContain('forged');
  });

  it("cannot open another user's private instance through the router", async () => {
    expect((await viaRouter(t.victim, tokens.bob!, 'GET')).status).toBe(403);
  });

  it('cannot read a secret it was not granted, nor learn whether it exists', async () => {
    const bundle = (name: string, secret: string) =>
      buildBundle({ app: { name, version: '1.0.0', module: 'probe.app', env: [{ name: 'STOLEN', secret, secretKey: 'password' }] }, files: { 'probe/__init__.py': '', 'probe/app.py': 'import time\ntime.sleep(60)\n' } });
    const outcomes: string[] = [];
    for (const [name, secret] of [['steal-existing', 'platform-db'], ['steal-missing', 'no-such-secret']] as const) {
      const imported = await importBundle(tokens.bob!, await bundle(name, secret));
      expect(imported.status).toBe(201);
      const run = await rest(tokens.bob!, 'POST', `/apps/${encodeURIComponent(imported.body.id as string)}/instances`, { visibility: 'PRIVATE' });
      expect(run.status).toBeGreaterThanOrEqual(400);
      outcomes.push(`${run.status} ${run.body.error!.message.replaceAll(secret, '<secret>').replaceAll(name, '<app>')}`);
      expect(run.body.error!.message).not.toContain('hunter2');
    }
    expect(outcomes[0]).toBe(outcomes[1]);
  });

  it("cannot take over another user's app name", async () => {
    const takeover = await buildBundle({ app: { name: 'hello', version: '99.0.0', module: 'hello.app' }, files: { 'hello/__init__.py': '', 'hello/app.py': 'print("pwned")\n' } });
    const r = await importBundle(tokens.bob!, takeover);
    expect(r.status).toBe(403);
    const latest = await rest(tokens.alice!, 'GET', '/apps/hello');
    expect(latest.body.version).toBe('1.0.0');
  });
});
