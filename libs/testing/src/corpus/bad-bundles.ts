import { HELLO_APP_PY, PNG_SIGNATURE, buildBundle, makeIcon, validManifest } from '../bundle-builder';
import { deflatedZeros, rawZip, type RawZipEntry } from '../zip-writer';

/**
 * Bundles Wharf must refuse, built by code (nothing binary is committed). Each one
 * is refused with the default bundle limits; `expect` is matched against the error
 * message. Building the whole corpus takes well under a second.
 */
export interface BadBundle {
  id: string;
  description: string;
  /** Matched against the error message. */
  expect: RegExp;
  build: () => Promise<Buffer>;
}

/** A valid app plus crafted entries, written with the raw zip writer. */
const crafted = (...extra: RawZipEntry[]) => async (): Promise<Buffer> =>
  rawZip([
    { name: 'app.toml', data: validManifest() },
    { name: 'hello/__init__.py', data: '' },
    { name: 'hello/app.py', data: HELLO_APP_PY },
    ...extra,
  ]);

const withManifest = (text: string) => () => buildBundle({ manifest: text });

const MiB = 1 << 20;

export const BAD_BUNDLES: BadBundle[] = [
  // --- not a usable zip -----------------------------------------------------
  {
    id: 'not-a-zip',
    description: 'plain text, not a zip archive',
    expect: /not a valid zip archive/,
    build: async () => Buffer.from('this is a text file that someone renamed to bundle.zip\n'.repeat(20)),
  },
  {
    id: 'truncated-zip',
    description: 'a valid bundle cut in the middle (an interrupted upload)',
    expect: /truncated/,
    build: async () => {
      const zip = await buildBundle();
      return zip.subarray(0, Math.floor(zip.length * 0.6));
    },
  },
  {
    id: 'empty-zip',
    description: 'a well-formed zip with no entries',
    expect: /the zip is empty/,
    build: async () => rawZip([]),
  },
  // --- app.toml missing or misplaced -----------------------------------------
  {
    id: 'missing-app-toml',
    description: 'no app.toml anywhere',
    expect: /app\.toml is missing at the bundle root/,
    build: () => buildBundle({ manifest: null }),
  },
  {
    id: 'app-toml-in-subfolder',
    description: 'the folder was zipped instead of its contents',
    expect: /app\.toml must be at the bundle root; found myapp\/app\.toml — zip the folder's contents, not the folder/,
    build: () => buildBundle({ folder: 'myapp' }),
  },
  {
    id: 'app-toml-wrong-case',
    description: 'App.toml instead of app.toml',
    expect: /found App\.toml — the name is case-sensitive/,
    build: () => buildBundle({ manifest: null, files: { 'App.toml': validManifest() } }),
  },
  {
    id: 'app-toml-too-large',
    description: 'an app.toml over 64 KiB',
    expect: /app\.toml: is [\d.]+ KiB; it may be at most 64 KiB/,
    build: () => buildBundle({ manifest: `${validManifest()}\n# ${'padding '.repeat(9000)}\n` }),
  },
  // --- app.toml content ------------------------------------------------------
  {
    id: 'invalid-toml-syntax',
    description: 'an unquoted version: a TOML syntax error on line 3',
    expect: /app\.toml is invalid: not valid TOML at line 3:\d+/,
    build: withManifest('[App]\nName = "hello-wave"\nVersion = 1.0.0\nTitle = "Hello"\n\n[Runtime]\nModule = "hello.app"\n'),
  },
  {
    id: 'missing-required-fields',
    description: 'no Name, Version or Module: every one is listed',
    expect: /App\.Name: is required.*App\.Version: is required.*Runtime\.Module: is required/,
    build: withManifest('[App]\nTitle = "Nameless"\n\n[Runtime]\nMemoryLimit = "256Mi"\n'),
  },
  {
    id: 'bad-semver',
    description: 'Version = "1.2" is not semver',
    expect: /App\.Version: must be a semantic version/,
    build: () => buildBundle({ app: { version: '1.2' } }),
  },
  {
    id: 'bad-name',
    description: 'an app name with upper case and an underscore',
    expect: /App\.Name: must match/,
    build: () => buildBundle({ app: { name: 'Hello_World' } }),
  },
  {
    id: 'unknown-category',
    description: 'a category outside the catalog list',
    expect: /App\.Category\[0\]: unknown category "Games"; allowed: All, Data Science/,
    build: () => buildBundle({ app: { categories: ['Games'] } }),
  },
  {
    id: 'unknown-key',
    description: 'a typo (Modul) is not silently ignored',
    expect: /Runtime\.Modul: unknown key \(did you mean Module\?\)/,
    build: withManifest(validManifest().replace('Module = ', 'Modul = ')),
  },
  {
    id: 'reservation-over-limit',
    description: 'MemoryReservation larger than MemoryLimit',
    expect: /Runtime\.MemoryReservation: 1Gi is more than MemoryLimit 256Mi/,
    build: () => buildBundle({ app: { memoryLimit: '256Mi', memoryReservation: '1Gi' } }),
  },
  {
    id: 'volume-mount-without-size',
    description: 'VolumeMount without VolumeSize',
    expect: /Runtime\.VolumeSize: is required when VolumeMount is set/,
    build: () => buildBundle({ app: { volumeMount: '/data' } }),
  },
  {
    id: 'reserved-env-name',
    description: 'an env variable in the platform namespace (WHARF_)',
    expect: /Env\[1\]\.Name: names starting with WHARF_ are reserved/,
    build: () => buildBundle({ app: { env: [{ name: 'GREETING', value: 'hi' }, { name: 'WHARF_TOKEN', value: 'x' }] } }),
  },
  {
    id: 'secret-without-key',
    description: 'Secret without SecretKey',
    expect: /Env\[0\]\.SecretKey: is required when Secret is set/,
    build: () => buildBundle({ app: { env: [{ name: 'API_TOKEN', secret: 'hello-secrets' }] } }),
  },
  {
    id: 'duplicate-env',
    description: 'the same env variable twice',
    expect: /Env\[1\]\.Name: duplicate: GREETING is already set by Env\[0\]/,
    build: () => buildBundle({ app: { env: [{ name: 'GREETING', value: 'a' }, { name: 'GREETING', value: 'b' }] } }),
  },
  {
    id: 'long-description-missing',
    description: 'LongDescription points at a file that is not in the bundle',
    expect: /App\.LongDescription: "docs\/README\.md" is not in the bundle/,
    build: () => buildBundle({ app: { longDescription: 'docs/README.md' } }),
  },
  {
    id: 'long-description-not-utf8',
    description: 'a long description in Latin-1',
    expect: /README\.md: is not valid UTF-8/,
    build: () => buildBundle({ app: { longDescription: 'README.md' }, files: { 'README.md': Buffer.from([0x43, 0x61, 0x66, 0xe9, 0x0a]) } }),
  },
  // --- hostile names and entry types --------------------------------------------
  {
    id: 'zip-slip',
    description: 'an entry that climbs out of the extraction folder',
    expect: /\.\.\/\.\.\/evil\.sh: contains a "\.\." segment .*\(zip-slip\)/,
    build: crafted({ name: '../../evil.sh', data: 'echo pwned\n' }),
  },
  {
    id: 'zip-slip-nested',
    description: 'a ".." hidden in the middle of a path',
    expect: /zip-slip/,
    build: crafted({ name: 'static/../../../tmp/evil.py', data: 'print("pwned")\n' }),
  },
  {
    id: 'absolute-path',
    description: 'an absolute Unix path',
    expect: /\/etc\/cron\.d\/evil: is an absolute path/,
    build: crafted({ name: '/etc/cron.d/evil', data: '* * * * * root true\n' }),
  },
  {
    id: 'absolute-path-windows',
    description: 'a Windows drive path',
    expect: /C:\\Windows\\evil\.bat: is an absolute path/,
    build: crafted({ name: 'C:\\Windows\\evil.bat', data: 'echo pwned\r\n' }),
  },
  {
    id: 'unc-path',
    description: 'a Windows network path',
    expect: /is an absolute network \(UNC\) path/,
    build: crafted({ name: '\\\\server\\share\\evil.bat', data: 'echo pwned\r\n' }),
  },
  {
    id: 'backslash-path',
    description: 'backslashes as separators',
    expect: /hello\\evil\.py: has a backslash in its name/,
    build: crafted({ name: 'hello\\evil.py', data: 'print("x")\n' }),
  },
  {
    id: 'control-char-name',
    description: 'a NUL byte in a name (truncates paths in C code)',
    expect: /has a NUL or control character in its name/,
    build: crafted({ name: 'hello/evil\u0000.py', data: 'print("x")\n' }),
  },
  {
    id: 'symlink-entry',
    description: 'a symbolic link to /etc/passwd',
    expect: /hello\/link: is a symbolic link/,
    build: crafted({ name: 'hello/link', data: '/etc/passwd', method: 'store', unixMode: 0o120777 }),
  },
  {
    id: 'fifo-entry',
    description: 'a named pipe',
    expect: /hello\/pipe: is not a regular file or folder/,
    build: crafted({ name: 'hello/pipe', data: '', method: 'store', unixMode: 0o010644 }),
  },
  {
    id: 'duplicate-entry-names',
    description: 'the same name twice: which one wins depends on the extractor',
    expect: /hello\/app\.py: is a duplicate entry/,
    build: crafted({ name: 'hello/app.py', data: 'print("the other one")\n' }),
  },
  {
    id: 'case-insensitive-duplicates',
    description: 'names equal but for case overwrite each other on macOS and Windows',
    expect: /hello\/App\.py: differs only in letter case from hello\/app\.py/,
    build: crafted({ name: 'hello/App.py', data: 'print("shadow")\n' }),
  },
  {
    id: 'file-and-folder',
    description: 'a file whose name is also a folder',
    expect: /hello: is both a file and a folder/,
    build: crafted({ name: 'hello', data: 'x' }),
  },
  {
    id: 'encrypted-entry',
    description: 'a password-protected entry',
    expect: /hello\/secret\.py: is encrypted/,
    build: crafted({ name: 'hello/secret.py', data: Buffer.alloc(40, 0x5a), method: 'store', declaredSize: 28, flags: 0x1 }),
  },
  {
    id: 'unsupported-compression',
    description: 'bzip2 (method 12), which Wharf cannot read',
    expect: /uses compression method 12/,
    build: crafted({ name: 'data/table.csv', data: Buffer.from('BZh91AY&SY not really'), method: 12 }),
  },
  // --- lying headers and bombs ------------------------------------------------
  {
    id: 'entry-size-lie',
    description: 'declares 1000 bytes but inflates to 1 MiB (headers can lie)',
    expect: /data\/big\.bin: holds more bytes than the 1000 its header declares/,
    build: crafted({ name: 'data/big.bin', data: Buffer.alloc(MiB, 0x61), declaredSize: 1000 }),
  },
  {
    id: 'entry-size-short',
    description: 'declares more bytes than it holds',
    expect: /data\/short\.bin: holds 100 bytes but its header declares 5000/,
    build: crafted({ name: 'data/short.bin', data: Buffer.alloc(100, 0x62), declaredSize: 5000 }),
  },
  {
    id: 'stored-size-lie',
    description: 'a stored entry whose sizes disagree',
    expect: /data\/stored\.bin: is stored uncompressed but declares 10 bytes while holding 100/,
    build: crafted({ name: 'data/stored.bin', data: Buffer.alloc(100, 0x63), method: 'store', declaredSize: 10 }),
  },
  {
    id: 'crc-mismatch',
    description: 'content that does not match its CRC-32',
    expect: /hello\/util\.py: fails its CRC-32 check/,
    build: crafted({ name: 'hello/util.py', data: 'print("tampered")\n', crc32: 0x12345678 }),
  },
  {
    id: 'zip-bomb',
    description: '300 MiB of zeros deflated to ~300 KiB (ratio ~1000:1)',
    expect: /data\/zeros\.bin: .*has a compression ratio of \d+:1/,
    build: crafted({ name: 'data/zeros.bin', deflated: deflatedZeros(300) }),
  },
  {
    id: 'total-size-bomb',
    description: 'six entries of 200 MiB each: 1.2 GiB in total',
    expect: /the bundle unpacks to 1\.2 GiB in total; it may unpack to at most 1 GiB/,
    build: crafted(...Array.from({ length: 6 }, (_, i): RawZipEntry => ({ name: `data/part${i}.bin`, deflated: deflatedZeros(200) }))),
  },
  {
    id: 'overlapping-entries',
    description: 'two names sharing one local header (the "better zip bomb" trick)',
    expect: /data\/b\.bin: overlaps the data of data\/a\.bin/,
    build: crafted({ name: 'data/a.bin', data: 'x'.repeat(100) }, { name: 'data/b.bin', data: 'x'.repeat(100), sharesDataWith: 3 }),
  },
  {
    id: 'too-many-entries',
    description: '10 003 entries (the limit is 10 000)',
    expect: /the zip has 10003 entries; a bundle may have at most 10000/,
    build: crafted(...Array.from({ length: 10_000 }, (_, i): RawZipEntry => ({ name: `f/${i}`, method: 'store' }))),
  },
  // --- images -------------------------------------------------------------------
  {
    id: 'fake-png-icon',
    description: 'a text file named icon.png',
    expect: /static\/icon\.png: is not a PNG image/,
    build: () => buildBundle({ icon: false, files: { 'static/icon.png': 'not an image, just text\n' } }),
  },
  {
    id: 'oversized-icon',
    description: 'a 300 KiB icon',
    expect: /static\/icon\.png: is 300 KiB; an icon may be at most 256 KiB/,
    build: () => buildBundle({ icon: false, files: { 'static/icon.png': Buffer.concat([PNG_SIGNATURE, Buffer.alloc(300 * 1024 - 8)]) } }),
  },
  {
    id: 'oversized-screenshot',
    description: 'a 600 KiB screenshot (images travel base64 over NATS)',
    expect: /static\/screenshot1\.png: is 600 KiB; a screenshot may be at most 512 KiB/,
    build: () => buildBundle({ files: { 'static/screenshot1.png': Buffer.concat([PNG_SIGNATURE, Buffer.alloc(600 * 1024 - 8)]) } }),
  },
  {
    id: 'screenshot-wrong-type',
    description: 'a PNG named .jpg',
    expect: /static\/screenshot1\.jpg: is named like a JPEG but holds a PNG image/,
    build: () => buildBundle({ files: { 'static/screenshot1.jpg': makeIcon(1) } }),
  },
  {
    id: 'too-many-screenshots',
    description: '11 screenshots (the limit is 10)',
    expect: /static: has 11 screenshots; at most 10 are allowed/,
    build: () => buildBundle({ screenshots: 11 }),
  },
];
