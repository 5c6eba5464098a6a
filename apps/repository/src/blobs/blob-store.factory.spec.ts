import path from 'node:path';
import { WharfError } from '@wharf/contracts';
import { ConfigError, loadSection } from '@wharf/config';
import { z } from 'zod';
import { BlobConfigSchema, blobConfigProblems, createBlobStore, type BlobConfig } from './blob-store.factory';
import { DiskBlobStore } from './disk.blob-store';
import { S3BlobStore } from './s3.blob-store';

const s3 = (over: Partial<BlobConfig> = {}): BlobConfig => ({
  ...BlobConfigSchema.parse({}),
  Store: 's3',
  S3AccessKey: 'AK',
  S3SecretKey: 'SK',
  ...over,
});

function thrown(f: () => unknown): WharfError {
  try {
    f();
  } catch (e) {
    if (e instanceof WharfError) return e;
    throw e;
  }
  throw new Error('expected a throw');
}

describe('BlobConfigSchema', () => {
  it('has the defaults of the embedded setup', () => {
    expect(BlobConfigSchema.parse({})).toEqual({
      Store: 'disk',
      DiskPath: '',
      S3Endpoint: 'http://127.0.0.1:9000',
      S3AccessKey: '',
      S3SecretKey: '',
      S3Bucket: 'wharf-bundles',
      S3Region: 'us-east-1',
    });
  });

  it.each([
    [{ Store: 'gcs' }, 'Store'],
    [{ S3Endpoint: 'minio:9000' }, 'S3Endpoint'],
    [{ S3Endpoint: 'ftp://minio:9000' }, 'S3Endpoint'],
    [{ S3Endpoint: 'http://minio:9000/bucket' }, 'S3Endpoint'],
    [{ S3Endpoint: 'http://ak:sk@minio:9000' }, 'S3Endpoint'],
    [{ S3Bucket: 'Wharf_Bundles' }, 'S3Bucket'],
    [{ S3Bucket: 'ab' }, 'S3Bucket'],
    [{ S3Region: '' }, 'S3Region'],
  ])('refuses %j naming the key', (input, key) => {
    const r = BlobConfigSchema.safeParse(input);
    expect(r.success).toBe(false);
    expect(r.error?.issues.map((i) => i.path.join('.'))).toContain(key);
  });

  it('merges into a section loaded from env, reporting a bad key by name', () => {
    const Section = z.object({ Port: z.number().default(8082) }).extend(BlobConfigSchema.shape);
    const ok = loadSection('Repository', Section, { WHARF_REPOSITORY_STORE: 's3', WHARF_REPOSITORY_S3_ENDPOINT: 'https://s3.example.com' });
    expect(ok).toMatchObject({ Port: 8082, Store: 's3', S3Endpoint: 'https://s3.example.com', S3Bucket: 'wharf-bundles' });
    expect(() => loadSection('Repository', Section, { WHARF_REPOSITORY_S3_ENDPOINT: 'minio:9000' })).toThrow(ConfigError);
    expect(() => loadSection('Repository', Section, { WHARF_REPOSITORY_S3_ENDPOINT: 'minio:9000' })).toThrow(/Repository\.S3Endpoint.*WHARF_REPOSITORY_S3_ENDPOINT/);
  });
});

describe('createBlobStore', () => {
  it('builds a disk store, under <dataDir>/blobs when DiskPath is empty', () => {
    const cfg = BlobConfigSchema.parse({});
    const store = createBlobStore(cfg, '/var/lib/wharf');
    expect(store).toBeInstanceOf(DiskBlobStore);
    expect(store.kind).toBe('disk');
    expect((store as DiskBlobStore).rootDir).toBe(path.resolve('/var/lib/wharf/blobs'));
    expect((createBlobStore(cfg) as DiskBlobStore).rootDir).toBe(path.resolve('.wharf/blobs'));
    expect((createBlobStore({ ...cfg, DiskPath: 'rel/blobs' }) as DiskBlobStore).rootDir).toBe(path.resolve('rel/blobs'));
  });

  it('builds an S3 store from the endpoint URL', () => {
    const plain = createBlobStore(s3({ S3Endpoint: 'http://minio:9000', S3Bucket: 'my-bundles' }));
    expect(plain).toBeInstanceOf(S3BlobStore);
    expect(plain.kind).toBe('s3');
    expect((plain as S3BlobStore).endpoint).toBe('http://minio:9000');
    expect((plain as S3BlobStore).bucket).toBe('my-bundles');
    expect((createBlobStore(s3({ S3Endpoint: 'https://s3.eu-west-1.amazonaws.com' })) as S3BlobStore).endpoint).toBe(
      'https://s3.eu-west-1.amazonaws.com:443',
    );
    expect((createBlobStore(s3({ S3Endpoint: 'http://10.0.0.5' })) as S3BlobStore).endpoint).toBe('http://10.0.0.5:80');
  });

  it('needs both S3 keys for the s3 store, naming them', () => {
    const cfg = s3({ S3AccessKey: '', S3SecretKey: '' });
    expect(blobConfigProblems(cfg).map((p) => p.path)).toEqual(['Repository.S3AccessKey', 'Repository.S3SecretKey']);
    const e = thrown(() => createBlobStore(cfg));
    expect(e.code).toBe('INVALID');
    expect(e.message).toContain('Repository.S3AccessKey');
    expect(e.message).toContain('Repository.S3SecretKey');
    expect(blobConfigProblems(BlobConfigSchema.parse({}))).toEqual([]); // disk needs none of them
  });

  it('refuses an unusable endpoint even when the schema was bypassed', () => {
    expect(thrown(() => createBlobStore(s3({ S3Endpoint: 'not a url' }))).message).toContain('Repository.S3Endpoint');
  });
});
