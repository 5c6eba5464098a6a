import { WharfError, invalid, invalidInput, type Problem } from '@wharf/contracts';
import { constants as fsConstants } from 'node:fs';
import { lstat, mkdir, open as openFile, realpath, rmdir, unlink, type FileHandle } from 'node:fs/promises';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream';
import zlib from 'node:zlib';
import { getFileNameLowLevel, open as openZipFile, type Entry, type ZipFile } from 'yauzl';
import { checkBundlePath, showName } from './bundle-path';
import { MANIFEST_FILE, parseManifest, type Manifest } from './manifest';
import { formatBytes } from './quantity';

/** What a bundle may hold. Every limit is checked on the declared sizes and again on the real bytes. */
export interface BundleLimits {
  /** Central directory records (files and folders). */
  maxEntries: number;
  /** Uncompressed bytes of one entry. */
  maxEntrySize: number;
  /** Uncompressed bytes of the whole bundle. */
  maxTotalSize: number;
  /** Uncompressed : compressed, per entry, for entries over 1 MiB uncompressed. */
  maxCompressionRatio: number;
  maxIconSize: number;
  maxScreenshotSize: number;
  maxScreenshots: number;
  maxLongDescriptionSize: number;
  maxManifestSize: number;
}

const KiB = 1024;
const MiB = 1024 * KiB;
const GiB = 1024 * MiB;

/**
 * Defaults. Images travel base64 over NATS (1 MB messages), so each stays well under
 * 700 KB encoded: 512 KiB → 683 KiB of base64.
 */
export const DEFAULT_BUNDLE_LIMITS: Readonly<BundleLimits> = Object.freeze({
  maxEntries: 10_000,
  maxEntrySize: 256 * MiB,
  maxTotalSize: 1 * GiB,
  maxCompressionRatio: 100,
  maxIconSize: 256 * KiB,
  maxScreenshotSize: 512 * KiB,
  maxScreenshots: 10,
  maxLongDescriptionSize: 256 * KiB,
  maxManifestSize: 64 * KiB,
});

/** The compression ratio is only checked on entries bigger than this (small files compress wildly). */
export const COMPRESSION_RATIO_MIN_SIZE = 1 * MiB;

export type ImageContentType = 'image/png' | 'image/jpeg';

export interface BundleImage {
  /** Path inside the bundle, e.g. `static/icon.png`. */
  path: string;
  contentType: ImageContentType;
  data: Buffer;
}

export interface InspectedBundle {
  manifest: Manifest;
  longDescription: string | null;
  icon: BundleImage | null;
  screenshots: BundleImage[];
  /** Central directory records (files and folders). */
  entries: number;
  /** Real uncompressed bytes of every file. */
  uncompressedSize: number;
}

export const ICON_PATHS = ['static/icon.png', 'static/icon.jpg', 'static/icon.jpeg'] as const;
export const SCREENSHOT_PATTERN = /^static\/screenshot[^/]*\.(png|jpe?g)$/;

/** Problems listed in one error; the rest are counted. */
const MAX_LISTED_PROBLEMS = 50;

const S_IFMT = 0o170000;
const S_IFREG = 0o100000;
const S_IFDIR = 0o040000;
const S_IFLNK = 0o120000;
const FLAG_ENCRYPTED = 0x1;
const FLAG_STRONG_ENCRYPTION = 0x40;
const DOS_DIRECTORY = 0x10;
const LOCAL_HEADER_SIZE = 30;
const ZIP_HINT = 'upload a .zip file, e.g. made with `cd myapp && zip -r ../myapp.zip .`';

interface EntryRecord {
  entry: Entry;
  /** Name as stored (for messages). */
  raw: string;
  /** Normalised name (`a/b.txt`), valid only when `ok`. */
  name: string;
  isDir: boolean;
  executable: boolean;
  /** False when the entry itself has a problem (bad name, link, encrypted, …): never read it. */
  ok: boolean;
}

function resolveLimits(partial: Partial<BundleLimits> | undefined): BundleLimits {
  const limits: BundleLimits = { ...DEFAULT_BUNDLE_LIMITS };
  for (const [k, v] of Object.entries(partial ?? {}) as Array<[keyof BundleLimits, number | undefined]>) {
    if (v !== undefined) limits[k] = v;
  }
  return limits;
}

function bundleError(problems: Problem[], what = 'bundle is invalid'): WharfError {
  if (problems.length <= MAX_LISTED_PROBLEMS) return invalidInput(what, problems);
  const listed = problems.slice(0, MAX_LISTED_PROBLEMS);
  const err = invalidInput(what, [...listed, { path: '', message: `… and ${problems.length - listed.length} more problems` }]);
  return new WharfError(err.code, err.message, { problems });
}

const problemAt = (where: string, message: string): WharfError => bundleError([{ path: where, message }]);

// ---------------------------------------------------------------------------
// yauzl, promisified

function openZip(zipPath: string): Promise<ZipFile> {
  return new Promise((resolve, reject) => {
    openZipFile(
      zipPath,
      { lazyEntries: true, autoClose: false, decodeStrings: false, validateEntrySizes: false, strictFileNames: true },
      (err, zf) => (err ? reject(zipError(err)) : resolve(zf)),
    );
  });
}

/** File-system errors (ENOENT, EACCES, …) pass through; everything else means a broken archive. */
function zipError(err: Error): Error {
  if (typeof (err as NodeJS.ErrnoException).code === 'string' || err instanceof WharfError) return err;
  if (/encryption/i.test(err.message)) {
    return problemAt('', 'the zip has encrypted entries; Wharf cannot read password-protected zips: zip the files without a password');
  }
  return problemAt('', `the file is not a valid zip archive, or it is truncated or corrupt (${err.message}); ${ZIP_HINT}`);
}

function readAllEntries(zf: ZipFile, onEntry: (e: Entry) => void): Promise<void> {
  return new Promise((resolve, reject) => {
    const cleanup = () => {
      zf.removeAllListeners('entry');
      zf.removeAllListeners('end');
      zf.removeAllListeners('error');
    };
    zf.on('entry', (e: Entry) => {
      try {
        onEntry(e);
        zf.readEntry();
      } catch (err) {
        cleanup();
        reject(err as Error);
      }
    });
    zf.once('end', () => {
      cleanup();
      resolve();
    });
    zf.once('error', (err: Error) => {
      cleanup();
      reject(zipError(err));
    });
    zf.readEntry();
  });
}

function openRawStream(zf: ZipFile, entry: Entry): Promise<Readable> {
  return new Promise((resolve, reject) => {
    zf.openReadStream(entry, { decodeFileData: false }, (err, stream) => (err ? reject(err) : resolve(stream)));
  });
}

// ---------------------------------------------------------------------------
// Pass 1: the central directory

interface Catalogue {
  records: EntryRecord[];
  problems: Problem[];
  manifestRecord: EntryRecord | null;
  icon: EntryRecord | null;
  screenshots: EntryRecord[];
}

function describeEntry(entry: Entry, limits: BundleLimits, problems: Problem[]): EntryRecord {
  const raw = getFileNameLowLevel(entry.generalPurposeBitFlag, entry.fileNameRaw, entry.extraFields, true);
  const checked = checkBundlePath(raw);
  const where = checked.ok ? checked.name || showName(raw) : showName(raw);
  const record: EntryRecord = { entry, raw, name: '', isDir: false, executable: false, ok: true };
  const refuse = (message: string) => {
    problems.push({ path: where, message });
    record.ok = false;
  };
  if (!checked.ok) refuse(checked.message);
  else record.name = checked.name;

  const mode = (entry.externalFileAttributes >>> 16) & 0xffff;
  const type = mode & S_IFMT;
  const host = entry.versionMadeBy >> 8;
  if (type === S_IFLNK) {
    refuse(
      'is a symbolic link; links are not allowed in a bundle (they can point outside it): replace it with the file it points to (zip without -y/--symlinks)',
    );
  } else if (type !== 0 && type !== S_IFREG && type !== S_IFDIR) {
    refuse(`is not a regular file or folder (a device, FIFO or socket, mode 0o${mode.toString(8)}); remove it`);
  }
  record.isDir =
    (checked.ok && checked.isDir) || type === S_IFDIR || (host === 0 && (entry.externalFileAttributes & DOS_DIRECTORY) !== 0);
  record.executable = type === S_IFREG && (mode & 0o111) !== 0;

  if (entry.generalPurposeBitFlag & (FLAG_ENCRYPTED | FLAG_STRONG_ENCRYPTION)) {
    refuse('is encrypted; Wharf cannot read password-protected entries: zip the files without a password');
  } else if (entry.compressionMethod !== 0 && entry.compressionMethod !== 8) {
    refuse(
      `uses compression method ${entry.compressionMethod}, which Wharf cannot read; use deflate or store (the defaults of zip, 7-Zip and Explorer)`,
    );
  } else if (entry.compressionMethod === 0 && entry.compressedSize !== entry.uncompressedSize) {
    refuse(
      `is stored uncompressed but declares ${entry.uncompressedSize} bytes while holding ${entry.compressedSize}; the zip is corrupt or crafted`,
    );
  }
  if (record.isDir && entry.uncompressedSize > 0) refuse('is a folder entry but holds data');

  const size = entry.uncompressedSize;
  if (size > limits.maxEntrySize) {
    refuse(`unpacks to ${formatBytes(size)}; one file may be at most ${formatBytes(limits.maxEntrySize)}`);
  }
  if (size > COMPRESSION_RATIO_MIN_SIZE) {
    const ratio = size / Math.max(entry.compressedSize, 1);
    if (ratio > limits.maxCompressionRatio) {
      refuse(
        `has a compression ratio of ${Math.round(ratio)}:1 (${formatBytes(entry.compressedSize)} unpack to ${formatBytes(size)}); ` +
          `the limit is ${limits.maxCompressionRatio}:1 — this looks like a zip bomb`,
      );
    }
  }
  return record;
}

/** Exact and case-insensitive duplicates, and names used both as a file and as a folder. */
function nameClashes(records: EntryRecord[], problems: Problem[]): void {
  const files = new Map<string, string>(); // exact name → name
  const foldedFiles = new Map<string, string>(); // folded name → first name
  const foldedDirs = new Map<string, string>();
  const fold = (s: string) => s.normalize('NFC').toLowerCase();
  const reportedDirs = new Set<string>();
  const addDir = (dir: string) => {
    const f = fold(dir);
    const seen = foldedDirs.get(f);
    if (seen === undefined) foldedDirs.set(f, dir);
    else if (seen !== dir && !reportedDirs.has(f)) {
      reportedDirs.add(f);
      problems.push({
        path: dir,
        message: `differs only in letter case from the folder ${seen}; on case-insensitive file systems they merge — use one spelling`,
      });
    }
  };
  for (const r of records) {
    if (!r.ok || r.name === '') continue;
    const segments = r.name.split('/');
    for (let i = 1; i < segments.length; i++) addDir(segments.slice(0, i).join('/'));
    if (r.isDir) {
      addDir(r.name);
      continue;
    }
    if (files.has(r.name)) {
      problems.push({ path: r.name, message: 'is a duplicate entry: the name appears more than once in the zip' });
      r.ok = false;
      continue;
    }
    files.set(r.name, r.name);
    const f = fold(r.name);
    const other = foldedFiles.get(f);
    if (other !== undefined) {
      problems.push({
        path: r.name,
        message: `differs only in letter case from ${other}; on case-insensitive file systems one would overwrite the other — rename one`,
      });
      r.ok = false;
    } else foldedFiles.set(f, r.name);
  }
  for (const [f, name] of foldedFiles) {
    const dir = foldedDirs.get(f);
    if (dir !== undefined) problems.push({ path: name, message: `is both a file and a folder (${dir}/…); rename one` });
  }
}

/** Entries whose data overlap (several names sharing one local header is a known zip-bomb trick). */
function overlaps(records: EntryRecord[], problems: Problem[]): void {
  const sorted = [...records].sort((a, b) => a.entry.relativeOffsetOfLocalHeader - b.entry.relativeOffsetOfLocalHeader);
  for (let i = 1; i < sorted.length; i++) {
    const prev = sorted[i - 1]!;
    const cur = sorted[i]!;
    const prevEnd = prev.entry.relativeOffsetOfLocalHeader + LOCAL_HEADER_SIZE + prev.entry.compressedSize;
    if (cur.entry.relativeOffsetOfLocalHeader < prevEnd) {
      problems.push({
        path: showName(cur.raw),
        message: `overlaps the data of ${showName(prev.raw)} in the zip; overlapping entries are a zip-bomb trick — re-create the zip`,
      });
      cur.ok = false;
    }
  }
}

function locateManifest(records: EntryRecord[], limits: BundleLimits, problems: Problem[]): EntryRecord | null {
  const root = records.find((r) => r.name === MANIFEST_FILE && r.ok);
  if (root && !root.isDir) {
    if (root.entry.uncompressedSize > limits.maxManifestSize) {
      problems.push({
        path: MANIFEST_FILE,
        message: `is ${formatBytes(root.entry.uncompressedSize)}; it may be at most ${formatBytes(limits.maxManifestSize)}`,
      });
      return null;
    }
    return root;
  }
  if (records.some((r) => r.name === MANIFEST_FILE)) return null; // already refused with a reason
  const files = records.filter((r) => r.ok && !r.isDir);
  const nested = files
    .filter((r) => r.name.endsWith(`/${MANIFEST_FILE}`))
    .sort((a, b) => a.name.split('/').length - b.name.split('/').length)[0];
  const otherCase = files.find((r) => r.name.toLowerCase() === MANIFEST_FILE);
  if (nested) {
    problems.push({
      path: '',
      message: `${MANIFEST_FILE} must be at the bundle root; found ${nested.name} — zip the folder's contents, not the folder (e.g. \`cd myapp && zip -r ../myapp.zip .\`)`,
    });
  } else if (otherCase) {
    problems.push({
      path: '',
      message: `${MANIFEST_FILE} is missing at the bundle root; found ${otherCase.name} — the name is case-sensitive, rename it to ${MANIFEST_FILE}`,
    });
  } else {
    problems.push({
      path: '',
      message: `${MANIFEST_FILE} is missing at the bundle root; every bundle needs one with [App] Name, Version, Title and [Runtime] Module`,
    });
  }
  return null;
}

function catalogueImages(catalogue: Catalogue, limits: BundleLimits): void {
  const byName = new Map(catalogue.records.filter((r) => r.ok && !r.isDir).map((r) => [r.name, r]));
  for (const p of ICON_PATHS) {
    const r = byName.get(p);
    if (!r) continue;
    if (r.entry.uncompressedSize > limits.maxIconSize) {
      catalogue.problems.push({
        path: p,
        message: `is ${formatBytes(r.entry.uncompressedSize)}; an icon may be at most ${formatBytes(limits.maxIconSize)} — shrink it (256×256 is plenty)`,
      });
    } else catalogue.icon = r;
    break;
  }
  const collator = new Intl.Collator('en', { numeric: true });
  const shots = [...byName.values()].filter((r) => SCREENSHOT_PATTERN.test(r.name)).sort((a, b) => collator.compare(a.name, b.name));
  if (shots.length > limits.maxScreenshots) {
    catalogue.problems.push({
      path: 'static',
      message: `has ${shots.length} screenshots; at most ${limits.maxScreenshots} are allowed`,
    });
  }
  for (const r of shots) {
    if (r.entry.uncompressedSize > limits.maxScreenshotSize) {
      catalogue.problems.push({
        path: r.name,
        message: `is ${formatBytes(r.entry.uncompressedSize)}; a screenshot may be at most ${formatBytes(limits.maxScreenshotSize)} — shrink or recompress it`,
      });
    }
  }
  catalogue.screenshots = shots.slice(0, limits.maxScreenshots);
}

async function catalogue(zf: ZipFile, limits: BundleLimits): Promise<Catalogue> {
  if (zf.entryCount > limits.maxEntries) {
    throw problemAt('', `the zip has ${zf.entryCount} entries; a bundle may have at most ${limits.maxEntries} (files and folders)`);
  }
  const problems: Problem[] = [];
  const records: EntryRecord[] = [];
  let declaredTotal = 0;
  await readAllEntries(zf, (entry) => {
    const record = describeEntry(entry, limits, problems);
    records.push(record);
    declaredTotal += entry.uncompressedSize;
  });
  if (records.length === 0) {
    throw problemAt('', `the zip is empty: it has no files; a bundle needs ${MANIFEST_FILE} at its root`);
  }
  if (declaredTotal > limits.maxTotalSize) {
    problems.push({
      path: '',
      message: `the bundle unpacks to ${formatBytes(declaredTotal)} in total; it may unpack to at most ${formatBytes(limits.maxTotalSize)}`,
    });
  }
  nameClashes(records, problems);
  overlaps(records, problems);
  const result: Catalogue = { records, problems, manifestRecord: null, icon: null, screenshots: [] };
  result.manifestRecord = locateManifest(records, limits, problems);
  catalogueImages(result, limits);
  return result;
}

// ---------------------------------------------------------------------------
// Pass 2: the data

interface Totals {
  bytes: number;
}

/**
 * Streams one entry, checking the real bytes against its declared size, the limits and its CRC.
 * Keeps the bytes when `keep` (callers only keep entries already checked to be small);
 * hands each chunk to `write` when given.
 */
async function streamEntry(
  zf: ZipFile,
  record: EntryRecord,
  limits: BundleLimits,
  totals: Totals,
  keep: boolean,
  write?: (chunk: Buffer) => Promise<void>,
): Promise<Buffer | null> {
  const { entry } = record;
  const where = record.name;
  const corrupt = (e: unknown) =>
    problemAt(where, `cannot be read (${(e as Error).message}); the zip is corrupt or truncated — re-create it`);
  let raw: Readable;
  try {
    raw = await openRawStream(zf, entry);
  } catch (e) {
    throw corrupt(e);
  }
  let source: Readable = raw;
  if (entry.compressionMethod === 8) {
    const inflate = zlib.createInflateRaw();
    pipeline(raw, inflate, () => undefined); // errors surface through the iteration below
    source = inflate;
  }
  const chunks: Buffer[] = [];
  let n = 0;
  let crc = 0;
  try {
    for await (const chunk of source as AsyncIterable<Buffer>) {
      n += chunk.length;
      totals.bytes += chunk.length;
      if (n > entry.uncompressedSize) {
        throw problemAt(
          where,
          `holds more bytes than the ${entry.uncompressedSize} its header declares; the zip is corrupt or crafted to hide its real size`,
        );
      }
      if (n > limits.maxEntrySize) {
        throw problemAt(where, `unpacks to more than ${formatBytes(limits.maxEntrySize)}, the limit for one file`);
      }
      if (totals.bytes > limits.maxTotalSize) {
        throw problemAt('', `the bundle unpacks to more than ${formatBytes(limits.maxTotalSize)} in total, the limit for a bundle`);
      }
      crc = zlib.crc32(chunk, crc);
      if (keep) chunks.push(chunk);
      if (write) await write(chunk);
    }
  } catch (e) {
    throw e instanceof WharfError ? e : corrupt(e);
  } finally {
    source.destroy();
    raw.destroy();
  }
  if (n < entry.uncompressedSize) {
    throw problemAt(
      where,
      `holds ${n} bytes but its header declares ${entry.uncompressedSize}; the zip is truncated or corrupt — re-create it`,
    );
  }
  if (crc >>> 0 !== entry.crc32 >>> 0) {
    throw problemAt(where, 'fails its CRC-32 check; the zip is corrupt — re-create it');
  }
  return keep ? Buffer.concat(chunks) : null;
}

const PNG_MAGIC = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
const JPEG_MAGIC = Buffer.from([0xff, 0xd8, 0xff]);

/** The image type by magic bytes, or null. */
export function sniffImage(data: Buffer): ImageContentType | null {
  if (data.subarray(0, PNG_MAGIC.length).equals(PNG_MAGIC)) return 'image/png';
  if (data.subarray(0, JPEG_MAGIC.length).equals(JPEG_MAGIC)) return 'image/jpeg';
  return null;
}

function toImage(name: string, data: Buffer, problems: Problem[]): BundleImage | null {
  const expected: ImageContentType = name.endsWith('.png') ? 'image/png' : 'image/jpeg';
  const label = (t: ImageContentType) => (t === 'image/png' ? 'PNG' : 'JPEG');
  const actual = sniffImage(data);
  if (actual === expected) return { path: name, contentType: actual, data };
  problems.push({
    path: name,
    message:
      actual === null
        ? `is not a ${label(expected)} image (its bytes do not start with the ${label(expected)} signature); export a real ${label(expected)}`
        : `is named like a ${label(expected)} but holds a ${label(actual)} image; rename it to .${actual === 'image/png' ? 'png' : 'jpg'}`,
  });
  return null;
}

function decodeUtf8(data: Buffer): string | null {
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(data).replace(/^\uFEFF/, '');
  } catch {
    return null;
  }
}

function manifestProblemsOf(e: unknown): Problem[] {
  if (!WharfError.is(e, 'INVALID')) throw e;
  const details = e.details as { problems?: Problem[] } | undefined;
  return details?.problems ?? [{ path: '', message: e.message }];
}

function throwIfProblems(bundle: Problem[], manifest: Problem[]): void {
  if (bundle.length === 0 && manifest.length === 0) return;
  if (bundle.length === 0) throw bundleError(manifest, `${MANIFEST_FILE} is invalid`);
  throw bundleError([
    ...bundle,
    ...manifest.map((p) => ({ path: p.path ? `${MANIFEST_FILE}:${p.path}` : MANIFEST_FILE, message: p.message })),
  ]);
}

// ---------------------------------------------------------------------------
// Extraction

/** Writes files under one root only: never follows links, never overwrites, undoes itself on failure. */
class Extractor {
  private readonly createdFiles: string[] = [];
  private readonly createdDirs: string[] = [];
  private readonly knownDirs = new Set<string>(['']);
  files = 0;

  private constructor(
    private readonly root: string,
    private readonly createdRootDirs: string[],
  ) {}

  static async create(destDir: string): Promise<Extractor> {
    const abs = path.resolve(destDir);
    const firstCreated = await mkdir(abs, { recursive: true });
    const createdRootDirs: string[] = [];
    if (firstCreated !== undefined) {
      for (let d = abs; d.length >= firstCreated.length; d = path.dirname(d)) {
        createdRootDirs.push(d);
        if (d === path.dirname(d)) break;
      }
    }
    const root = await realpath(abs);
    if (!(await lstat(root)).isDirectory()) throw invalid(`cannot extract into ${destDir}: not a folder`);
    return new Extractor(root, createdRootDirs);
  }

  private target(name: string): string {
    const full = path.join(this.root, ...name.split('/'));
    const rel = path.relative(this.root, full);
    if (rel === '' || rel.startsWith('..') || path.isAbsolute(rel)) {
      throw invalid(`refusing to write ${name}: it resolves outside ${this.root}`);
    }
    return full;
  }

  async ensureDir(name: string): Promise<void> {
    const segments = name.split('/').filter(Boolean);
    for (let i = 1; i <= segments.length; i++) {
      const rel = segments.slice(0, i).join('/');
      if (this.knownDirs.has(rel)) continue;
      const full = this.target(rel);
      try {
        await mkdir(full, { mode: 0o755 });
        this.createdDirs.push(full);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
        const st = await lstat(full);
        if (!st.isDirectory()) {
          throw invalid(`cannot extract into ${full}: it already exists and is not a folder (links are never followed)`);
        }
      }
      this.knownDirs.add(rel);
    }
  }

  async createFile(name: string, executable: boolean): Promise<FileHandle> {
    const dir = name.includes('/') ? name.slice(0, name.lastIndexOf('/')) : '';
    await this.ensureDir(dir);
    const full = this.target(name);
    const flags =
      fsConstants.O_WRONLY | fsConstants.O_CREAT | fsConstants.O_EXCL | (fsConstants.O_NOFOLLOW ?? 0);
    const fh = await openFile(full, flags, executable ? 0o755 : 0o644);
    this.createdFiles.push(full);
    this.files++;
    return fh;
  }

  /** Removes everything this extractor created (files, then folders deepest first). */
  async undo(): Promise<void> {
    for (const f of this.createdFiles.reverse()) await unlink(f).catch(() => undefined);
    for (const d of [...this.createdDirs.reverse(), ...this.createdRootDirs]) await rmdir(d).catch(() => undefined);
  }
}

// ---------------------------------------------------------------------------

interface Processed {
  inspected: InspectedBundle;
}

async function processBundle(zipPath: string, limits: BundleLimits, extractor: Extractor | null): Promise<Processed> {
  const zf = await openZip(zipPath);
  try {
    const cat = await catalogue(zf, limits);
    const totals: Totals = { bytes: 0 };

    // The manifest first: its problems are listed together with the bundle's.
    const manifestProblems: Problem[] = [];
    let manifest: Manifest | null = null;
    if (cat.manifestRecord) {
      const data = await streamEntry(zf, cat.manifestRecord, limits, { bytes: 0 }, true);
      const text = decodeUtf8(data!);
      if (text === null) cat.problems.push({ path: MANIFEST_FILE, message: 'is not valid UTF-8; save it as UTF-8' });
      else {
        try {
          manifest = parseManifest(text);
        } catch (e) {
          manifestProblems.push(...manifestProblemsOf(e));
        }
      }
    }
    let longRecord: EntryRecord | null = null;
    if (manifest?.longDescriptionPath) {
      const p = manifest.longDescriptionPath;
      const r = cat.records.find((x) => x.name === p && x.ok);
      if (!r) {
        manifestProblems.push({ path: 'App.LongDescription', message: `"${p}" is not in the bundle; add the file or fix the path` });
      } else if (r.isDir) {
        manifestProblems.push({ path: 'App.LongDescription', message: `"${p}" is a folder, not a markdown file` });
      } else if (r.entry.uncompressedSize > limits.maxLongDescriptionSize) {
        manifestProblems.push({
          path: 'App.LongDescription',
          message: `"${p}" is ${formatBytes(r.entry.uncompressedSize)}; it may be at most ${formatBytes(limits.maxLongDescriptionSize)}`,
        });
      } else longRecord = r;
    }
    throwIfProblems(cat.problems, manifestProblems);

    // Every entry's real bytes.
    const kept = new Map<EntryRecord, Buffer>();
    const wanted = new Set<EntryRecord>([...(cat.icon ? [cat.icon] : []), ...cat.screenshots, ...(longRecord ? [longRecord] : [])]);
    for (const r of cat.records) {
      if (r.isDir) {
        if (extractor && r.name !== '') await extractor.ensureDir(r.name);
        continue;
      }
      let fh: FileHandle | null = null;
      try {
        if (extractor) fh = await extractor.createFile(r.name, r.executable);
        const handle = fh;
        const write = handle
          ? async (chunk: Buffer) => {
              for (let off = 0; off < chunk.length; ) off += (await handle.write(chunk, off)).bytesWritten;
            }
          : undefined;
        const data = await streamEntry(zf, r, limits, totals, wanted.has(r), write);
        if (data) kept.set(r, data);
      } finally {
        await fh?.close();
      }
    }

    // What the bytes must be.
    const problems: Problem[] = [];
    const icon = cat.icon ? toImage(cat.icon.name, kept.get(cat.icon)!, problems) : null;
    const screenshots = cat.screenshots
      .map((r) => toImage(r.name, kept.get(r)!, problems))
      .filter((x): x is BundleImage => x !== null);
    let longDescription: string | null = null;
    if (longRecord) {
      longDescription = decodeUtf8(kept.get(longRecord)!);
      if (longDescription === null) {
        problems.push({ path: longRecord.name, message: 'is not valid UTF-8; save the long description as UTF-8' });
      }
    }
    throwIfProblems(problems, []);
    return {
      inspected: {
        manifest: manifest!,
        longDescription,
        icon,
        screenshots,
        entries: cat.records.length,
        uncompressedSize: totals.bytes,
      },
    };
  } finally {
    zf.close();
  }
}

/**
 * Reads and checks a bundle without extracting it: walks every entry of the central
 * directory, streams every file once (never the whole zip in memory), validates
 * `app.toml`, and returns the manifest, the long description and the images.
 * Throws an INVALID `WharfError` listing every problem (what, where, how to fix).
 */
export async function inspectBundle(zipPath: string, limits?: Partial<BundleLimits>): Promise<InspectedBundle> {
  return (await processBundle(zipPath, resolveLimits(limits), null)).inspected;
}

/**
 * Extracts a bundle under `destDir` (created if missing) after the same checks as
 * `inspectBundle`. Never follows links (O_NOFOLLOW, existing links refused), never
 * overwrites (O_EXCL); on any failure, removes everything it wrote and rethrows.
 */
export async function extractBundle(
  zipPath: string,
  destDir: string,
  limits?: Partial<BundleLimits>,
): Promise<{ files: number; bytes: number }> {
  const resolved = resolveLimits(limits);
  const extractor = await Extractor.create(destDir);
  try {
    const { inspected } = await processBundle(zipPath, resolved, extractor);
    return { files: extractor.files, bytes: inspected.uncompressedSize };
  } catch (e) {
    await extractor.undo();
    throw e;
  }
}
