import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { SchedulerContracts as C, WharfError } from '@wharf/contracts';
import { buildFileProbeBundle } from '@wharf/testing';
import { ProcessDriver } from './drivers/process/process.driver';
import { instanceRecordFixture } from './test-support/instance-record';
import { admin, alice, ensureBuilt, httpGet, ROOT, startHarness, type Harness } from './test-support/harness';

/**
 * `[[File]]` through the whole scheduler on the process driver: the manifest's entries become
 * files the app reads at their paths in its sandbox and cannot change, secret ones resolved at each
 * start with the grant checks of `[[Env]]`, and nothing of them left once the app stops.
 */

jest.setTimeout(90_000);

const CONFIG = '/etc/probe/config.ini';
const TOKEN = '/srv/probe/token';

let h: Harness;
let zipDir: string;

const rpcError = (p: Promise<unknown>) => p.then(() => null, (e: unknown) => e as WharfError);
const instanceDir = (id: string) => path.join(h.dataDir, 'instances', id);

/** What the file probe sees of `paths`. */
async function seen(id: string, paths: string[]) {
  const { address } = await h.routed(id);
  const query = paths.map((p) => `path=${encodeURIComponent(p)}`).join('&');
  return JSON.parse((await httpGet(`http://${address}/?${query}`)).body) as { uid: number; files: Record<string, unknown>[] };
}

beforeAll(async () => {
  ensureBuilt();
  zipDir = mkdtempSync(path.join(os.tmpdir(), 'wharf-files-'));
  const zip = path.join(zipDir, 'fileprobe.zip');
  writeFileSync(
    zip,
    await buildFileProbeBundle({
      files: [
        { path: CONFIG, value: '[probe]\nmode = test\n' },
        { path: TOKEN, secret: 'probe-secrets', secretKey: 'token' },
      ],
    }),
  );
  h = await startHarness();
  await h.addApp('fileprobe-1', zip);
  await h.startReplica();
}, 90_000);

afterAll(async () => {
  await h?.close();
  rmSync(zipDir, { recursive: true, force: true });
});

describe('[[File]] on the process driver (real NATS, launcher, bubblewrap)', () => {
  it('refuses to run while a secret file is not granted, with the words of [[Env]] naming the path', async () => {
    const e = await rpcError(h.client.rpc(C.create, { appVersionId: 'fileprobe-1' }, alice));
    expect(e?.code).toBe('INVALID');
    expect(e?.message).toMatch(/^the app cannot start: its \[\[File\]\] \/srv\/probe\/token names a secret that it was not granted or that is not set; ask an admin/);
    expect(readdirSync(path.join(h.dataDir, 'instances'))).toEqual([]);
  });

  it('mounts the files read-only at their paths, reads secrets at each start, and removes them when the app stops', async () => {
    await h.client.rpc(C.secretPut, { name: 'probe-secrets', data: { token: 'first-s3cr3t' }, grants: { apps: ['fileprobe'], owners: [] } }, admin);
    const inst = await h.client.rpc(C.create, { appVersionId: 'fileprobe-1' }, alice);
    await h.untilStatus(inst.id, ['RUNNING']);

    const first = await seen(inst.id, [CONFIG, TOKEN]);
    expect(first.files[0]).toMatchObject({ content: '[probe]\nmode = test\n', mode: '0o444' });
    expect(first.files[1]).toMatchObject({ content: 'first-s3cr3t', mode: '0o440', uid: 0, gid: first.uid });
    for (const f of first.files) {
      for (const op of ['write', 'chmod', 'rename', 'unlink', 'sibling']) expect([op, f[op]]).toEqual([op, expect.not.stringMatching(/^ok$/)]);
    }
    // The contents live in a folder of Wharf's, not the app's; the record and the log hold no secret value.
    const files = path.join(instanceDir(inst.id), 'files');
    expect(statSync(files).mode & 0o777).toBe(0o700);
    expect(statSync(files).uid).toBe(0);
    expect(readFileSync(path.join(instanceDir(inst.id), 'instance.json'), 'utf8')).not.toContain('first-s3cr3t');
    const logs = path.join(instanceDir(inst.id), 'logs');
    const log = readdirSync(logs).map((f) => readFileSync(path.join(logs, f), 'utf8')).join('\n');
    expect(log).toContain(`[[File]] entries, read-only: ${CONFIG}, ${TOKEN}`);
    expect(log).not.toContain('first-s3cr3t');

    // Suspended: the files are gone with the app. Resumed: the secret is read again.
    await h.client.rpc(C.suspend, { id: inst.id }, alice);
    expect(existsSync(files)).toBe(false);
    await h.client.rpc(C.secretPut, { name: 'probe-secrets', data: { token: 'second-s3cr3t' } }, admin);
    await h.client.rpc(C.resume, { id: inst.id }, alice);
    await h.untilStatus(inst.id, ['RUNNING']);
    expect((await seen(inst.id, [TOKEN])).files[0]).toMatchObject({ content: 'second-s3cr3t' });

    // A grant taken back stops the next start, with the same refusal.
    await h.client.rpc(C.suspend, { id: inst.id }, alice);
    await h.client.rpc(C.secretPut, { name: 'probe-secrets', data: { token: 'second-s3cr3t' }, grants: { apps: [], owners: [] } }, admin);
    expect((await rpcError(h.client.rpc(C.resume, { id: inst.id }, alice)))?.message).toMatch(/its \[\[File\]\] \/srv\/probe\/token names a secret/);
    expect(existsSync(files)).toBe(false);

    await h.client.rpc(C.terminate, { id: inst.id }, alice);
    expect(existsSync(instanceDir(inst.id))).toBe(false);
    await h.client.rpc(C.secretDelete, { name: 'probe-secrets' }, admin);
  });
});

describe('[[File]] without a sandbox', () => {
  it('refuses to start the app, saying why, and leaves nothing behind', async () => {
    const dataDir = mkdtempSync(path.join(os.tmpdir(), 'wharf-nosandbox-'));
    try {
      const driver = new ProcessDriver({
        dataDir,
        launcherPath: path.join(ROOT, 'apps/launcher/dist/main.js'),
        nodePath: process.execPath,
        prlimit: null,
        stopGraceMs: 1000,
        logBytes: 65536,
        startTimeoutSeconds: 30,
        standbyLaunchers: 0,
        standbyPython: null,
        cacheKeepMs: 3600_000,
        cacheSweepMs: 3600_000,
        sandbox: { mode: 'none', bwrap: null, setpriv: null, ownUids: false },
        uidRange: [200_000, 200_100],
        portRange: [20_000, 29_999],
      });
      await driver.init();
      const record = instanceRecordFixture({ id: 'nosandbox1', appName: 'probe', appVersion: '1.0.0', status: 'QUEUED', launch: { files: [{ path: CONFIG, value: 'x' }] } });
      const planned: string[] = [];
      const e = await driver
        .create(record, async () => {
          planned.push(record.id);
          throw new Error('never planned');
        })
        .then(() => null, (x: unknown) => x as WharfError);
      expect(e?.code).toBe('INVALID');
      expect(e?.message).toBe(
        `probe@1.0.0 mounts files at ${CONFIG} ([[File]] in its app.toml), which this Wharf cannot do: it runs apps without a sandbox (Scheduler.ProcessSandbox = "none"), ` +
          'where those paths would be on the host itself; ask an administrator to install bubblewrap and set Scheduler.ProcessSandbox = "bwrap"',
      );
      expect(planned).toEqual([]);
      expect(readdirSync(path.join(dataDir, 'instances'))).toEqual([]);
      expect(existsSync(CONFIG)).toBe(false);
      await driver.close();
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
