import zlib from 'node:zlib';

/**
 * A small raw zip writer for tests: local headers + central directory, stored or
 * deflated, and every field overridable — so tests can craft the archives that
 * well-behaved writers (yazl) refuse to make: `../evil` names, absolute paths,
 * backslashes, symlinks, lying sizes, encrypted flags, duplicates, overlapping entries.
 */

/** Data already compressed with raw deflate (e.g. `deflatedZeros`), with the size and CRC-32 of what it inflates to. */
export interface PrecompressedData {
  data: Buffer;
  size: number;
  crc32: number;
}

export interface RawZipEntry {
  /** Written byte for byte (a string is UTF-8 encoded and flagged as UTF-8). */
  name: string | Buffer;
  /** Uncompressed content (default empty). Ignored when `deflated` is given. */
  data?: Buffer | string;
  /** `store` (0), `deflate` (8, the default) or any method number (the data is then written as is). */
  method?: 'store' | 'deflate' | number;
  /** Pre-deflated content; the entry is written with method 8. */
  deflated?: PrecompressedData;
  /** Lie about the uncompressed size (both headers). */
  declaredSize?: number;
  /** Lie about the compressed size (both headers; the real bytes are still written). */
  declaredCompressedSize?: number;
  /** Lie about the CRC-32 (both headers). */
  crc32?: number;
  /** Unix `st_mode`, type bits included: 0o100644 by default, 0o040755 for names ending in `/`, 0o120777 for a symlink. */
  unixMode?: number;
  /** Overrides the whole external attributes field (then `unixMode` is ignored). */
  externalAttributes?: number;
  /** Default 0x0314: made on Unix, zip 2.0. */
  versionMadeBy?: number;
  /** General purpose bits OR'ed in, e.g. 0x1 (encrypted). */
  flags?: number;
  /** Index of an earlier entry: write no local header or data, point the central record at that entry's. */
  sharesDataWith?: number;
}

const DOS_DATE_1980_01_01 = (0 << 9) | (1 << 5) | 1;
const UTF8_FLAG = 0x800;

interface Prepared {
  name: Buffer;
  flags: number;
  method: number;
  crc: number;
  compressed: Buffer;
  compressedSize: number;
  size: number;
  versionMadeBy: number;
  external: number;
}

function prepare(e: RawZipEntry): Prepared {
  const name = typeof e.name === 'string' ? Buffer.from(e.name, 'utf8') : e.name;
  const data = typeof e.data === 'string' ? Buffer.from(e.data, 'utf8') : (e.data ?? Buffer.alloc(0));
  let method: number;
  let compressed: Buffer;
  let size: number;
  let crc: number;
  if (e.deflated) {
    method = 8;
    compressed = e.deflated.data;
    size = e.deflated.size;
    crc = e.deflated.crc32;
  } else {
    method = e.method === 'store' ? 0 : e.method === 'deflate' || e.method === undefined ? 8 : e.method;
    compressed = method === 8 ? zlib.deflateRawSync(data) : data;
    size = data.length;
    crc = zlib.crc32(data);
  }
  const isDir = typeof e.name === 'string' && e.name.endsWith('/');
  const mode = e.unixMode ?? (isDir ? 0o040755 : 0o100644);
  return {
    name,
    flags: (typeof e.name === 'string' ? UTF8_FLAG : 0) | (e.flags ?? 0),
    method,
    crc: (e.crc32 ?? crc) >>> 0,
    compressed,
    compressedSize: e.declaredCompressedSize ?? compressed.length,
    size: e.declaredSize ?? size,
    versionMadeBy: e.versionMadeBy ?? 0x0314,
    external: e.externalAttributes ?? (((mode & 0xffff) << 16) | (isDir ? 0x10 : 0)) >>> 0,
  };
}

function localHeader(p: Prepared): Buffer {
  const h = Buffer.alloc(30);
  h.writeUInt32LE(0x04034b50, 0);
  h.writeUInt16LE(20, 4);
  h.writeUInt16LE(p.flags, 6);
  h.writeUInt16LE(p.method, 8);
  h.writeUInt16LE(0, 10);
  h.writeUInt16LE(DOS_DATE_1980_01_01, 12);
  h.writeUInt32LE(p.crc, 14);
  h.writeUInt32LE(p.compressedSize >>> 0, 18);
  h.writeUInt32LE(p.size >>> 0, 22);
  h.writeUInt16LE(p.name.length, 26);
  h.writeUInt16LE(0, 28);
  return Buffer.concat([h, p.name]);
}

function centralHeader(p: Prepared, offset: number): Buffer {
  const h = Buffer.alloc(46);
  h.writeUInt32LE(0x02014b50, 0);
  h.writeUInt16LE(p.versionMadeBy, 4);
  h.writeUInt16LE(20, 6);
  h.writeUInt16LE(p.flags, 8);
  h.writeUInt16LE(p.method, 10);
  h.writeUInt16LE(0, 12);
  h.writeUInt16LE(DOS_DATE_1980_01_01, 14);
  h.writeUInt32LE(p.crc, 16);
  h.writeUInt32LE(p.compressedSize >>> 0, 20);
  h.writeUInt32LE(p.size >>> 0, 24);
  h.writeUInt16LE(p.name.length, 28);
  h.writeUInt16LE(0, 30); // extra field length
  h.writeUInt16LE(0, 32); // comment length
  h.writeUInt16LE(0, 34); // disk number
  h.writeUInt16LE(0, 36); // internal attributes
  h.writeUInt32LE(p.external, 38);
  h.writeUInt32LE(offset, 42);
  return Buffer.concat([h, p.name]);
}

/** Builds a zip archive in memory from raw entries (no ZIP64: keep it under 4 GiB and 65535 entries). */
export function rawZip(entries: RawZipEntry[]): Buffer {
  const parts: Buffer[] = [];
  const central: Buffer[] = [];
  const offsets: number[] = [];
  let offset = 0;
  entries.forEach((e, i) => {
    const p = prepare(e);
    if (e.sharesDataWith !== undefined) {
      const target = offsets[e.sharesDataWith];
      if (target === undefined || e.sharesDataWith >= i) throw new Error(`sharesDataWith must name an earlier entry (entry ${i})`);
      offsets.push(target);
      central.push(centralHeader(p, target));
      return;
    }
    offsets.push(offset);
    const local = localHeader(p);
    parts.push(local, p.compressed);
    central.push(centralHeader(p, offset));
    offset += local.length + p.compressed.length;
  });
  const cd = Buffer.concat(central);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(0, 4);
  end.writeUInt16LE(0, 6);
  end.writeUInt16LE(entries.length, 8);
  end.writeUInt16LE(entries.length, 10);
  end.writeUInt32LE(cd.length, 12);
  end.writeUInt32LE(offset, 16);
  end.writeUInt16LE(0, 20);
  return Buffer.concat([...parts, cd, end]);
}

const zerosCache = new Map<number, PrecompressedData>();
let zeroBlock: Buffer | undefined;

/**
 * Raw deflate of `mib` MiB of zeros without ever holding them: one fully flushed
 * 1 MiB block (about 1 KiB compressed) repeated, then an empty final block.
 * 300 MiB → about 300 KiB, built in milliseconds.
 */
export function deflatedZeros(mib: number): PrecompressedData {
  const cached = zerosCache.get(mib);
  if (cached) return cached;
  const oneMiB = Buffer.alloc(1 << 20);
  zeroBlock ??= zlib.deflateRawSync(oneMiB, { level: 9, finishFlush: zlib.constants.Z_FULL_FLUSH });
  const finalBlock = zlib.deflateRawSync(Buffer.alloc(0));
  let crc = 0;
  for (let i = 0; i < mib; i++) crc = zlib.crc32(oneMiB, crc);
  const result: PrecompressedData = {
    data: Buffer.concat([...Array.from({ length: mib }, () => zeroBlock!), finalBlock]),
    size: mib * (1 << 20),
    crc32: crc >>> 0,
  };
  zerosCache.set(mib, result);
  return result;
}
