import { createHash } from 'node:crypto';
import { connect } from 'node:net';
import { Readable } from 'node:stream';
import { Client } from 'minio';
import { startS3Server, type S3TestServer } from './s3-server';

const MiB = 1024 * 1024;

function generated(n: number): Readable {
  let sent = 0;
  return new Readable({
    read() {
      if (sent >= n) return void this.push(null);
      const len = Math.min(256 * 1024, n - sent);
      const b = Buffer.alloc(len);
      for (let i = 0; i < len; i++) b[i] = (sent + i) % 251;
      sent += len;
      this.push(b);
    },
  });
}

function bytes(start: number, end: number): Buffer {
  const b = Buffer.alloc(end - start + 1);
  for (let i = 0; i < b.length; i++) b[i] = (start + i) % 251;
  return b;
}

async function readAll(s: NodeJS.ReadableStream): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const c of s) parts.push(c as Buffer);
  return Buffer.concat(parts);
}

function collect<T>(s: NodeJS.ReadableStream): Promise<T[]> {
  return new Promise((resolve, reject) => {
    const items: T[] = [];
    s.on('data', (x: T) => items.push(x));
    s.on('end', () => resolve(items));
    s.on('error', reject);
  });
}

describe('startS3Server (s3rver) with the minio client', () => {
  let s3: S3TestServer;
  let client: Client;

  beforeAll(async () => {
    s3 = await startS3Server();
    const url = new URL(s3.endpoint);
    client = new Client({
      endPoint: url.hostname,
      port: Number(url.port),
      useSSL: false,
      accessKey: s3.accessKey,
      secretKey: s3.secretKey,
      region: 'us-east-1',
      pathStyle: true,
      partSize: 5 * MiB,
    });
    await client.makeBucket('shim-test', 'us-east-1');
  });
  afterAll(async () => {
    await s3?.stop();
  });

  it('listens on 127.0.0.1 with the s3rver account', () => {
    expect(s3.endpoint).toBe(`http://127.0.0.1:${s3.port}`);
    expect(s3.accessKey).toBe('S3RVER');
    expect(s3.secretKey).toBe('S3RVER');
  });

  it("takes minio's streaming multipart putObject (which lists uploads first) and serves ranges", async () => {
    const n = 12 * MiB + 7;
    await client.putObject('shim-test', 'dir/big.bin', generated(n));
    expect((await client.statObject('shim-test', 'dir/big.bin')).size).toBe(n);
    const whole = await readAll(await client.getObject('shim-test', 'dir/big.bin'));
    expect(createHash('sha256').update(whole).digest('hex')).toBe(createHash('sha256').update(bytes(0, n - 1)).digest('hex'));
    expect(await readAll(await client.getPartialObject('shim-test', 'dir/big.bin', 5 * MiB - 3, 10))).toEqual(bytes(5 * MiB - 3, 5 * MiB + 6));
    const objects = await collect<{ name: string; size: number }>(client.listObjectsV2('shim-test', '', true));
    expect(objects.map((o) => [o.name, o.size])).toEqual([['dir/big.bin', n]]);
  });

  it('lists, sizes and aborts incomplete multipart uploads', async () => {
    const id = await client.initiateNewMultipartUpload('shim-test', 'dir/pending.bin', {});
    await client.uploadPart({ bucketName: 'shim-test', objectName: 'dir/pending.bin', uploadID: id, partNumber: 1, headers: {} }, Buffer.alloc(5 * MiB, 1));
    const other = await client.initiateNewMultipartUpload('shim-test', 'elsewhere.bin', {});

    const all = await collect<{ key: string; uploadId: string; size: number }>(client.listIncompleteUploads('shim-test', '', true));
    expect(all.map((u) => [u.key, u.uploadId, u.size]).sort()).toEqual(
      [
        ['dir/pending.bin', id, 5 * MiB],
        ['elsewhere.bin', other, 0],
      ].sort(),
    );
    const underDir = await collect<{ key: string }>(client.listIncompleteUploads('shim-test', 'dir/', true));
    expect(underDir.map((u) => u.key)).toEqual(['dir/pending.bin']);

    await client.abortMultipartUpload('shim-test', 'dir/pending.bin', id);
    await client.removeIncompleteUpload('shim-test', 'elsewhere.bin'); // find + abort, as minio does it
    expect(await collect(client.listIncompleteUploads('shim-test', '', true))).toEqual([]);
    await expect(client.abortMultipartUpload('shim-test', 'dir/pending.bin', id)).rejects.toMatchObject({ code: 'NoSuchUpload' });
    expect(await collect<{ name: string }>(client.listObjectsV2('shim-test', 'dir/pending', true))).toEqual([]);
  });

  it('answers NoSuchBucket for uploads of a missing bucket', async () => {
    await expect(collect(client.listIncompleteUploads('no-such-bucket', '', true))).rejects.toMatchObject({ code: 'NoSuchBucket' });
  });

  it('stops: the port refuses connections, and stopping twice is fine', async () => {
    const own = await startS3Server();
    await own.stop();
    await own.stop();
    await expect(
      new Promise<void>((resolve, reject) => {
        const sock = connect(own.port, '127.0.0.1');
        sock.once('connect', () => {
          sock.destroy();
          resolve();
        });
        sock.once('error', reject);
      }),
    ).rejects.toMatchObject({ code: 'ECONNREFUSED' });
  });
});
