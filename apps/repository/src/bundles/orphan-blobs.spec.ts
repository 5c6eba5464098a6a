import { mkdtemp, rm, utimes } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { generatedStream } from '@wharf/testing';
import { DiskBlobStore } from '../blobs/disk.blob-store';
import { ORPHAN_GRACE_MS, sweepOrphanBlobs } from './orphan-blobs';

describe('sweepOrphanBlobs (a real disk store)', () => {
  let base: string;
  let store: DiskBlobStore;

  beforeEach(async () => {
    base = await mkdtemp(path.join(tmpdir(), 'wharf-orphans-'));
    store = new DiskBlobStore(path.join(base, 'blobs'));
    await store.init();
  });
  afterEach(async () => {
    await rm(base, { recursive: true, force: true });
  });

  /** A blob written `ageMs` ago. */
  const blob = async (key: string, ageMs: number) => {
    await store.put(key, generatedStream(10));
    const t = new Date(Date.now() - ageMs);
    await utimes(path.join(base, 'blobs', key), t, t);
  };

  it('removes old bundle blobs no row names; keeps named ones, young ones and other folders; asks the rows in batches', async () => {
    const old = ORPHAN_GRACE_MS + 60_000;
    await blob('bundles/named.zip', old);
    await blob('bundles/orphan.zip', old);
    await blob('bundles/young-orphan.zip', 60_000); // an import under way on some replica
    await blob('elsewhere/orphan.zip', old);
    // just over one batch of 500 (each put is fsynced: more would only take longer)
    const MANY = 510;
    for (let i = 0; i < MANY; i++) await blob(`bundles/many-${String(i).padStart(4, '0')}.zip`, old);
    const asked: number[] = [];
    const named = (k: string) => k === 'bundles/named.zip' || k.endsWith('1.zip'); // named.zip and many-…1.zip
    const referenced = async (keys: string[]) => {
      asked.push(keys.length);
      return new Set(keys.filter(named));
    };
    const removed = await sweepOrphanBlobs(store, referenced);
    const oldBundles = MANY + 2; // the many, named.zip and orphan.zip
    const namedMany = Math.ceil((MANY - 1) / 10); // …0001, …0011, …
    expect(asked.every((n) => n <= 500)).toBe(true);
    expect(asked.reduce((a, b) => a + b, 0)).toBe(oldBundles);
    expect(removed).toContain('bundles/orphan.zip');
    expect(removed).toHaveLength(oldBundles - 1 - namedMany);
    const left = [];
    for await (const b of store.list('')) left.push(b.key);
    expect(left).toEqual(expect.arrayContaining(['bundles/named.zip', 'bundles/young-orphan.zip', 'elsewhere/orphan.zip', 'bundles/many-0001.zip']));
    expect(left).toHaveLength(3 + namedMany);
  });

  it('removes nothing when the rows cannot be read (the error is the caller’s to report)', async () => {
    await blob('bundles/orphan.zip', ORPHAN_GRACE_MS + 60_000);
    await expect(sweepOrphanBlobs(store, () => Promise.reject(new Error('database down')))).rejects.toThrow('database down');
    expect(await store.stat('bundles/orphan.zip')).not.toBeNull();
  });
});
