import http from 'node:http';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { alivePids, launcherPids, startWharf, type RunningSystem } from '@wharf/testing';
import { callWithToken, EXAMPLES } from './ui';

jest.setTimeout(180_000);

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * `pnpm start` supervises what it starts, as systemd or Kubernetes would. With three instances
 * running and traffic through the router, each service in turn is killed with SIGKILL: the others
 * go on (the router keeps serving the instances while the scheduler is away, the API answers 503
 * for what needs it, never hangs), the dead one is started again, and afterwards the same three
 * instances run, each with one launcher: nothing lost, duplicated or orphaned. A service killed
 * again and again is reported as crash-looping, and still comes back.
 */
describe('pnpm start restarts a service that dies', () => {
  let sys: RunningSystem;
  let token = '';
  const ids: string[] = [];

  beforeAll(async () => {
    sys = await startWharf({
      WHARF_EMBEDDED_RESTART_DELAY_SECONDS: '0.2',
      WHARF_EMBEDDED_RESTART_MAX_DELAY_SECONDS: '0.8',
      WHARF_EMBEDDED_CRASH_LOOP_EXITS: '3',
      WHARF_EMBEDDED_CRASH_LOOP_WINDOW_SECONDS: '120',
    });
    const minted = await callWithToken(sys, sys.adminToken, 'POST', '/tokens', { user: 'alice', name: 'alice', roles: ['full-access'] });
    token = minted.body.token as string;
    const imported = await fetch(`${sys.gateway}/api/v1/bundles`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/zip' },
      body: new Uint8Array(readFileSync(path.join(EXAMPLES, 'hello.zip'))),
    });
    expect(imported.status).toBe(201);
    for (let n = 0; n < 3; n++) ids.push((await callWithToken(sys, token, 'POST', '/apps/hello/instances', {})).body.id as string);
    await until('three instances answering through the router', async () => (await Promise.all(ids.map(through))).every((s) => s === 200), 60_000);
  });
  afterAll(async () => {
    if (sys && sys.proc.exitCode === null) await sys.stop();
  });

  /** An instance through the router (Node cannot resolve *.localhost: 127.0.0.1 with the Host header); 0 when refused. */
  const through = (id: string) =>
    new Promise<number>((resolve) => {
      http
        .get({ host: '127.0.0.1', port: sys.routerPort, path: '/', headers: { host: `${id}.apps.localhost:${sys.routerPort}`, authorization: `Bearer ${token}` }, agent: false, timeout: 5000 }, (res) => {
          res.resume();
          resolve(res.statusCode!);
        })
        .on('error', () => resolve(0))
        .on('timeout', function (this: http.ClientRequest) {
          this.destroy();
          resolve(-1);
        });
    });
  const api = async (p: string) => {
    const started = Date.now();
    try {
      const r = await fetch(`${sys.gateway}/api/v1${p}`, { headers: { authorization: `Bearer ${token}` }, signal: AbortSignal.timeout(15_000) });
      return { status: r.status, ms: Date.now() - started, body: (await r.json()) as Record<string, unknown> };
    } catch {
      return { status: 0, ms: Date.now() - started, body: {} };
    }
  };
  async function until(what: string, check: () => Promise<boolean>, ms = 30_000): Promise<void> {
    const end = Date.now() + ms;
    while (!(await check())) {
      if (Date.now() > end) throw new Error(`${what}: not within ${ms} ms; output:\n${sys.output.slice(-30).join('\n')}`);
      await sleep(100);
    }
  }
  const line = (re: RegExp) => sys.output.find((l) => re.test(l));

  it('keeps the instances served while the scheduler is away, and the restarted scheduler adopts them', async () => {
    const launchers = launcherPids(sys.dataDir).sort();
    expect(launchers).toHaveLength(3);
    const old = sys.pids().scheduler!;
    process.kill(old, 'SIGKILL');
    await until('the scheduler gone', async () => alivePids([old]).length === 0);
    // while it is away: the router serves what it knows; the API says 503 at once rather than hang
    const during = await Promise.all(ids.map(through));
    const listed = await api('/instances');
    expect(during).toEqual([200, 200, 200]);
    expect([503, 200]).toContain(listed.status); // 200 if the restart was quicker than this request
    expect(listed.ms).toBeLessThan(10_000);
    await until('the scheduler ready again', async () => !!line(/^scheduler is ready again \(restart 1,/));
    expect(line(/^scheduler exited \(SIGKILL\) after \d+(\.\d)? s; restarting it in 0\.2 s$/)).toBeDefined();
    expect(sys.pids().scheduler).not.toBe(old);
    const after = await api('/instances');
    expect(after.status).toBe(200);
    expect((after.body.items as { id: string; status: string }[]).map((i) => [i.id, i.status]).sort()).toEqual(ids.map((id) => [id, 'RUNNING']).sort());
    expect(launcherPids(sys.dataDir).sort()).toEqual(launchers); // the same processes: adopted, none started twice
    expect(await Promise.all(ids.map(through))).toEqual([200, 200, 200]);
    expect(sys.proc.exitCode).toBeNull();
  });

  it('restarts the router, the gateway, the repository and the sign-in provider, each while the others go on', async () => {
    for (const name of ['router', 'gateway', 'repository', 'dev-idp']) {
      const old = sys.pids()[name]!;
      expect([name, old]).toEqual([name, expect.any(Number)]);
      process.kill(old, 'SIGKILL');
      await until(`${name} ready again`, async () => !!line(new RegExp(`^${name} is ready again \\(restart 1,`)));
      expect([name, sys.pids()[name]]).not.toEqual([name, old]);
    }
    expect(await Promise.all(ids.map(through))).toEqual([200, 200, 200]);
    expect((await api('/apps/hello')).status).toBe(200);
    expect((await fetch(`${sys.idp}/.well-known/openid-configuration`)).status).toBe(200);
    expect(sys.proc.exitCode).toBeNull();
  });

  it('says when a service is crash-looping, keeps restarting it with a growing delay, and it comes back', async () => {
    for (let n = 0; n < 3; n++) {
      const pid = sys.pids().repository;
      if (pid) process.kill(pid, 'SIGKILL');
      await until('a new repository process', async () => !!sys.pids().repository && sys.pids().repository !== pid, 10_000);
    }
    const exits = () => sys.output.filter((l) => /^repository exited \(SIGKILL\)/.test(l));
    await until('every exit reported', async () => exits().length === 4);
    // the first exit was the test before's: no stable run in between, so the delay went on doubling
    expect(exits().map((l) => /restarting it in ([\d.]+) s/.exec(l)?.[1])).toEqual(['0.2', '0.4', '0.8', '0.8']);
    expect(sys.output.filter((l) => /^repository is crash-looping: /.test(l)).map((l) => /: (\d) exits in the last/.exec(l)?.[1])).toEqual(['3', '4']);
    await until('the repository ready again', async () => (await api('/apps/hello')).status === 200);
    expect(sys.proc.exitCode).toBeNull();
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
