/**
 * Builds the sample bundles: every folder here with an `app.toml` becomes `dist/<name>.zip`.
 * Zips are deterministic (fixed timestamps, sorted entries), so a bundle's sha256 only changes
 * when its files do. `wheel-app` also gets `wheels/wharf_greeting-1.0.0-py3-none-any.whl`,
 * built here from `wheel-app/wheel-src/` (a wheel is a zip: the package + a `.dist-info`).
 *
 *   pnpm --filter @wharf/examples build      # → examples/dist/{hello,echo-ws,wheel-app,crash,attacker}.zip
 */
import { createHash } from 'node:crypto';
import { createWriteStream, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { ZipFile } from 'yazl';

/** The examples folder, whether this runs from source (Jest) or compiled (`dist/tool/build.js`). */
export const EXAMPLES_DIR = __dirname.endsWith(path.join('dist', 'tool')) ? path.resolve(__dirname, '../..') : __dirname;

export const EXAMPLES = ['hello', 'echo-ws', 'wheel-app', 'crash', 'attacker'] as const;
export type ExampleName = (typeof EXAMPLES)[number];

const MTIME = new Date(Date.UTC(2020, 0, 1));
/** Source-only folders that never go into a bundle. */
const SKIP = new Set(['__pycache__', 'wheel-src', '.venv', 'dist']);

interface Entry {
  name: string;
  data: Buffer;
}

function walk(dir: string, prefix = ''): Entry[] {
  const out: Entry[] = [];
  for (const name of readdirSync(dir).sort()) {
    if (SKIP.has(name) || name.endsWith('.pyc')) continue;
    const full = path.join(dir, name);
    const rel = prefix ? `${prefix}/${name}` : name;
    if (statSync(full).isDirectory()) out.push(...walk(full, rel));
    else out.push({ name: rel, data: readFileSync(full) });
  }
  return out;
}

/** The files of an example, as its bundle holds them (for specs that change one, e.g. its app.toml). */
export function exampleFiles(name: ExampleName): Record<string, Buffer> {
  return Object.fromEntries(walk(path.join(EXAMPLES_DIR, name)).map((e) => [e.name, e.data]));
}

async function writeZip(file: string, entries: Entry[]): Promise<void> {
  const zip = new ZipFile();
  for (const e of [...entries].sort((a, b) => a.name.localeCompare(b.name))) {
    zip.addBuffer(e.data, e.name, { mtime: MTIME, mode: 0o100644 });
  }
  zip.end();
  await pipeline(zip.outputStream, createWriteStream(file));
}

/** `sha256=<urlsafe base64, no padding>` as wheel RECORD files write it. */
const recordHash = (data: Buffer) => `sha256=${createHash('sha256').update(data).digest('base64url')}`;

/** A pure-Python wheel of every package folder under `srcDir`: the files, METADATA, WHEEL and RECORD. */
export function wheelEntries(srcDir: string, dist: string, version: string, summary: string): Entry[] {
  const info = `${dist.replace(/-/g, '_')}-${version}.dist-info`;
  const files = walk(srcDir);
  files.push({
    name: `${info}/METADATA`,
    data: Buffer.from(`Metadata-Version: 2.1\nName: ${dist}\nVersion: ${version}\nSummary: ${summary}\n`),
  });
  files.push({
    name: `${info}/WHEEL`,
    data: Buffer.from('Wheel-Version: 1.0\nGenerator: wharf-examples\nRoot-Is-Purelib: true\nTag: py3-none-any\n'),
  });
  const record = files.map((f) => `${f.name},${recordHash(f.data)},${f.data.length}`);
  record.push(`${info}/RECORD,,`);
  files.push({ name: `${info}/RECORD`, data: Buffer.from(record.join('\n') + '\n') });
  return files;
}

async function bundleEntries(name: ExampleName, tmpDir: string): Promise<Entry[]> {
  const dir = path.join(EXAMPLES_DIR, name);
  const entries = walk(dir);
  if (name === 'wheel-app') {
    const wheelName = 'wharf_greeting-1.0.0-py3-none-any.whl';
    const wheelFile = path.join(tmpDir, wheelName);
    await writeZip(
      wheelFile,
      wheelEntries(path.join(dir, 'wheel-src'), 'wharf-greeting', '1.0.0', 'Greetings for the Wharf wheel example'),
    );
    entries.push({ name: `wheels/${wheelName}`, data: readFileSync(wheelFile) });
  }
  return entries;
}

/** Builds one example into `<outDir>/<name>.zip` and answers its path. */
export async function buildExample(name: ExampleName, outDir: string): Promise<string> {
  mkdirSync(outDir, { recursive: true });
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'wharf-wheel-'));
  try {
    const file = path.join(outDir, `${name}.zip`);
    await writeZip(file, await bundleEntries(name, tmp));
    return file;
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

/** Builds every example; answers `{ name: zip path }`. */
export async function buildExamples(outDir = path.join(EXAMPLES_DIR, 'dist')): Promise<Record<ExampleName, string>> {
  const out = {} as Record<ExampleName, string>;
  for (const name of EXAMPLES) out[name] = await buildExample(name, outDir);
  return out;
}

if (require.main === module) {
  buildExamples()
    .then((built) => {
      for (const [name, file] of Object.entries(built)) {
        const sha = createHash('sha256').update(readFileSync(file)).digest('hex');
        console.log(`${name}: ${path.relative(process.cwd(), file)} (${statSync(file).size} bytes, sha256 ${sha})`);
      }
    })
    .catch((e: unknown) => {
      console.error(e);
      process.exit(1);
    });
}
