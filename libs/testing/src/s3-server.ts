import { randomBytes } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm, stat } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import S3rver from 's3rver';

/** A real S3-protocol server (s3rver) on 127.0.0.1, for integration tests. */
export interface S3TestServer {
  /** `http://127.0.0.1:<port>`: the form the `[Repository] S3Endpoint` key takes. */
  endpoint: string;
  port: number;
  accessKey: string;
  secretKey: string;
  /** Closes the server (and its open connections) and removes its temp directory. */
  stop(): Promise<void>;
}

/**
 * s3rver knows exactly one account, `S3RVER` / `S3RVER`. It checks the access key of
 * every signed request but does NOT verify SigV4 signatures, so a wrong secret key is
 * accepted: tests cannot prove credential handling against it.
 */
const ACCESS_KEY = 'S3RVER';
const SECRET_KEY = 'S3RVER';

/**
 * Starts s3rver 3.7.1 in-process on 127.0.0.1 (a free port) with a fresh temp directory.
 *
 * Path-style only (`http://127.0.0.1:<port>/<bucket>/<key>`), which is what minio's client
 * uses for an IP endpoint. Verified with minio 8 on Node 20: SigV4-signed requests, bucket
 * HEAD/PUT, PUT/GET/HEAD/DELETE object, ranged GET, list objects (v1 and v2), and multipart
 * uploads (initiate, upload part, complete).
 *
 * s3rver lacks three multipart calls, which this server answers itself from s3rver's
 * on-disk layout (`<dir>/<bucket>/._S3rver_uploads/<uploadId>/{key,metadata,<n>,<n>.md5}`,
 * pinned by the exact s3rver version):
 *  - `GET /<bucket>?uploads` (ListMultipartUploads): s3rver answers 501, and minio's
 *    `putObject` calls it before every multipart upload (to resume one), so without it no
 *    body larger than one part can be uploaded with `putObject`;
 *  - `GET /<bucket>/<key>?uploadId=` (ListParts): used by minio to resume an upload and
 *    by `listIncompleteUploads`;
 *  - `DELETE /<bucket>/<key>?uploadId=` (AbortMultipartUpload): s3rver answers 405, so an
 *    abandoned upload could never be cleaned up.
 * These three are not authenticated (s3rver checks no signatures anyway).
 *
 * Other known s3rver gaps (not papered over): `Range: bytes=0-0` returns the whole object
 * instead of one byte (it reads end `0` as "no end"); a single PUT whose client disconnects
 * mid-body leaves a partial object visible (real S3 stores nothing); completing a multipart
 * upload does not check part sizes or ETags.
 */
export async function startS3Server(): Promise<S3TestServer> {
  const directory = await mkdtemp(join(tmpdir(), 'wharf-s3-'));
  const s3rver = new S3rver({ directory, silent: true, vhostBuckets: false, address: '127.0.0.1', port: 0 });
  const s3Handler = s3rver.callback();
  const server = createServer((req, res) => {
    multipartShim(directory, req, res).then(
      (handled) => {
        if (!handled) s3Handler(req, res);
      },
      (e: unknown) => sendError(res, 500, 'InternalError', e instanceof Error ? e.message : String(e)),
    );
  });
  await listen(server);
  const { port } = server.address() as AddressInfo;
  let stopped: Promise<void> | undefined;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    port,
    accessKey: ACCESS_KEY,
    secretKey: SECRET_KEY,
    stop: () =>
      (stopped ??= (async () => {
        await new Promise<void>((resolve) => {
          server.close(() => resolve());
          server.closeAllConnections();
        });
        await rm(directory, { recursive: true, force: true });
      })()),
  };
}

function listen(server: Server): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
}

const BUCKET_RE = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;
const UPLOAD_ID_RE = /^[0-9a-f]{32}$/; // s3rver's ids: 16 random bytes in hex

/** Answers the multipart calls s3rver lacks; `false` when the request is s3rver's. */
async function multipartShim(directory: string, req: IncomingMessage, res: ServerResponse): Promise<boolean> {
  const url = new URL(req.url ?? '/', 'http://s3.local');
  const [, bucket = '', ...keyParts] = url.pathname.split('/');
  const key = keyParts.map((p) => decodeURIComponent(p)).join('/');
  const q = url.searchParams;
  const listUploads = req.method === 'GET' && bucket !== '' && key === '' && q.has('uploads');
  const listParts = req.method === 'GET' && key !== '' && q.has('uploadId');
  const abort = req.method === 'DELETE' && key !== '' && q.has('uploadId');
  if (!listUploads && !listParts && !abort) return false;
  req.resume(); // these requests carry no body

  if (!BUCKET_RE.test(bucket) || !(await isDir(join(directory, bucket)))) {
    sendError(res, 404, 'NoSuchBucket', 'The specified bucket does not exist');
    return true;
  }
  const uploadsDir = join(directory, bucket, '._S3rver_uploads');

  if (listUploads) {
    const prefix = q.get('prefix') ?? '';
    const delimiter = q.get('delimiter') ?? '';
    const uploads: { key: string; uploadId: string; initiated: Date }[] = [];
    const prefixes = new Set<string>();
    for (const uploadId of await readdir(uploadsDir).catch(() => [] as string[])) {
      const info = await readUpload(uploadsDir, uploadId);
      if (!info || !info.key.startsWith(prefix)) continue;
      const cut = delimiter ? info.key.indexOf(delimiter, prefix.length) : -1;
      if (cut >= 0) prefixes.add(info.key.slice(0, cut + delimiter.length));
      else uploads.push({ key: info.key, uploadId, initiated: info.initiated });
    }
    uploads.sort((a, b) => (a.key === b.key ? a.uploadId.localeCompare(b.uploadId) : a.key < b.key ? -1 : 1));
    sendXml(
      res,
      200,
      `<ListMultipartUploadsResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">` +
        `<Bucket>${esc(bucket)}</Bucket><KeyMarker></KeyMarker><UploadIdMarker></UploadIdMarker>` +
        `<Prefix>${esc(prefix)}</Prefix><MaxUploads>1000</MaxUploads><IsTruncated>false</IsTruncated>` +
        uploads
          .map(
            (u) =>
              `<Upload><Key>${esc(u.key)}</Key><UploadId>${u.uploadId}</UploadId>` +
              `<StorageClass>STANDARD</StorageClass><Initiated>${u.initiated.toISOString()}</Initiated></Upload>`,
          )
          .join('') +
        [...prefixes].sort().map((p) => `<CommonPrefixes><Prefix>${esc(p)}</Prefix></CommonPrefixes>`).join('') +
        `</ListMultipartUploadsResult>`,
    );
    return true;
  }

  const uploadId = q.get('uploadId') ?? '';
  const info = UPLOAD_ID_RE.test(uploadId) ? await readUpload(uploadsDir, uploadId) : undefined;
  if (!info || info.key !== key) {
    sendError(res, 404, 'NoSuchUpload', 'The specified upload does not exist.');
    return true;
  }
  const uploadDir = join(uploadsDir, uploadId);

  if (abort) {
    await rm(uploadDir, { recursive: true, force: true });
    res.writeHead(204).end();
    return true;
  }

  const parts: { n: number; size: number; etag: string; mtime: Date }[] = [];
  for (const name of await readdir(uploadDir)) {
    if (!/^[0-9]+$/.test(name)) continue;
    const [st, md5] = await Promise.all([stat(join(uploadDir, name)), readFile(join(uploadDir, `${name}.md5`), 'utf8').catch(() => '')]);
    parts.push({ n: Number(name), size: st.size, etag: md5, mtime: st.mtime });
  }
  parts.sort((a, b) => a.n - b.n);
  sendXml(
    res,
    200,
    `<ListPartsResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">` +
      `<Bucket>${esc(bucket)}</Bucket><Key>${esc(key)}</Key><UploadId>${uploadId}</UploadId>` +
      `<StorageClass>STANDARD</StorageClass><PartNumberMarker>0</PartNumberMarker><MaxParts>10000</MaxParts>` +
      `<IsTruncated>false</IsTruncated>` +
      parts
        .map(
          (p) =>
            `<Part><PartNumber>${p.n}</PartNumber><LastModified>${p.mtime.toISOString()}</LastModified>` +
            `<ETag>&quot;${p.etag}&quot;</ETag><Size>${p.size}</Size></Part>`,
        )
        .join('') +
      `</ListPartsResult>`,
  );
  return true;
}

async function readUpload(uploadsDir: string, uploadId: string): Promise<{ key: string; initiated: Date } | undefined> {
  const keyFile = join(uploadsDir, uploadId, 'key');
  try {
    const [key, st] = await Promise.all([readFile(keyFile, 'utf8'), stat(keyFile)]);
    return { key, initiated: st.mtime };
  } catch {
    return undefined; // not an upload directory (or being completed/aborted right now)
  }
}

async function isDir(path: string): Promise<boolean> {
  return stat(path).then(
    (s) => s.isDirectory(),
    () => false,
  );
}

function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&apos;');
}

function sendXml(res: ServerResponse, status: number, body: string): void {
  const xml = `<?xml version="1.0" encoding="UTF-8"?>\n${body}`;
  res.writeHead(status, { 'Content-Type': 'application/xml', 'Content-Length': Buffer.byteLength(xml) }).end(xml);
}

function sendError(res: ServerResponse, status: number, code: string, message: string): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  sendXml(
    res,
    status,
    `<Error><Code>${code}</Code><Message>${esc(message)}</Message><RequestId>${randomBytes(8).toString('hex')}</RequestId></Error>`,
  );
}
