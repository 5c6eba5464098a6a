import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { PassThrough, Transform, type Readable } from 'node:stream';
import { finished, pipeline } from 'node:stream/promises';
import { Inject, Injectable, Logger } from '@nestjs/common';
import {
  canSeeAppVersion,
  conflict,
  forbidden,
  invalid,
  isAdmin,
  isFullAccess,
  limitExceeded,
  unauthenticated,
  WharfError,
  type AppVersion,
  type Caller,
} from '@wharf/contracts';
import { inspectBundle, type InspectedBundle } from '@wharf/manifest';
import { outcomeOf, serviceMetrics } from '@wharf/nats';
import { AppService } from '../catalog/app.service';
import { AppVersionRepository } from '../catalog/app-version.repository';
import { versionKey } from '../catalog/version-key';
import { BLOB_STORE, type BlobStore } from '../blobs/blob-store';
import { OWNER, sweepStale } from '../blobs/stale-files';
import { REPOSITORY_SETTINGS, type RepositorySettings } from '../repository.config';
import { versionLimitFor } from './version-limit';

const mb = (n: number) => `${(n / 1e6).toFixed(n < 1e7 ? 1 : 0)} MB`;

/** Short DNS-safe ids: 12 chars of [a-z0-9], starting with a letter. */
export function newId(): string {
  const alphabet = 'abcdefghijklmnopqrstuvwxyz0123456789';
  const bytes = randomBytes(12);
  let id = alphabet[bytes[0]! % 26]!;
  for (let i = 1; i < 12; i++) id += alphabet[bytes[i]! % 36]!;
  return id;
}

/**
 * Import: the upload streams to the blob store while being hashed, and to a local staging
 * file that the bundle reader inspects (a zip needs random access to its central directory);
 * nothing is held whole in memory. The database row is written last. Any failure removes the
 * blob and the staging file, so no row and no blob is left behind.
 */
/**
 * What imports do, for `/metrics`: one count per attempt by outcome (`ok` or the error code, as
 * `outcomeOf` names it for NATS requests: INVALID — a bad or too large bundle, an empty or
 * interrupted upload —, CONFLICT, FORBIDDEN, UNAUTHENTICATED, LIMIT_EXCEEDED, INTERNAL), the bundle
 * bytes received (failed attempts too: the bytes read before they failed), and the duration.
 */
class ImportMetrics {
  private readonly m = serviceMetrics();
  readonly total = this.m.counter('wharf_imports_total', 'Bundle imports attempted, by outcome: ok or the error code (INVALID, CONFLICT, FORBIDDEN, LIMIT_EXCEEDED, ...)', ['outcome']);
  readonly bytes = this.m.counter('wharf_import_bytes_total', 'Bytes of bundles received by imports, failed ones included');
  readonly seconds = this.m.histogram('wharf_import_duration_seconds', 'From the start of an import to its answer, by outcome', [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300], ['outcome']);
}

@Injectable()
export class ImportService {
  private readonly log = new Logger(ImportService.name);
  private readonly metrics = new ImportMetrics();

  constructor(
    private readonly versions: AppVersionRepository,
    private readonly apps: AppService,
    @Inject(BLOB_STORE) private readonly blobs: BlobStore,
    @Inject(REPOSITORY_SETTINGS) private readonly settings: RepositorySettings,
  ) {}

  private get stagingDir(): string {
    return path.resolve(this.settings.platform.DataDir, 'tmp', 'imports');
  }

  /** At start: staging copies of imports a killed repository left (their blobs: DiskBlobStore.init). */
  async onModuleInit(): Promise<void> {
    const removed = await sweepStale(this.stagingDir, (name) => name.endsWith('.zip'));
    if (removed > 0) this.log.log(`removed ${removed} staging file(s) of interrupted imports`);
  }

  /** Checks that can answer before a single byte is read. */
  async precheck(caller: Caller | null, declaredLength: number | undefined): Promise<Caller> {
    if (!caller) throw unauthenticated('sign in to import bundles');
    if (!isFullAccess(caller)) throw forbidden('importing app bundles needs the full-access role');
    const max = this.settings.repository.MaxBundleSize;
    if (declaredLength !== undefined && declaredLength > max) {
      throw invalid(`bundle is ${mb(declaredLength)}, larger than the ${mb(max)} limit (Repository.MaxBundleSize)`);
    }
    await this.checkLimit(caller);
    return caller;
  }

  private async checkLimit(caller: Caller): Promise<void> {
    const limit = versionLimitFor(caller, this.settings.repository).max;
    if (limit === null) return;
    const n = await this.versions.countOwnedBy(caller.sub);
    if (n >= limit) throw this.limitError(n, limit);
  }

  private limitError(current: number, limit: number) {
    return limitExceeded(
      `you have imported ${current} app versions, the limit is ${limit} (Repository.MaxVersionsPerUser); delete old versions or ask an admin`,
      { limit, current },
    );
  }

  /**
   * One import attempt, counted once in the metrics whatever it ends with. `authorize` gives the
   * caller (the bundle controller checks the internal token there), so a refused token is an
   * attempt too.
   */
  async import(authorize: () => Caller | null, source: Readable, declaredLength?: number): Promise<AppVersion> {
    const end = this.metrics.seconds.startTimer();
    let outcome = 'ok';
    try {
      return await this.importOnce(authorize(), source, declaredLength);
    } catch (e) {
      outcome = outcomeOf(e);
      throw e;
    } finally {
      this.metrics.total.inc({ outcome });
      end({ outcome });
    }
  }

  private async importOnce(callerIn: Caller | null, source: Readable, declaredLength?: number): Promise<AppVersion> {
    const caller = await this.precheck(callerIn, declaredLength);
    const id = newId();
    const blobKey = `bundles/${id}-${randomUUID()}.zip`;
    await mkdir(this.stagingDir, { recursive: true, mode: 0o700 });
    const staging = path.join(this.stagingDir, `${id}.${OWNER}.zip`);
    let blobWritten = false;
    try {
      const { sha256, size } = await this.receive(source, blobKey, staging, () => (blobWritten = true));
      if (size === 0) throw invalid('the request body is empty: send the bundle zip as the body (application/zip) or as a multipart file');
      const bundle = await inspectBundle(staging);
      const row = await this.toRow(id, caller, bundle, blobKey, sha256, size);
      const result = await this.versions.insert(row, versionLimitFor(caller, this.settings.repository).max, isAdmin(caller));
      if (result === 'not-owner') {
        throw forbidden(
          `the app name ${row.name} belongs to another user: only its owner and admins publish versions of it; choose another Name in app.toml, or ask an admin to transfer the name to you`,
          { name: row.name },
        );
      }
      if (result === 'duplicate') throw await this.duplicateError(caller, row.name, row.version);
      if (result === 'limit') {
        // refused inside the insert's transaction: no row was written, whatever the count is now
        const limit = this.settings.repository.MaxVersionsPerUser;
        throw this.limitError(Math.max(limit, await this.versions.countOwnedBy(caller.sub)), limit);
      }
      blobWritten = false; // the row owns the blob now
      await this.apps.emit(row, 'IMPORTED', 'PRIVATE');
      this.log.log(`imported ${row.name}@${row.version} (${id}, ${mb(size)}) for ${caller.name}`);
      return this.apps.get(caller, id);
    } finally {
      await rm(staging, { force: true });
      if (blobWritten) {
        await this.blobs.delete(blobKey).catch((e: unknown) => this.log.error(`could not remove blob ${blobKey}: ${String(e)}`));
      }
    }
  }

  /**
   * 409 for a (name, version) that exists. It names the version only when the caller may see it:
   * for a version they cannot see (e.g. a PRIVATE one another user imported before names had
   * owners) the message says nothing about it.
   */
  private async duplicateError(caller: Caller, name: string, version: string): Promise<WharfError> {
    const existing = await this.versions.findByNameVersion(name, version);
    if (existing && canSeeAppVersion(caller, this.apps.subject(existing), this.settings.repository.AllowPublic)) {
      return conflict(`${name}@${version} already exists; versions are immutable, bump Version in app.toml`, { name, version });
    }
    return conflict(`version ${version} of ${name} cannot be imported; set another Version in app.toml`, { name, version });
  }

  /** Streams `source` to the blob store and the staging file at once, hashing and counting. */
  private async receive(source: Readable, blobKey: string, staging: string, onBlobStarted: () => void) {
    const max = this.settings.repository.MaxBundleSize;
    const hash = createHash('sha256');
    const received = this.metrics.bytes;
    let size = 0;
    const meter = new Transform({
      transform(chunk: Buffer, _enc, cb) {
        size += chunk.length;
        received.inc(chunk.length);
        if (size > max) return cb(invalid(`bundle is larger than the ${mb(max)} limit (Repository.MaxBundleSize)`));
        hash.update(chunk);
        cb(null, chunk);
      },
    });
    const toBlob = new PassThrough({ highWaterMark: 1 << 20 });
    const toFile = createWriteStream(staging, { flags: 'wx', mode: 0o600 });
    meter.pipe(toBlob);
    meter.pipe(toFile);
    onBlobStarted();
    const blobDone = this.blobs.put(blobKey, toBlob);
    const fileDone = finished(toFile);
    try {
      await pipeline(source, meter);
    } catch (e) {
      const reason = e instanceof WharfError ? e : invalid(`the upload was interrupted before the bundle arrived whole (${(e as Error).message})`);
      toBlob.destroy(reason);
      toFile.destroy(reason);
      await Promise.allSettled([blobDone, fileDone]);
      throw reason;
    }
    await Promise.all([blobDone, fileDone]);
    return { sha256: hash.digest('hex'), size };
  }

  private async toRow(id: string, caller: Caller, b: InspectedBundle, blobKey: string, sha256: string, size: number) {
    const m = b.manifest;
    const images = [
      ...(b.icon ? [{ kind: 'ICON' as const, index: 0, img: b.icon }] : []),
      ...b.screenshots.map((img, index) => ({ kind: 'SCREENSHOT' as const, index, img })),
    ].map(({ kind, index, img }) => ({
      id: `${id}-${kind === 'ICON' ? 'i' : `s${index}`}`,
      kind,
      index,
      contentType: img.contentType,
      sha256: createHash('sha256').update(img.data).digest('hex'),
      data: img.data,
    }));
    return {
      id,
      name: m.name,
      version: m.version,
      versionKey: versionKey(m.version),
      title: m.title,
      description: m.description,
      longDescription: b.longDescription,
      categories: m.categories,
      keywords: m.keywords,
      ownerSub: caller.sub,
      ownerName: caller.name,
      runtime: m.runtime,
      env: m.env,
      files: m.files,
      blobKey,
      sha256,
      size,
      searchText: [m.name, m.title, m.description, ...m.keywords].join(' ').toLowerCase(),
      images,
    };
  }
}
