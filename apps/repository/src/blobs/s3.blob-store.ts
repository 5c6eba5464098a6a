import { createHash } from 'node:crypto';
import http from 'node:http';
import https from 'node:https';
import type { Readable } from 'node:stream';
import { internal, invalid, notFound, unavailable, WharfError } from '@wharf/contracts';
import { Client } from 'minio';
import {
  assertDeclaredSize,
  assertValidKey,
  assertValidRange,
  chunksOf,
  toReadable,
  type BlobEntry,
  type BlobRange,
  type BlobStat,
  type BlobStore,
} from './blob-store';

export interface S3BlobStoreOptions {
  /** Host name or IP of the S3 server (no scheme, no port). */
  endPoint: string;
  port: number;
  useSSL: boolean;
  accessKey: string;
  secretKey: string;
  bucket: string;
  region: string;
  /** Path-style URLs (`/<bucket>/<key>`), as MinIO needs by default. Default true. */
  pathStyle?: boolean;
  /**
   * Bytes held in memory per multipart part (at most two per upload: one uploading, one
   * filling). Default 8 MiB; S3 allows 5 MiB to 5 GiB. Bodies up to one part are sent in a
   * single PUT; an object may have at most 10,000 parts.
   */
  partSize?: number;
  /** How long a request may wait on the server (connecting, sending, or for the response head). Default 30 s. */
  timeoutMs?: number;
}

const MiB = 1024 * 1024;
const DEFAULT_PART_SIZE = 8 * MiB;
const MIN_PART_SIZE = 5 * MiB;
const MAX_PART_SIZE = 5 * 1024 * MiB;
const MAX_PARTS = 10_000;
const BUCKET_RE = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;

/** Error codes of a server that cannot be reached or did not answer. */
const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EHOSTDOWN',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EPIPE',
  'ERR_SOCKET_CONNECTION_TIMEOUT',
  'UND_ERR_SOCKET',
]);
/** S3 answers that mean our credentials or permissions are wrong: the store is misconfigured. */
const AUTH_CODES = new Set([
  'InvalidAccessKeyId',
  'SignatureDoesNotMatch',
  'AccessDenied',
  'InvalidToken',
  'ExpiredToken',
  'AuthorizationHeaderMalformed',
]);
/** S3 answers that mean "try later". */
const BUSY_CODES = new Set(['SlowDown', 'ServiceUnavailable', 'InternalError', 'RequestTimeout', 'XMinioServerNotInitialized']);

/**
 * Blobs in one S3 bucket (MinIO, AWS S3, any S3-protocol server), through the `minio` client.
 *
 * `put` drives the multipart upload itself (initiate, upload parts, complete) with minio's
 * low-level calls instead of streaming through `putObject`, because minio 8.0.7's
 * `putObject(stream)`: buffers a whole body of up to one part in memory (and a part is
 * ~500 MiB when the size is unknown), never settles when its source stream errors (the
 * source is `.pipe()`d, which does not forward errors; its 'error' is even unhandled and
 * crashes the process), never aborts the multipart upload it started, and lists every
 * incomplete upload of the key first to "resume" it. Here a body that fits one part goes
 * in one `putObject` (a Buffer: atomic on S3), bigger ones in parts with at most two parts
 * in memory, and any failure aborts the upload, so nothing appears under the key: S3 only
 * shows an object once its upload completes. When the final call fails (its outcome
 * unknown: it may have landed), the key is deleted.
 */
export class S3BlobStore implements BlobStore {
  readonly kind = 's3' as const;
  /** `http(s)://host:port`, for messages. */
  readonly endpoint: string;
  readonly bucket: string;
  private readonly region: string;
  private readonly partSize: number;
  private readonly client: Client;

  constructor(options: S3BlobStoreOptions) {
    const { endPoint, port, useSSL, bucket, region } = options;
    this.endpoint = `${useSSL ? 'https' : 'http'}://${endPoint}:${port}`;
    if (!BUCKET_RE.test(bucket) || bucket.includes('..')) {
      throw invalid(`invalid S3 bucket name ${JSON.stringify(bucket)}: 3-63 lower-case letters, digits, "." and "-"`, { bucket });
    }
    const partSize = options.partSize ?? DEFAULT_PART_SIZE;
    if (!Number.isSafeInteger(partSize) || partSize < MIN_PART_SIZE || partSize > MAX_PART_SIZE) {
      throw invalid(`invalid S3 part size ${partSize}: S3 allows 5 MiB to 5 GiB`);
    }
    this.bucket = bucket;
    this.region = region;
    this.partSize = partSize;
    try {
      this.client = new Client({
        endPoint,
        port,
        useSSL,
        accessKey: options.accessKey,
        secretKey: options.secretKey,
        region,
        pathStyle: options.pathStyle ?? true,
        transport: timedTransport(useSSL ? https : http, options.timeoutMs ?? 30_000),
      });
    } catch (e) {
      throw invalid(`invalid S3 endpoint ${this.endpoint}: ${errMessage(e)}`);
    }
  }

  async init(): Promise<void> {
    if (await this.bucketExists('init')) return;
    try {
      await this.client.makeBucket(this.bucket, this.region);
    } catch (e) {
      // Another replica may have created it between our check and our create.
      if (!['BucketAlreadyOwnedByYou', 'BucketAlreadyExists'].includes(errCode(e) ?? '')) throw this.fail('create', undefined, e);
      if (!(await this.bucketExists('init'))) {
        throw unavailable(`S3 bucket ${this.bucket} at ${this.endpoint} exists but is not ours (owned by another account?)`);
      }
    }
  }

  async put(key: string, body: NodeJS.ReadableStream | Readable, size?: number): Promise<{ size: number }> {
    assertValidKey(key);
    const source = toReadable(body);
    const partSize = size !== undefined && size > this.partSize * MAX_PARTS ? Math.ceil(size / MAX_PARTS) : this.partSize;
    let uploadId: string | undefined;
    const parts: { part: number; etag: string }[] = [];
    let inflight: Promise<void> | undefined; // at most one part uploading while the next fills
    let inflightError: unknown;
    let pending: Buffer[] = [];
    let pendingBytes = 0;
    let total = 0;
    let committing = false;

    const sendPart = async (part: number, data: Buffer, id: string): Promise<void> => {
      // Content-MD5 lets the server check each part (minio signs payloads only over plain http).
      const headers = { 'Content-MD5': createHash('md5').update(data).digest('base64') };
      const res = await this.client.uploadPart({ bucketName: this.bucket, objectName: key, uploadID: id, partNumber: part, headers }, data);
      parts.push({ part, etag: res.etag });
    };
    let partsStarted = 0;
    const flush = async (): Promise<void> => {
      if (partsStarted >= MAX_PARTS) throw invalid(`blob ${key} is too large: more than ${MAX_PARTS} parts of ${partSize} bytes`);
      const data = Buffer.concat(pending, pendingBytes);
      pending = [];
      pendingBytes = 0;
      uploadId ??= await this.client.initiateNewMultipartUpload(this.bucket, key, {});
      const id = uploadId;
      await inflight;
      if (inflightError !== undefined) throw inflightError;
      const part = ++partsStarted;
      inflight = sendPart(part, data, id).catch((e: unknown) => {
        inflightError = e;
      });
    };

    try {
      for await (const chunk of chunksOf(source)) {
        total += chunk.length;
        assertDeclaredSize(key, size, total, false);
        if (inflightError !== undefined) throw inflightError;
        pending.push(chunk);
        pendingBytes += chunk.length;
        if (pendingBytes >= partSize) await flush();
      }
      assertDeclaredSize(key, size, total, true);
      if (uploadId === undefined) {
        committing = true;
        await this.client.putObject(this.bucket, key, Buffer.concat(pending, pendingBytes), total);
      } else {
        if (pendingBytes > 0) await flush();
        await inflight;
        if (inflightError !== undefined) throw inflightError;
        committing = true;
        await this.client.completeMultipartUpload(this.bucket, key, uploadId, [...parts].sort((a, b) => a.part - b.part));
      }
      return { size: total };
    } catch (e) {
      if (!source.readableEnded) source.destroy(); // a failed put does not leave its caller's stream hanging
      await inflight; // never rejects; lets a part in flight land before the abort
      if (uploadId !== undefined) {
        await this.client.abortMultipartUpload(this.bucket, key, uploadId).catch(() => undefined);
      }
      if (committing) {
        // The last call failed but may have taken effect: make sure nothing is left under the key.
        await this.client.removeObject(this.bucket, key).catch(() => undefined);
      }
      throw this.fail('put', key, e);
    }
  }

  async get(key: string, range?: BlobRange): Promise<Readable> {
    assertValidKey(key);
    if (range) assertValidRange(range);
    try {
      return range
        ? await this.client.getPartialObject(this.bucket, key, range.start, range.end - range.start + 1)
        : await this.client.getObject(this.bucket, key);
    } catch (e) {
      if (range && errCode(e) === 'InvalidRange') {
        throw invalid(`range ${range.start}-${range.end} is not satisfiable for blob ${key}`, { key, range });
      }
      throw this.fail('get', key, e);
    }
  }

  async stat(key: string): Promise<BlobStat | null> {
    assertValidKey(key);
    try {
      const st = await this.client.statObject(this.bucket, key);
      return st.etag ? { size: st.size, etag: st.etag } : { size: st.size };
    } catch (e) {
      if (['NotFound', 'NoSuchKey'].includes(errCode(e) ?? '')) return null;
      throw this.fail('stat', key, e);
    }
  }

  async delete(key: string): Promise<void> {
    assertValidKey(key);
    try {
      await this.client.removeObject(this.bucket, key);
    } catch (e) {
      if (['NotFound', 'NoSuchKey'].includes(errCode(e) ?? '')) return;
      throw this.fail('delete', key, e);
    }
  }

  async *list(prefix: string): AsyncIterable<BlobEntry> {
    try {
      for await (const o of this.client.listObjectsV2(this.bucket, prefix, true) as AsyncIterable<{ name?: string; size?: number; lastModified?: Date }>) {
        if (o.name) yield { key: o.name, size: o.size ?? 0, modified: o.lastModified ?? new Date(0) };
      }
    } catch (e) {
      throw this.fail('list', prefix, e);
    }
  }

  async ping(): Promise<void> {
    if (!(await this.bucketExists('ping'))) {
      throw unavailable(`S3 bucket ${this.bucket} does not exist at ${this.endpoint}`);
    }
  }

  private async bucketExists(op: string): Promise<boolean> {
    try {
      return await this.client.bucketExists(this.bucket);
    } catch (e) {
      throw this.fail(op, undefined, e);
    }
  }

  /** Maps anything minio or the network throws to a WharfError naming the endpoint. */
  private fail(op: string, key: string | undefined, e: unknown): WharfError {
    if (WharfError.is(e)) return e;
    const code = errCode(e);
    const what = key === undefined ? `bucket ${this.bucket}` : `blob ${key}`;
    const message = errMessage(e);
    const detail = code && !message.includes(code) ? `${code}: ${message}` : message;
    if (key !== undefined && (code === 'NoSuchKey' || code === 'NotFound')) return notFound(`${what} not found`, { key });
    if (code === 'NoSuchBucket') return unavailable(`S3 bucket ${this.bucket} does not exist at ${this.endpoint} (${op} ${what})`);
    if ((code && NETWORK_CODES.has(code)) || message === 'socket hang up') {
      return unavailable(`S3 endpoint ${this.endpoint} is unreachable (${op} ${what}): ${detail}`);
    }
    if (code && AUTH_CODES.has(code)) {
      return unavailable(`S3 endpoint ${this.endpoint} refused access to bucket ${this.bucket} (${op} ${what}); check the access and secret keys: ${detail}`);
    }
    if ((code && BUSY_CODES.has(code)) || /Retryable HTTP status: 5\d\d/.test(message)) {
      return unavailable(`S3 endpoint ${this.endpoint} is not answering (${op} ${what}): ${detail}`);
    }
    return internal(`S3 ${op} of ${what} at ${this.endpoint} failed: ${detail}`);
  }
}

/**
 * `http`/`https` whose requests fail with ETIMEDOUT when the server stays silent for
 * `timeoutMs` before the response head (connecting, sending the body, waiting). A response
 * body is not timed: a slow reader downstream may legitimately pause it.
 */
function timedTransport(base: typeof http | typeof https, timeoutMs: number): Pick<typeof http, 'request'> {
  const request = (options: http.RequestOptions, callback?: (res: http.IncomingMessage) => void): http.ClientRequest => {
    const req = base.request(options, callback);
    req.setTimeout(timeoutMs, () => {
      const err = new Error(`no answer within ${timeoutMs} ms`) as NodeJS.ErrnoException;
      err.code = 'ETIMEDOUT';
      req.destroy(err);
    });
    req.once('response', () => req.setTimeout(0));
    return req;
  };
  return { request: request as typeof http.request };
}

function errCode(e: unknown): string | undefined {
  const err = e as { code?: unknown; errors?: unknown } | null;
  if (typeof err?.code === 'string') return err.code;
  // Node's happy-eyeballs connect fails with an AggregateError of per-address errors.
  if (Array.isArray(err?.errors)) return errCode(err.errors[0]);
  return undefined;
}

function errMessage(e: unknown): string {
  if (e instanceof Error) return e.message || e.name;
  return String(e);
}
