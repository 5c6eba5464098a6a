import { randomBytes } from 'node:crypto';
import { constants } from 'node:fs';
import { access, mkdir, open, readdir, rename, rm, stat, unlink, type FileHandle } from 'node:fs/promises';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { Logger } from '@nestjs/common';
import { internal, invalid, notFound, unavailable, WharfError } from '@wharf/contracts';
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
import { OWNER, sweepStale } from './stale-files';

/**
 * Blobs as files under `rootDir` (the key is the relative path). A put writes
 * `.<name>.<pid>@<host>.<random>.part` beside the final file, fsyncs it, renames it into place and
 * fsyncs the folder, so readers see the whole blob or none of it, even across a crash.
 * A crash mid-put can leave a `.part` file behind (such names are never valid keys): the next
 * start removes those of writers that are gone (stale-files.ts).
 */
export class DiskBlobStore implements BlobStore {
  readonly kind = 'disk' as const;
  private readonly log = new Logger('DiskBlobStore');
  readonly rootDir: string;

  constructor(rootDir: string) {
    if (!rootDir) throw invalid('the disk blob store needs a folder (Repository.DiskPath)');
    this.rootDir = path.resolve(rootDir);
  }

  async init(): Promise<void> {
    try {
      await mkdir(this.rootDir, { recursive: true, mode: 0o700 });
      // Prove the folder is writable (a read-only mount passes `access` checks as root).
      const probe = path.join(this.rootDir, `.init.${randomBytes(6).toString('hex')}.part`);
      const fh = await open(probe, 'wx', 0o600);
      await fh.close();
      await unlink(probe);
    } catch (e) {
      throw unavailable(`blob folder ${this.rootDir} is not usable: ${errMessage(e)}`);
    }
    // what a repository killed mid-import left: half-written blobs of writers that are gone
    const removed = await sweepStale(this.rootDir, (name) => name.startsWith('.') && name.endsWith('.part'));
    if (removed > 0) this.log.log(`removed ${removed} half-written blob file(s) left by an interrupted import`);
  }

  async put(key: string, body: NodeJS.ReadableStream | Readable, size?: number): Promise<{ size: number }> {
    assertValidKey(key);
    const file = this.pathOf(key);
    const dir = path.dirname(file);
    // named after its writer, so that a restarted repository knows it for a leftover (stale-files.ts)
    const temp = path.join(dir, `.${path.basename(file)}.${OWNER}.${randomBytes(6).toString('hex')}.part`);
    let fh: FileHandle | undefined;
    let written = 0;
    const source = toReadable(body);
    try {
      try {
        await mkdir(dir, { recursive: true, mode: 0o700 });
        fh = await open(temp, 'wx', 0o644);
      } catch (e) {
        throw this.ioError('create', key, e);
      }
      for await (const chunk of chunksOf(source)) {
        written += chunk.length;
        assertDeclaredSize(key, size, written, false);
        await writeAll(fh, chunk).catch((e: unknown) => {
          throw this.ioError('write', key, e);
        });
      }
      assertDeclaredSize(key, size, written, true);
      try {
        await fh.sync();
        await fh.close();
        fh = undefined;
        await rename(temp, file);
        await syncDir(dir);
      } catch (e) {
        throw this.ioError('commit', key, e);
      }
      return { size: written };
    } catch (e) {
      if (!source.readableEnded) source.destroy(); // a failed put does not leave its caller's stream hanging
      await fh?.close().catch(() => undefined);
      await rm(temp, { force: true }).catch(() => undefined);
      throw e;
    }
  }

  async get(key: string, range?: BlobRange): Promise<Readable> {
    assertValidKey(key);
    if (range) assertValidRange(range);
    let fh: FileHandle;
    try {
      fh = await open(this.pathOf(key), 'r');
    } catch (e) {
      if (isCode(e, 'ENOENT', 'ENOTDIR')) throw notFound(`blob ${key} not found`, { key });
      throw this.ioError('open', key, e);
    }
    try {
      const st = await fh.stat();
      if (!st.isFile()) throw notFound(`blob ${key} not found`, { key }); // a folder of other keys
      const { size } = st;
      if (!range) return fh.createReadStream();
      if (range.start >= size) {
        throw invalid(`range ${range.start}-${range.end} is not satisfiable for blob ${key} of ${size} bytes`, { key, range, size });
      }
      return fh.createReadStream({ start: range.start, end: Math.min(range.end, size - 1) });
    } catch (e) {
      await fh.close().catch(() => undefined);
      throw WharfError.is(e) ? e : this.ioError('read', key, e);
    }
  }

  async stat(key: string): Promise<BlobStat | null> {
    assertValidKey(key);
    try {
      const st = await stat(this.pathOf(key));
      if (!st.isFile()) return null;
      return { size: st.size, etag: `"${st.size.toString(16)}-${Math.trunc(st.mtimeMs).toString(16)}"` };
    } catch (e) {
      if (isCode(e, 'ENOENT', 'ENOTDIR')) return null;
      throw this.ioError('stat', key, e);
    }
  }

  async *list(prefix: string): AsyncIterable<BlobEntry> {
    // the folder part of the prefix is walked; the rest of it filters names
    const base = prefix.includes('/') ? prefix.slice(0, prefix.lastIndexOf('/') + 1) : '';
    let entries;
    try {
      entries = await readdir(path.join(this.rootDir, base), { recursive: true, withFileTypes: true });
    } catch (e) {
      if (isCode(e, 'ENOENT', 'ENOTDIR')) return;
      throw this.ioError('list', prefix, e);
    }
    for (const e of entries) {
      if (!e.isFile()) continue;
      const key = path.relative(this.rootDir, path.join(e.parentPath, e.name)).split(path.sep).join('/');
      // temporary files (`.<name>…part`, `.init…`) are never keys
      if (!key.startsWith(prefix) || key.split('/').some((segment) => segment.startsWith('.'))) continue;
      try {
        const st = await stat(path.join(e.parentPath, e.name));
        yield { key, size: st.size, modified: st.mtime };
      } catch (err) {
        if (!isCode(err, 'ENOENT')) throw this.ioError('list', key, err); // (gone since the folder was read: not listed)
      }
    }
  }

  async delete(key: string): Promise<void> {
    assertValidKey(key);
    try {
      await unlink(this.pathOf(key));
    } catch (e) {
      if (isCode(e, 'ENOENT', 'ENOTDIR')) return;
      throw this.ioError('delete', key, e);
    }
  }

  async ping(): Promise<void> {
    try {
      const st = await stat(this.rootDir);
      if (!st.isDirectory()) throw new Error('not a folder');
      await access(this.rootDir, constants.R_OK | constants.W_OK);
    } catch (e) {
      // readiness answers may reach users: the folder is named in the log only
      this.log.error(`blob folder ${this.rootDir} is not usable: ${errMessage(e)}`);
      throw unavailable(`the blob folder (Repository.DiskPath) is not usable${codeOf(e)}; the repository's log names the cause`);
    }
  }

  /** The file of a (validated) key; never outside `rootDir`. */
  private pathOf(key: string): string {
    const file = path.resolve(this.rootDir, ...key.split('/'));
    if (!file.startsWith(this.rootDir + path.sep)) throw invalid(`invalid blob key ${JSON.stringify(key)}`, { key });
    return file;
  }

  private ioError(op: string, key: string, e: unknown): WharfError {
    if (WharfError.is(e)) return e;
    // The answer reaches users (an import, a download): no server path in it; the log has the whole error.
    this.log.error(`blob ${key}: ${op} failed in ${this.rootDir}: ${errMessage(e)}`);
    const msg = `the bundle store could not ${op} a bundle${codeOf(e)}; try again later, or ask an operator (the repository's log names the cause)`;
    // A full disk, a read-only or vanished mount: the store is down, not the request wrong.
    return isCode(e, 'ENOSPC', 'EROFS', 'EACCES', 'EPERM', 'EIO', 'EDQUOT', 'ENOENT') ? unavailable(msg) : internal(msg);
  }
}

async function writeAll(fh: FileHandle, chunk: Buffer): Promise<void> {
  let offset = 0;
  while (offset < chunk.length) {
    const { bytesWritten } = await fh.write(chunk, offset, chunk.length - offset);
    offset += bytesWritten;
  }
}

/** fsync a folder so a rename in it survives a crash (not supported everywhere: best effort). */
async function syncDir(dir: string): Promise<void> {
  let fh: FileHandle | undefined;
  try {
    fh = await open(dir, 'r');
    await fh.sync();
  } catch (e) {
    if (!isCode(e, 'EISDIR', 'EINVAL', 'EPERM', 'EBADF')) throw e;
  } finally {
    await fh?.close().catch(() => undefined);
  }
}

function isCode(e: unknown, ...codes: string[]): boolean {
  const code = (e as { code?: unknown } | null)?.code;
  return typeof code === 'string' && codes.includes(code);
}

/** ` (ENOSPC)` for a system error, else nothing: the code without the message (which names files). */
function codeOf(e: unknown): string {
  const code = (e as { code?: unknown } | null)?.code;
  return typeof code === 'string' && /^E[A-Z]+$/.test(code) ? ` (${code})` : '';
}

function errMessage(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
