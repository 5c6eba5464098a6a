/* The one driver suite: the same specs against every driver (not part of the build). */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { SchedulerContracts as C, signInternalToken, UserSecretContracts, type Caller, type WharfError } from '@wharf/contracts';
import { buildEnvProbeBundle } from '@wharf/testing';
import { buildExamples, type ExampleName } from '../../../../examples/build';
import { admin, alice, author, bob, ensureBuilt, httpGet, SECRET, startHarness, waitFor, type Harness, type Replica } from './harness';

const rpcError = (p: Promise<unknown>) => p.then(() => null, (e: unknown) => e as WharfError);

/**
 * What every driver must do, seen from the scheduler's NATS API and the instances' own HTTP:
 * create, limits, suspend/resume, upgrade, terminate, secrets, logs, failures, and reconcile after
 * a scheduler killed with -9. `traces(id)` says whether anything of an instance is left where the
 * driver keeps it (process: its folder and processes; Kubernetes: objects labelled with it).
 */
export function driverSuite(driver: 'process' | 'kubernetes', traces: (h: Harness, id: string) => Promise<unknown[]>): void {
  jest.setTimeout(90_000);

  let h: Harness;
  let replica: Replica;
  let zipDir: string;
  let zips: Record<ExampleName, string>;

  beforeAll(async () => {
    ensureBuilt();
    zipDir = mkdtempSync(path.join(os.tmpdir(), 'wharf-suite-'));
    zips = await buildExamples(zipDir);
    h = await startHarness({ driver, external: true });
    const base = (await h.addApp('hello-1', zips.hello)).runtime;
    const withVolume = { runtime: { ...base, volumeMount: '/data', volumeSize: '1Gi' } };
    await h.addApp('hello-1', zips.hello, { overrides: withVolume });
    await h.addApp('hello-2', zips.hello, { overrides: { ...withVolume, version: '1.1.0' } });
    await h.addApp('crash-1', zips.crash);
    const probeZip = path.join(zipDir, 'probe.zip');
    writeFileSync(probeZip, await buildEnvProbeBundle());
    await h.addApp('secret-1', probeZip, {
      overrides: { env: [{ name: 'GREETING', value: 'hi' }, { name: 'API_TOKEN', secret: 'suite-secrets', secretKey: 'token' }] },
    });
    // ~/suite-own: the user secret "suite-own" of whoever runs the instance
    await h.addApp('usecret-1', probeZip, { overrides: { name: 'user-secret-probe', env: [{ name: 'OWN_TOKEN', secret: '~/suite-own', secretKey: 'token' }] } });
    replica = await h.startReplica({ WHARF_SCHEDULER_MAX_INSTANCES_FULL_ACCESS: '2' });
  }, 120_000);

  afterAll(async () => {
    await h?.close();
    if (zipDir) rmSync(zipDir, { recursive: true, force: true });
  });

  const create = (appVersionId: string, c: Caller = alice) => h.client.rpc(C.create, { appVersionId }, c);
  const body = async (id: string, p = '/') => {
    const { address } = await h.routed(id);
    return httpGet(`http://${address}${p}`);
  };

  it(`${driver}: runs an app that serves HTTP, with its logs read and followed`, async () => {
    const inst = await create('hello-1');
    const running = await h.untilStatus(inst.id, ['RUNNING'], 60_000);
    expect(running.address).toMatch(/^[\d.]+:\d+$/);
    const first = await waitFor('HTTP 200', () => body(inst.id), (r) => r.status === 200, 15_000);
    expect(first.body).toContain('Hello from Wharf');
    const logs = await waitFor('the request in the log', () => h.client.rpc(C.logs, { id: inst.id, tail: 50 }, alice), (l) => l.lines.join('\n').includes('"GET / HTTP/1.1" 200'));
    expect(logs.lines.join('\n')).toContain('hello: listening on port');
    const token = signInternalToken(SECRET, alice, `logs:${inst.id}`);
    const streamed = await new Promise<string>((resolve, reject) => {
      let text = '';
      const req = http.get(`http://127.0.0.1:${replica.port}${logs.followPath}?follow=1&tail=1`, { headers: { 'x-wharf-internal-token': token } }, (res) => {
        res.on('data', (d: Buffer) => {
          text += d.toString();
          if (text.includes('GET /followed')) {
            req.destroy();
            resolve(text);
          }
        });
      });
      req.on('error', (e) => (text.includes('GET /followed') ? undefined : reject(e)));
      setTimeout(() => void body(inst.id, '/followed'), 700);
      setTimeout(() => reject(new Error(`no followed line in: ${text}`)), 10_000);
    });
    expect(streamed).toContain('GET /followed');
    await h.client.rpc(C.terminate, { id: inst.id }, alice);
  });

  it(`${driver}: keeps the volume across suspend, resume and upgrade; terminate leaves nothing`, async () => {
    const inst = await create('hello-1');
    await h.untilStatus(inst.id, ['RUNNING'], 60_000);
    expect(JSON.parse((await waitFor('HTTP 200', () => body(inst.id, '/api'), (r) => r.status === 200)).body)).toMatchObject({ visits: 1 });
    expect(await h.client.rpc(C.suspend, { id: inst.id }, alice)).toMatchObject({ status: 'SUSPENDED' });
    expect((await h.routed(inst.id)).address).toBeNull();
    await h.client.rpc(C.resume, { id: inst.id }, alice);
    await h.untilStatus(inst.id, ['RUNNING'], 60_000);
    expect(JSON.parse((await waitFor('HTTP 200', () => body(inst.id, '/api'), (r) => r.status === 200)).body)).toMatchObject({ visits: 2 });
    const upgraded = await h.client.rpc(C.upgrade, { id: inst.id, appVersionId: 'hello-2' }, alice);
    expect(upgraded).toMatchObject({ appVersion: '1.1.0', status: 'PROVISIONING' });
    await h.untilStatus(inst.id, ['RUNNING'], 60_000);
    expect(JSON.parse((await waitFor('HTTP 200', () => body(inst.id, '/api'), (r) => r.status === 200)).body)).toMatchObject({ visits: 3 });
    expect((await traces(h, inst.id)).length).toBeGreaterThan(0);
    expect(await h.client.rpc(C.terminate, { id: inst.id }, alice)).toMatchObject({ status: 'TERMINATED' });
    await waitFor('nothing left', () => traces(h, inst.id), (t) => t.length === 0, 15_000);
    expect((await rpcError(h.client.rpc(C.get, { id: inst.id }, alice)))?.code).toBe('NOT_FOUND');
  });

  it(`${driver}: holds each user to their limit, and frees the slot of a terminated instance`, async () => {
    const a = await create('hello-1', bob);
    const b = await create('hello-1', bob);
    const refused = await rpcError(create('hello-1', bob));
    expect(refused).toMatchObject({ code: 'LIMIT_EXCEEDED', message: expect.stringMatching(/already have 2 running instances/) });
    await h.client.rpc(C.terminate, { id: a.id }, bob);
    const c = await create('hello-1', bob);
    for (const id of [b.id, c.id]) await h.client.rpc(C.terminate, { id }, bob);
  });

  it(`${driver}: gives the app its granted secrets (and refuses a launch when one is missing)`, async () => {
    const missing = await rpcError(create('secret-1'));
    expect(missing).toMatchObject({ code: 'INVALID', message: expect.stringMatching(/API_TOKEN names a secret/) });
    await h.client.rpc(C.secretPut, { name: 'suite-secrets', data: { token: 's3cr3t-value' }, grants: { apps: [], owners: [author.sub] } }, admin);
    const inst = await create('secret-1');
    await h.untilStatus(inst.id, ['RUNNING'], 60_000);
    const seen = JSON.parse((await waitFor('HTTP 200', () => body(inst.id), (r) => r.status === 200)).body) as { env: Record<string, string> };
    expect(seen.env).toMatchObject({ API_TOKEN: 's3cr3t-value', GREETING: 'hi', WHARF_INSTANCE_ID: inst.id });
    expect(Object.keys(seen.env).filter((k) => /^WHARF_(BUNDLE|STATUS)_TOKEN$|^WHARF_APP_SECRET__/.test(k))).toEqual([]);
    await h.client.rpc(C.terminate, { id: inst.id }, alice);
    await h.client.rpc(C.secretDelete, { name: 'suite-secrets' }, admin);
  });

  it(`${driver}: gives the app the user secret of whoever runs it (~/<name>), and keeps it while the instance lives`, async () => {
    expect(await rpcError(create('usecret-1'))).toMatchObject({ code: 'INVALID', message: expect.stringMatching(/OWN_TOKEN names a secret/) });
    await h.client.rpc(UserSecretContracts.put, { name: 'suite-own', data: { token: 'alice-own-value' } }, alice);
    const inst = await create('usecret-1');
    await h.untilStatus(inst.id, ['RUNNING'], 60_000);
    const seen = JSON.parse((await waitFor('HTTP 200', () => body(inst.id), (r) => r.status === 200)).body) as { env: Record<string, string> };
    expect(seen.env.OWN_TOKEN).toBe('alice-own-value');
    expect(await rpcError(h.client.rpc(UserSecretContracts.delete, { name: 'suite-own' }, alice))).toMatchObject({ code: 'CONFLICT', details: { instances: [inst.id] } });
    await h.client.rpc(C.terminate, { id: inst.id }, alice);
    await h.client.rpc(UserSecretContracts.delete, { name: 'suite-own' }, alice);
  });

  it(`${driver}: reports a crashing app as FAILED with its last log lines, and frees the slot`, async () => {
    const inst = await create('crash-1', bob);
    const failed = await h.untilStatus(inst.id, ['FAILED'], 60_000);
    expect(failed.statusReason).toMatch(/crash/i);
    const again = [await create('hello-1', bob), await create('hello-1', bob)];
    for (const i of [inst, ...again]) await h.client.rpc(C.terminate, { id: i.id }, bob);
  });

  it(`${driver}: a scheduler killed with -9 loses nothing: the next one adopts the running instance`, async () => {
    const child = await h.startChild();
    const inst = await create('hello-1');
    const running = await h.untilStatus(inst.id, ['RUNNING'], 60_000);
    await child.kill9();
    await replica.close();
    replica = await h.startReplica({ WHARF_SCHEDULER_MAX_INSTANCES_FULL_ACCESS: '2' });
    const adopted = await h.untilStatus(inst.id, ['RUNNING'], 30_000);
    expect(adopted.address).toBe(running.address);
    expect((await waitFor('HTTP 200', () => body(inst.id), (r) => r.status === 200)).status).toBe(200);
    await h.client.rpc(C.terminate, { id: inst.id }, alice);
    await waitFor('nothing left', () => traces(h, inst.id), (t) => t.length === 0, 15_000);
  });
}
