import { Readable } from 'node:stream';
import { invalid, WharfError } from '@wharf/contracts';

export interface BlobStat {
  size: number;
  etag?: string;
}

/** One blob as `list` gives it. */
export interface BlobEntry {
  key: string;
  size: number;
  modified: Date;
}

/** A byte range, both ends inclusive, like HTTP `Range: bytes=start-end`. */
export interface BlobRange {
  start: number;
  end: number;
}

/**
 * Where bundle bytes live: local disk (embedded default) or any S3-protocol server.
 * Every method fails with a `WharfError`: INVALID (bad key or range), NOT_FOUND,
 * UNAVAILABLE (store unreachable or misconfigured) or INTERNAL.
 */
export interface BlobStore {
  readonly kind: 'disk' | 's3';
  /** Ensure bucket/dir exists; called once at boot. Fails with a clear message if the store is unreachable or misconfigured. */
  init(): Promise<void>;
  /**
   * Streams `body` into `key`. Never buffers the whole body. Resolves when durably written.
   * On error (including the source stream erroring/being destroyed mid-way) nothing is left
   * under `key` (no partial/temp object). With `size`, a body of another length is INVALID.
   */
  put(key: string, body: NodeJS.ReadableStream | Readable, size?: number): Promise<{ size: number }>;
  /**
   * A readable stream of the whole object or of a byte range; NOT_FOUND WharfError if missing.
   * A range whose end lies past the object is cut to the object (as HTTP does); one that
   * starts past it is INVALID.
   */
  get(key: string, range?: BlobRange): Promise<Readable>;
  stat(key: string): Promise<BlobStat | null>;
  /** Idempotent: deleting a missing key is fine. */
  delete(key: string): Promise<void>;
  /**
   * Every blob whose key starts with `prefix` (a folder such as `bundles/`), with when it was last
   * written; temporary files of puts under way are not blobs and are not listed. In no order.
   */
  list(prefix: string): AsyncIterable<BlobEntry>;
  /** Cheap readiness check for /readyz. */
  ping(): Promise<void>;
}

export const BLOB_STORE = Symbol('BLOB_STORE');

const MAX_KEY_LENGTH = 1024; // S3's limit, in bytes
const MAX_SEGMENT_LENGTH = 200; // leaves room under the usual 255-byte file name limit for `.<name>.<random>.part`
const KEY_RE = /^[A-Za-z0-9._-]+(\/[A-Za-z0-9._-]+)*$/;

/**
 * Keys are relative paths such as `bundles/<uuid>.zip`: `[A-Za-z0-9._/-]` only, no leading,
 * trailing or doubled `/`, no `..`, and no segment starting with `.` (those names are the
 * disk store's temp files). The same keys are valid in every store.
 */
export function assertValidKey(key: string): void {
  const why =
    typeof key !== 'string' || key.length === 0
      ? 'must not be empty'
      : Buffer.byteLength(key) > MAX_KEY_LENGTH
        ? `must be at most ${MAX_KEY_LENGTH} bytes`
        : key.startsWith('/')
          ? 'must be relative (no leading "/")'
          : key.includes('..')
            ? 'must not contain ".."'
            : !KEY_RE.test(key)
              ? 'may hold only letters, digits, ".", "_", "-" and "/" between non-empty segments'
              : key.split('/').some((s) => s.startsWith('.'))
                ? 'must not have a segment starting with "."'
                : key.split('/').some((s) => s.length > MAX_SEGMENT_LENGTH)
                  ? `must not have a segment longer than ${MAX_SEGMENT_LENGTH} characters`
                  : undefined;
  if (why) throw invalid(`invalid blob key ${JSON.stringify(String(key).slice(0, 100))}: ${why}`, { key });
}

/** A range is two integers with `0 <= start <= end`. */
export function assertValidRange(range: BlobRange): void {
  const { start, end } = range;
  if (!Number.isSafeInteger(start) || !Number.isSafeInteger(end) || start < 0 || end < start) {
    throw invalid(`invalid byte range ${start}-${end}: need integers with 0 <= start <= end`, { range });
  }
}

/** `body` as a modern Readable (old-style streams are wrapped). */
export function toReadable(body: NodeJS.ReadableStream | Readable): Readable {
  return body instanceof Readable ? body : new Readable().wrap(body);
}

/** A chunk of a byte stream as a Buffer; INVALID for object-mode values. */
export function toBuffer(chunk: unknown): Buffer {
  if (Buffer.isBuffer(chunk)) return chunk;
  if (typeof chunk === 'string') return Buffer.from(chunk);
  if (chunk instanceof Uint8Array) return Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
  throw invalid('the blob body must be a byte stream (got a non-binary chunk)');
}

/** Checks the declared `size` (if any) against the bytes counted so far. */
export function assertDeclaredSize(key: string, declared: number | undefined, counted: number, ended: boolean): void {
  if (declared === undefined) return;
  if (counted > declared || (ended && counted !== declared)) {
    throw invalid(`blob ${key}: the body has ${ended ? '' : 'more than '}${counted} bytes, but ${declared} were declared`, {
      key,
      declared,
      counted,
    });
  }
}

/**
 * The chunks of `body` as Buffers. A failing source (an error, or destroyed before its end)
 * surfaces as INVALID, or as its own WharfError if it was destroyed with one. Leaving the
 * loop early destroys the source, so a failed put never leaves its caller's stream hanging
 * (a put that fails before reading should destroy it itself).
 */
export async function* chunksOf(source: Readable): AsyncGenerator<Buffer, void, undefined> {
  let chunk: IteratorResult<unknown>;
  const it = source[Symbol.asyncIterator]();
  try {
    for (;;) {
      try {
        chunk = await it.next();
      } catch (e) {
        throw sourceFailed(e);
      }
      if (chunk.done) return;
      yield toBuffer(chunk.value);
    }
  } finally {
    if (!source.readableEnded) source.destroy();
  }
}

function sourceFailed(e: unknown): Error {
  if (WharfError.is(e)) return e;
  const code = (e as { code?: unknown } | null)?.code;
  return code === 'ERR_STREAM_PREMATURE_CLOSE'
    ? invalid('the blob body stream was closed before its end')
    : invalid(`the blob body stream failed: ${e instanceof Error ? e.message : String(e)}`);
}
