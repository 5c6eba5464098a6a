import { SchedulerContracts as C, WharfError, type EnvSpec } from '@wharf/contracts';
import { buildBundle } from '@wharf/testing';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { admin, alice, author, startHarness, type Harness } from '../test-support/harness';

jest.setTimeout(60_000);

/** Secrets are granted to app names or app owners; anything else fails with one message that tells nothing about them. */
describe('secret grants (real NATS, scheduler replica)', () => {
  let h: Harness;
  let dir: string;
  const rpcError = (p: Promise<unknown>) => p.then(() => null, (e: unknown) => e as WharfError);
  const uses = (secret: string, secretKey: string): EnvSpec[] => [{ name: 'GREETING', value: 'hi' }, { name: 'API_TOKEN', secret, secretKey }];

  beforeAll(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'wharf-grants-'));
    const zip = path.join(dir, 'hello.zip');
    writeFileSync(zip, await buildBundle());
    h = await startHarness();
    await h.addApp('granted-1', zip, { overrides: { name: 'granted-app', env: uses('db', 'password') } });
    await h.addApp('granted-2', zip, { overrides: { name: 'granted-app', version: '2.0.0', env: uses('other', 'password') } });
    // published under "granted-app" by another user before names had owners
    await h.addApp('squat-1', zip, { overrides: { name: 'granted-app', version: '9.0.0', byNameOwner: false, env: uses('db', 'password') } });
    await h.addApp('nosy-real', zip, { overrides: { name: 'nosy', env: uses('db', 'password') } });
    await h.addApp('nosy-key', zip, { overrides: { name: 'nosy', version: '1.0.1', env: uses('db', 'no-such-key') } });
    await h.addApp('nosy-none', zip, { overrides: { name: 'nosy', version: '1.0.2', env: uses('no-such-secret', 'password') } });
    await h.startReplica({ WHARF_SCHEDULER_PROCESS_STANDBY_LAUNCHERS: '0' });
  }, 60_000);

  afterAll(async () => {
    await h?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('keeps grants with the secret: set by admins only, listed, kept when a put leaves them out', async () => {
    expect((await rpcError(h.client.rpc(C.secretPut, { name: 'db', data: { password: 'x' }, grants: { apps: ['nosy'], owners: [] } }, alice)))?.code).toBe('FORBIDDEN');
    expect((await rpcError(h.client.rpc(C.secretPut, { name: 'db', data: { password: 'x' }, grants: { apps: ['Not A Name'] } } as never, admin)))?.code).toBe('INVALID');
    const put = await h.client.rpc(C.secretPut, { name: 'db', data: { password: 'pw-value' }, grants: { apps: ['granted-app'], owners: [] } }, admin);
    expect(put).toEqual({ name: 'db', keys: ['password'], grants: { apps: ['granted-app'], owners: [] }, updatedAt: expect.any(String) });
    await h.client.rpc(C.secretPut, { name: 'db', data: { password: 'pw-value' } }, admin); // a new value, same grants
    expect((await h.client.rpc(C.secretList, {}, admin)).items).toEqual([put && { ...put, updatedAt: expect.any(String) }]);
  });

  it('refuses an app that names a secret it was not granted with the same message as a missing secret or key', async () => {
    const refusals = await Promise.all(['nosy-real', 'nosy-key', 'nosy-none'].map((id) => rpcError(h.client.rpc(C.create, { appVersionId: id }, alice))));
    for (const e of refusals) {
      expect(e?.code).toBe('INVALID');
      expect(e?.message).toMatch(/^the app cannot start: its \[\[Env\]\] API_TOKEN names a secret that it was not granted or that is not set; ask an admin/);
      expect(e?.message).not.toMatch(/\bdb\b|password|no-such/);
      expect(JSON.stringify(e?.details)).not.toMatch(/\bdb\b|password|no-such/);
    }
    expect(new Set(refusals.map((e) => `${e?.message}|${JSON.stringify(e?.details)}`)).size).toBe(1);
    expect((await h.client.rpc(C.list, { scope: 'all' }, admin)).items).toEqual([]); // nothing was created
  });

  it('runs an app whose name or owner is granted the secret', async () => {
    const byName = await h.client.rpc(C.create, { appVersionId: 'granted-1' }, alice);
    expect(byName.appName).toBe('granted-app');
    await h.client.rpc(C.terminate, { id: byName.id }, alice);
    // a squatter's old version under the granted name is not covered by the name's grant
    expect((await rpcError(h.client.rpc(C.create, { appVersionId: 'squat-1' }, alice)))?.message).toMatch(/^the app cannot start: its \[\[Env\]\] API_TOKEN names a secret/);
    await h.client.rpc(C.secretPut, { name: 'db', data: { password: 'pw-value' }, grants: { apps: ['granted-app'], owners: [author.sub] } }, admin);
    const byOwner = await h.client.rpc(C.create, { appVersionId: 'nosy-real' }, alice); // the owner of nosy is granted now
    await h.client.rpc(C.terminate, { id: byOwner.id }, alice);
    // the owner grant covers the secret, not keys it does not have
    expect((await rpcError(h.client.rpc(C.create, { appVersionId: 'nosy-key' }, alice)))?.message).toMatch(/^the app cannot start/);
  });

  it('checks the grants again on resume and upgrade', async () => {
    await h.client.rpc(C.secretPut, { name: 'db', data: { password: 'pw-value' }, grants: { apps: ['granted-app'], owners: [] } }, admin);
    const i = await h.client.rpc(C.create, { appVersionId: 'granted-1' }, alice);
    await h.client.rpc(C.suspend, { id: i.id }, alice);
    await h.client.rpc(C.secretPut, { name: 'db', data: { password: 'pw-value' }, grants: { apps: [], owners: [] } }, admin);
    const resumed = await rpcError(h.client.rpc(C.resume, { id: i.id }, alice));
    expect(resumed?.message).toMatch(/^the app cannot start: its \[\[Env\]\] API_TOKEN names a secret/);
    await h.client.rpc(C.secretPut, { name: 'db', data: { password: 'pw-value' }, grants: { apps: ['granted-app'], owners: [] } }, admin);
    const upgraded = await rpcError(h.client.rpc(C.upgrade, { id: i.id, appVersionId: 'granted-2' }, alice)); // names "other", not granted
    expect(upgraded?.message).toMatch(/^the app cannot start/);
    expect((await h.client.rpc(C.get, { id: i.id }, alice)).appVersionId).toBe('granted-1');
    await h.client.rpc(C.terminate, { id: i.id }, alice);
  });

  it('answers a damaged secrets file without naming where it is', async () => {
    const file = path.join(h.dataDir, 'secrets.json');
    const good = readFileSync(file, 'utf8');
    writeFileSync(file, JSON.stringify({ secrets: { db: { data: 5 } } }));
    try {
      const e = await rpcError(h.client.rpc(C.secretList, {}, admin));
      expect(e?.message).toBe('the secrets store of this scheduler is damaged; an operator must repair it (see the scheduler log)');
      expect(e?.message).not.toContain(h.dataDir);
    } finally {
      writeFileSync(file, good);
    }
  });
});
