import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { SchedulerContracts as C } from '@wharf/contracts';
import { freePort } from '@wharf/testing';
import { buildExample } from '../../../examples/build';
import { alice, ensureBuilt, httpGet, instancePids, launcherOf, launcherPids, startHarness, waitFor, type Harness } from './test-support/harness';

jest.setTimeout(90_000);

let h: Harness;
let zipDir: string;

beforeAll(async () => {
  ensureBuilt();
  zipDir = mkdtempSync(path.join(os.tmpdir(), 'wharf-examples-'));
  const zip = await buildExample('hello', zipDir);
  h = await startHarness();
  await h.addApp('slow-1', zip, { delayMs: 2500 });
  await h.addApp('hello-1', zip);
}, 60_000);

afterAll(async () => {
  await h?.close();
  rmSync(zipDir, { recursive: true, force: true });
});

it('survives kill -9 of the scheduler mid-launch: the launcher runs on, is adopted, nothing is lost, orphaned or duplicated', async () => {
  const port = await freePort();
  const s1 = await h.startChild({}, port);
  const inst = await h.client.rpc(C.create, { appVersionId: 'slow-1' }, alice);
  await h.untilStatus(inst.id, ['INSTALLING']); // downloading the (slow) bundle
  const [launcher] = launcherOf(inst.id);
  expect(launcher).toBeDefined();
  await s1.kill9();
  expect(launcherOf(inst.id)).toEqual([launcher]); // its own process group: not killed with the scheduler

  const s2 = await h.startChild({}, port); // same internal URL: the launcher's reports reach it again
  const running = await h.untilStatus(inst.id, ['RUNNING']);
  expect((await httpGet(`http://${running.address}/`)).status).toBe(200);
  expect(launcherOf(inst.id)).toEqual([launcher]); // adopted, not restarted
  const list = await h.client.rpc(C.list, {}, alice);
  expect(list.items.map((i) => i.id)).toEqual([inst.id]);

  // A clean stop of the scheduler leaves instances running, too.
  await s2.stop();
  expect((await httpGet(`http://${running.address}/`)).status).toBe(200);

  const s3 = await h.startChild({}, port);
  await h.client.rpc(C.terminate, { id: inst.id }, alice);
  expect(instancePids(inst.id)).toEqual([]);
  expect(existsSync(path.join(h.dataDir, 'instances', inst.id))).toBe(false);
  await s3.stop();
});

it('on restart, marks launchers that died meanwhile FAILED and starts launches that never started', async () => {
  const port = await freePort();
  const s1 = await h.startChild({}, port);
  const dead = await h.client.rpc(C.create, { appVersionId: 'hello-1' }, alice);
  const unstarted = await h.client.rpc(C.create, { appVersionId: 'hello-1' }, alice);
  await h.untilStatus(dead.id, ['RUNNING']);
  await h.untilStatus(unstarted.id, ['RUNNING']);
  await s1.kill9();

  // While no scheduler runs: one launcher is killed -9; the other instance is made to look as if the
  // scheduler had died after storing its record but before starting its launcher.
  process.kill(-launcherOf(dead.id)[0]!, 'SIGKILL');
  process.kill(-launcherOf(unstarted.id)[0]!, 'SIGKILL');
  const dir = path.join(h.dataDir, 'instances', unstarted.id);
  const rec = JSON.parse(readFileSync(path.join(dir, 'instance.json'), 'utf8')) as Record<string, unknown>;
  writeFileSync(path.join(dir, 'instance.json'), JSON.stringify({ ...rec, status: 'QUEUED', address: null }));
  rmSync(path.join(dir, 'process.json'));
  await waitFor('launchers gone', async () => [...launcherOf(dead.id), ...launcherOf(unstarted.id)], (p) => p.length === 0, 5000);

  const s2 = await h.startChild({}, port);
  const failed = await h.untilStatus(dead.id, ['FAILED']);
  expect(failed.statusReason).toMatch(/the launcher process disappeared/);
  expect(failed.statusReason).toContain('hello: listening on port');
  const started = await h.untilStatus(unstarted.id, ['RUNNING']);
  expect((await httpGet(`http://${started.address}/`)).status).toBe(200);
  expect(launcherOf(unstarted.id)).toHaveLength(1);

  for (const id of [dead.id, unstarted.id]) await h.client.rpc(C.terminate, { id }, alice);
  await s2.stop();
  expect(launcherPids(h.dataDir)).toEqual([]);
});
