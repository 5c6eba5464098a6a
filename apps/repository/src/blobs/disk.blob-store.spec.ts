import { createHash } from 'node:crypto';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { invalid, WharfError } from '@wharf/contracts';
import { generatedByte, generatedStream } from '@wharf/testing';
import { DiskBlobStore } from './disk.blob-store';

const generated = generatedStream;

function expected(n: number, start = 0, end = n - 1): Buffer {
  const b = Buffer.alloc(end - start + 1);
  for (let i = 0; i < b.length; i++) b[i] = generatedByte(start + i);
  return b;
}

async function readAll(s: Readable): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const c of s) parts.push(c as Buffer);
  return Buffer.concat(parts);
}

async function filesUnder(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries.filter((e) => e.isFile()).map((e) => path.relative(dir, path.join(e.parentPath, e.name)));
}

async function rejection(p: Promise<unknown>): Promise<WharfError> {
  try {
    await p;
  } catch (e) {
    if (e instanceof WharfError) return e;
    throw new Error(`expected a WharfError, got ${String(e)}`);
  }
  throw new Error('expected a rejection');
}

describe('DiskBlobStore', () => {
  let base: string;
  let root: string;
  let store: DiskBlobStore;

  beforeEach(async () => {
    base = await mkdtemp(path.join(tmpdir(), 'wharf-blobs-'));
    root = path.join(base, 'data', 'blobs');
    store = new DiskBlobStore(root);
    await store.init();
  });
  afterEach(async () => {
    await rm(base, { recursive: true, force: true });
  });

  it('init creates the folder (idempotently) and leaves no probe file; ping answers', async () => {
    await store.init();
    expect(await readdir(root)).toEqual([]);
    await expect(store.ping()).resolves.toBeUndefined();
    expect(store.kind).toBe('disk');
  });

  it('init and ping fail UNAVAILABLE naming the folder when it is not usable', async () => {
    const file = path.join(base, 'a-file');
    await writeFile(file, 'x');
    const bad = new DiskBlobStore(path.join(file, 'blobs'));
    const e = await rejection(bad.init());
    expect(e.code).toBe('UNAVAILABLE');
    expect(e.message).toContain(path.join(file, 'blobs'));
    const ping = await rejection(new DiskBlobStore(file).ping());
    expect(ping.code).toBe('UNAVAILABLE');
    expect(ping.message).toBe("the blob folder (Repository.DiskPath) is not usable; the repository's log names the cause"); // readiness: no path
    await rm(root, { recursive: true });
    expect((await rejection(store.ping())).code).toBe('UNAVAILABLE');
  });

  it('answers failed writes and reads without any server path (the log keeps it)', async () => {
    await store.put('bundles/kept.zip', generated(10));
    await rm(root, { recursive: true });
    await writeFile(root, 'not a folder any more');
    const put = await rejection(store.put('bundles/new.zip', generated(10)));
    expect(put.message).toMatch(/^the bundle store could not create a bundle \(E[A-Z]+\); try again later, or ask an operator/);
    const get = await rejection(store.get('bundles/kept.zip'));
    expect(get.code).toBe('NOT_FOUND');
    for (const e of [put, get]) {
      expect(e.message).not.toContain(base);
      expect(JSON.stringify(e.details ?? {})).not.toContain(base);
    }
    await rm(root);
  });

  it('puts and gets a streamed blob under a nested key, byte for byte', async () => {
    const n = 3 * 1024 * 1024 + 17;
    await expect(store.put('bundles/abc.zip', generated(n))).resolves.toEqual({ size: n });
    const got = await readAll(await store.get('bundles/abc.zip'));
    expect(createHash('sha256').update(got).digest('hex')).toBe(createHash('sha256').update(expected(n)).digest('hex'));
    expect(await filesUnder(root)).toEqual([path.join('bundles', 'abc.zip')]);
  });

  it('accepts a declared size that matches and an empty body', async () => {
    await expect(store.put('a.bin', generated(1000), 1000)).resolves.toEqual({ size: 1000 });
    await expect(store.put('empty', Readable.from([]))).resolves.toEqual({ size: 0 });
    expect((await readAll(await store.get('empty'))).length).toBe(0);
    expect(await store.stat('empty')).toMatchObject({ size: 0 });
  });

  it('accepts old-style streams and string chunks', async () => {
    const old = Readable.from(['hello ', 'world']) as NodeJS.ReadableStream;
    await expect(store.put('s.txt', old)).resolves.toEqual({ size: 11 });
    expect((await readAll(await store.get('s.txt'))).toString()).toBe('hello world');
  });

  it('reads byte ranges (inclusive), cutting an end past the blob', async () => {
    const n = 200_000;
    await store.put('r.bin', generated(n));
    expect(await readAll(await store.get('r.bin', { start: 0, end: 0 }))).toEqual(expected(n, 0, 0));
    expect(await readAll(await store.get('r.bin', { start: 65_530, end: 131_080 }))).toEqual(expected(n, 65_530, 131_080));
    expect(await readAll(await store.get('r.bin', { start: n - 10, end: n + 1000 }))).toEqual(expected(n, n - 10, n - 1));
    const e = await rejection(store.get('r.bin', { start: n, end: n + 5 }));
    expect(e.code).toBe('INVALID');
    expect(e.message).toContain('not satisfiable');
    expect((await rejection(store.get('r.bin', { start: 5, end: 4 }))).code).toBe('INVALID');
    expect((await rejection(store.get('r.bin', { start: -1, end: 4 }))).code).toBe('INVALID');
    expect((await rejection(store.get('r.bin', { start: 0.5, end: 4 }))).code).toBe('INVALID');
  });

  it('stats blobs (null when missing) and NOT_FOUNDs a missing get', async () => {
    await store.put('bundles/s.zip', generated(1234));
    const st = await store.stat('bundles/s.zip');
    expect(st?.size).toBe(1234);
    expect(st?.etag).toMatch(/^"[0-9a-f]+-[0-9a-f]+"$/);
    expect(await store.stat('bundles/missing.zip')).toBeNull();
    expect(await store.stat('bundles')).toBeNull(); // a folder is not a blob
    expect(await store.stat('bundles/s.zip/deeper')).toBeNull();
    const e = await rejection(store.get('bundles/missing.zip'));
    expect(e.code).toBe('NOT_FOUND');
    expect(e.message).toContain('bundles/missing.zip');
    expect((await rejection(store.get('nothing/here.zip', { start: 0, end: 1 }))).code).toBe('NOT_FOUND');
    expect((await rejection(store.get('bundles'))).code).toBe('NOT_FOUND');
  });

  it('lists the blobs under a prefix with size and time, never a put under way; nothing for a folder not there', async () => {
    await store.put('bundles/a.zip', generated(10));
    await store.put('bundles/deep/b.zip', generated(3));
    await store.put('other/c.zip', generated(1));
    await writeFile(path.join(root, 'bundles', '.a.zip.123@host.abc.part'), 'half'); // a put under way
    const all = [];
    for await (const b of store.list('bundles/')) all.push(b);
    expect(all.map((b) => [b.key, b.size]).sort()).toEqual([['bundles/a.zip', 10], ['bundles/deep/b.zip', 3]]);
    expect(all.every((b) => Math.abs(Date.now() - b.modified.getTime()) < 60_000)).toBe(true);
    const none = [];
    for await (const b of store.list('missing/')) none.push(b);
    expect(none).toEqual([]);
  });

  it('deletes idempotently', async () => {
    await store.put('bundles/d.zip', generated(10));
    await store.delete('bundles/d.zip');
    await store.delete('bundles/d.zip');
    await store.delete('never/was.zip');
    expect(await store.stat('bundles/d.zip')).toBeNull();
    expect((await rejection(store.get('bundles/d.zip'))).code).toBe('NOT_FOUND');
  });

  it('replaces a blob whole: concurrent puts of one key leave exactly one complete body and no temp file', async () => {
    await store.put('k.bin', generated(10));
    const a = generated(700_000);
    const b = Readable.from([Buffer.alloc(500_000, 7)]);
    await Promise.all([store.put('k.bin', a), store.put('k.bin', b)]);
    const got = await readAll(await store.get('k.bin'));
    expect(got.equals(expected(700_000)) || got.equals(Buffer.alloc(500_000, 7))).toBe(true);
    expect(await filesUnder(root)).toEqual(['k.bin']);
  });

  it.each([
    ['errors', new Error('connection reset by upstream')],
    ['is destroyed', 'destroy' as const],
  ])('a source that %s half-way leaves no file and no temp file, and fails INVALID', async (_what, failWith) => {
    const source = generated(2_000_000, { failAt: 1_000_000, failWith });
    const e = await rejection(store.put('bundles/half.zip', source));
    expect(e.code).toBe('INVALID');
    expect(source.destroyed).toBe(true);
    expect(await filesUnder(root)).toEqual([]);
    expect(await store.stat('bundles/half.zip')).toBeNull();
  });

  it('a source destroyed with a WharfError fails with that error and keeps an earlier blob of the key', async () => {
    await store.put('bundles/keep.zip', generated(100));
    const reason = invalid('bundle is larger than the 1 MB limit');
    const source = generated(2_000_000, { failAt: 300_000, failWith: reason });
    await expect(store.put('bundles/keep.zip', source)).rejects.toBe(reason);
    expect(await filesUnder(root)).toEqual([path.join('bundles', 'keep.zip')]);
    expect(await readAll(await store.get('bundles/keep.zip'))).toEqual(expected(100));
  });

  it('refuses a body whose length differs from the declared size, leaving nothing', async () => {
    const longer = generated(5000);
    expect((await rejection(store.put('x.bin', longer, 4000))).code).toBe('INVALID');
    expect(longer.destroyed).toBe(true);
    expect((await rejection(store.put('x.bin', generated(3000), 4000))).message).toContain('4000 were declared');
    expect(await filesUnder(root)).toEqual([]);
  });

  it('refuses object-mode chunks', async () => {
    expect((await rejection(store.put('o.bin', Readable.from([{ not: 'bytes' }])))).code).toBe('INVALID');
    expect(await filesUnder(root)).toEqual([]);
  });

  it.each([
    '',
    '/etc/passwd',
    '../outside',
    'bundles/../../outside',
    'a/./b',
    'a//b',
    'a/',
    'a b',
    'bundles/ä.zip',
    'a\\b',
    'C:x',
    '.hidden',
    'bundles/.x.zip.1234.part',
    `${'a'.repeat(201)}`,
    `${'a/'.repeat(600)}a`,
  ].map((k) => [k.length > 40 ? `${k.slice(0, 12)}… (${k.length} chars)` : JSON.stringify(k), k]))(
    'refuses the bad key %s with INVALID on every call',
    async (_title, key) => {
    for (const p of [
      store.put(key, generated(10)),
      store.get(key),
      store.get(key, { start: 0, end: 1 }),
      store.stat(key),
      store.delete(key),
    ]) {
      expect((await rejection(p)).code).toBe('INVALID');
    }
    expect(await filesUnder(base)).toEqual([]);
    },
  );

  it('needs a folder', () => {
    expect(() => new DiskBlobStore('')).toThrow(WharfError);
  });
});
