import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { WharfError } from '@wharf/contracts';
import { LocalSecretStore, type SecretGrantee } from '../secrets/secret.store';
import { resolveAppFiles } from './app-files';
import { InstanceRecordSchema } from './instance.record';
import { instanceRecordFixture } from '../test-support/instance-record';

let dir: string;
let store: LocalSecretStore;
const grantee: SecretGrantee = { app: 'hello', owner: 'svc:author', byNameOwner: true, instanceOwner: 'svc:alice' };

beforeEach(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'wharf-app-files-'));
  store = new LocalSecretStore(path.join(dir, 'secrets.json'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('resolveAppFiles', () => {
  it('gives literal values as written and secret values from the store, in order', async () => {
    await store.put('tls', { 'tls.key': 'PRIVATE' }, { apps: ['hello'], owners: [] });
    expect(
      await resolveAppFiles(
        store,
        [
          { path: '/etc/hello/a.ini', value: 'a = 1\n' },
          { path: '/srv/hello/key.pem', secret: 'tls', secretKey: 'tls.key' },
        ],
        grantee,
      ),
    ).toEqual([
      { path: '/etc/hello/a.ini', value: 'a = 1\n' },
      { path: '/srv/hello/key.pem', value: 'PRIVATE', secret: { name: 'tls', key: 'tls.key' } },
    ]);
    expect(await resolveAppFiles(store, [], grantee)).toEqual([]);
  });

  it("reads ~/<name> as the instance owner's user secret, and names it so for the drivers", async () => {
    await store.putUser({ owner: { sub: 'svc:alice' }, name: 'cert', data: { pem: 'ALICE' }, visibility: 'PRIVATE', mode: 'create' });
    expect(await resolveAppFiles(store, [{ path: '/etc/hello/cert.pem', secret: '~/cert', secretKey: 'pem' }], grantee)).toEqual([
      { path: '/etc/hello/cert.pem', value: 'ALICE', secret: { name: 'svc:alice/cert', key: 'pem' } },
    ]);
  });

  it("refuses a secret that is missing, lacks the key or is not granted with the store's words, naming the files' paths", async () => {
    await store.put('tls', { 'tls.key': 'PRIVATE' }, { apps: ['other'], owners: [] });
    const refused = async (secretKey: string, secret = 'tls') =>
      resolveAppFiles(store, [{ path: '/srv/hello/key.pem', secret, secretKey }, { path: '/etc/x', value: 'x' }], grantee).then(
        () => null,
        (e: unknown) => e as WharfError,
      );
    for (const e of [await refused('tls.key'), await refused('other-key'), await refused('k', 'missing')]) {
      expect(e?.code).toBe('INVALID');
      expect(e?.message).toMatch(/^the app cannot start: its \[\[File\]\] \/srv\/hello\/key\.pem names a secret that it was not granted or that is not set; ask an admin/);
      expect(e?.details).toEqual({ file: ['/srv/hello/key.pem'] });
    }
  });

  it('passes other failures through unchanged', async () => {
    const boom = new WharfError('INVALID', 'the secrets store of this scheduler is damaged');
    const broken = { ...store, resolve: () => Promise.reject(boom) } as unknown as LocalSecretStore;
    await expect(resolveAppFiles(broken, [{ path: '/a', secret: 's', secretKey: 'k' }], grantee)).rejects.toBe(boom);
  });
});

describe('the instance record', () => {
  it('reads records stored before [[File]] existed as having no files', () => {
    const { launch, ...rest } = instanceRecordFixture();
    const { files: _files, ...old } = launch;
    expect(InstanceRecordSchema.parse({ ...rest, launch: old }).launch.files).toEqual([]);
  });
});
