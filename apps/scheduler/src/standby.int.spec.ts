import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { SchedulerContracts as C } from '@wharf/contracts';
import { childPids, standbyPids } from '@wharf/testing';
import { buildExample } from '../../../examples/build';
import { processAlive } from '@wharf/host';
import { alice, ensureBuilt, httpGet, launcherOf, launcherPids, startHarness, waitFor, type Harness } from './test-support/harness';

jest.setTimeout(90_000);

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

let h: Harness;
let zipDir: string;

beforeAll(async () => {
  ensureBuilt();
  zipDir = mkdtempSync(path.join(os.tmpdir(), 'wharf-examples-'));
  h = await startHarness();
  await h.addApp('hello-1', await buildExample('hello', zipDir));
}, 60_000);

afterAll(async () => {
  await h?.close();
  rmSync(zipDir, { recursive: true, force: true });
});

it('sandboxed (the default), a launch takes a warm launcher too, but no interpreter is ever started outside the sandbox', async () => {
  const s = await h.startChild();
  const idle = await waitFor('two standbys', async () => standbyPids(h.dataDir), (p) => p.length === 2, 15_000);
  await sleep(300); // an interpreter, were one started, would be there by now
  expect(idle.flatMap(childPids)).toEqual([]);
  const inst = await h.client.rpc(C.create, { appVersionId: 'hello-1' }, alice);
  await h.untilStatus(inst.id, ['RUNNING']);
  const [launcher] = launcherOf(inst.id);
  expect(idle).toContain(launcher);
  const logs = (await h.client.rpc(C.logs, { id: inst.id, tail: 50 }, alice)).lines.join('\n');
  expect(logs).toContain('in a sandbox');
  expect(logs).not.toContain('in an interpreter started ahead of time');
  await h.client.rpc(C.terminate, { id: inst.id }, alice);
  await s.stop();
});

it('without a sandbox, keeps warm launchers with their interpreters: a launch takes one, the pool refills, kill -9 leaves none idle, a clean stop none at all', async () => {
  const NO_SANDBOX = { WHARF_SCHEDULER_PROCESS_SANDBOX: 'none' };
  const s1 = await h.startChild(NO_SANDBOX);
  const idle = await waitFor(
    'two standbys, each with its interpreter',
    async () => standbyPids(h.dataDir),
    (p) => p.length === 2 && p.every((pid) => childPids(pid).length === 1),
    15_000,
  );
  const interpreters = idle.flatMap(childPids);

  const inst = await h.client.rpc(C.create, { appVersionId: 'hello-1' }, alice);
  const running = await h.untilStatus(inst.id, ['RUNNING']);
  const [launcher] = launcherOf(inst.id);
  expect(idle).toContain(launcher); // a standby became the instance's launcher…
  expect(childPids(launcher!).filter((p) => interpreters.includes(p))).toHaveLength(1); // …and its interpreter the app
  expect((await httpGet(`http://${running.address}/`)).status).toBe(200);
  const logs = (await h.client.rpc(C.logs, { id: inst.id, tail: 50 }, alice)).lines.join('\n');
  expect(logs).toContain('in an interpreter started ahead of time');
  expect(launcherPids(h.dataDir)).toEqual([launcher]);
  // Without a sandbox the app listens on the host's loopback too: its port is claimed for the instance like the launcher's.
  const claims = () => readdirSync(path.join(h.dataDir, 'ports')).filter((n) => readFileSync(path.join(h.dataDir, 'ports', n), 'utf8') === inst.id);
  const appPort = claims().find((n) => `127.0.0.1:${n}` !== running.address);
  expect(claims()).toHaveLength(2);
  expect(logs).toContain(`hello: listening on port ${appPort}`);

  // Refilled once the launch has settled.
  const refilled = await waitFor('the pool to refill', async () => standbyPids(h.dataDir), (p) => p.length === 2 && !p.includes(launcher!), 15_000);
  const refilledInterpreters = await waitFor('their interpreters', async () => refilled.flatMap(childPids), (c) => c.length === 2, 10_000);

  // A scheduler killed with -9: idle standbys read end-of-file and exit with their interpreters; the instance runs on.
  await s1.kill9();
  await waitFor('idle standbys to exit', async () => [...refilled, ...refilledInterpreters].filter((p) => processAlive(p, null)), (p) => p.length === 0, 10_000);
  expect(launcherOf(inst.id)).toEqual([launcher]);
  expect((await httpGet(`http://${running.address}/`)).status).toBe(200);

  // The next scheduler adopts the instance and starts its own standbys; a clean stop leaves none.
  const s2 = await h.startChild(NO_SANDBOX);
  const fresh = await waitFor('new standbys', async () => standbyPids(h.dataDir), (p) => p.length === 2 && p.every((pid) => childPids(pid).length === 1), 15_000);
  const freshInterpreters = fresh.flatMap(childPids);
  await h.client.rpc(C.terminate, { id: inst.id }, alice);
  expect(claims()).toEqual([]);
  await s2.stop();
  expect(standbyPids(h.dataDir)).toEqual([]);
  await waitFor('their interpreters to exit', async () => freshInterpreters.filter((p) => processAlive(p, null)), (p) => p.length === 0, 5000);
  expect(launcherPids(h.dataDir)).toEqual([]);
});

it('sweeps cached bundles and venvs that no instance uses, keeping those of live and suspended instances', async () => {
  const s = await h.startChild({ WHARF_SCHEDULER_PROCESS_CACHE_KEEP_HOURS: '0', WHARF_SCHEDULER_PROCESS_CACHE_SWEEP_SECONDS: '1' });
  const staleVenv = path.join(h.dataDir, 'venvs', `${'a'.repeat(64)}-python-3.11`);
  mkdirSync(path.join(staleVenv, 'bin'), { recursive: true });
  writeFileSync(path.join(staleVenv, 'bin', 'python'), '');
  chmodSync(path.join(staleVenv, 'bin'), 0o555); // read-only, as built venvs are
  chmodSync(staleVenv, 0o555);
  const staleBundle = path.join(h.dataDir, 'bundles', 'b'.repeat(64));
  mkdirSync(staleBundle, { recursive: true });

  const inst = await h.client.rpc(C.create, { appVersionId: 'hello-1' }, alice);
  await h.untilStatus(inst.id, ['RUNNING']);
  const cached = readdirSync(path.join(h.dataDir, 'bundles')).filter((n) => /^[0-9a-f]{64}$/.test(n) && n !== 'b'.repeat(64));
  expect(cached).toHaveLength(1);
  const entry = path.join(h.dataDir, 'bundles', cached[0]!);
  await waitFor('the unused entries to be swept', async () => [existsSync(staleVenv), existsSync(staleBundle)], (v) => !v[0] && !v[1], 10_000);

  await h.client.rpc(C.suspend, { id: inst.id }, alice);
  await new Promise((r) => setTimeout(r, 2500)); // two sweeps
  expect(existsSync(entry)).toBe(true); // a suspended instance may resume
  await h.client.rpc(C.terminate, { id: inst.id }, alice);
  // swept: renamed to .trash-… and then removed, in another process, so wait for both
  await waitFor('the bundle of the terminated instance to be swept', async () => readdirSync(path.join(h.dataDir, 'bundles')), (names) => names.length === 0, 10_000);
  expect(existsSync(entry)).toBe(false);
  await s.stop();
});
