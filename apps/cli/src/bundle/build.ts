import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream, existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { inspectBundle, MANIFEST_FILE, type InspectedBundle } from '@wharf/manifest';
import ignore from 'ignore';
import { ZipFile } from 'yazl';
import { CliError, UsageError } from '../errors';
import { joinWheel, parseRequirements, REQUIREMENTS_FILE, selectWheels } from './wheels';

/** The ignore file of an app folder (gitignore syntax). */
export const IGNORE_FILE = '.wharfignore';
/** Never in a bundle, whatever .wharfignore says. */
export const ALWAYS_IGNORED = ['.git/', '__pycache__/', '*.pyc', '.venv/', IGNORE_FILE, '.DS_Store'];

/**
 * Every entry gets the same time (2020-01-01 00:00, local time, as DOS times are: the same bytes in
 * every time zone, as no extended timestamp is written) and the same mode, so that the same files
 * make the same zip, byte for byte.
 */
const MTIME = new Date(2020, 0, 1, 0, 0, 0);
const FILE_MODE = 0o100644;

/** A file to put in a bundle: from disk or from memory. */
export interface BundleFile {
  name: string;
  file?: string;
  data?: Buffer;
}

/** A field problem of a bundle, as the server reports it: where (`app.toml:App.Version`, a file) and what. */
export interface Problem {
  path: string;
  message: string;
}

/** The bundle breaks the server's rules: every problem, each with where it is. */
export class BundleInvalid extends CliError {
  constructor(
    readonly source: string,
    readonly problems: Problem[],
  ) {
    super(`${source} is not a valid bundle:\n${problems.map((p) => `  - ${p.path ? `${p.path}: ` : ''}${p.message}`).join('\n')}`);
    this.name = 'BundleInvalid';
  }
}

/**
 * The files of an app folder that go into its bundle, sorted by name: everything but what
 * .wharfignore and ALWAYS_IGNORED exclude, and `exclude` (the zip being written). Links to files
 * are followed; a link to a folder is an error (it could loop), as is anything not a file.
 */
export function collectFiles(dir: string, exclude: string[] = []): BundleFile[] {
  const root = path.resolve(dir);
  const ig = ignore().add(ALWAYS_IGNORED);
  const ignoreFile = path.join(root, IGNORE_FILE);
  if (existsSync(ignoreFile)) ig.add(readFileSync(ignoreFile, 'utf8'));
  const skip = new Set(exclude.map((f) => path.resolve(f)));
  const out: BundleFile[] = [];
  const walk = (abs: string, rel: string) => {
    for (const name of readdirSync(abs).sort()) {
      const full = path.join(abs, name);
      const relName = rel ? `${rel}/${name}` : name;
      if (skip.has(full)) continue;
      const link = lstatSync(full);
      const st = link.isSymbolicLink() ? statSync(full, { throwIfNoEntry: false }) : link;
      if (!st) throw new CliError(`${full} is a link to nothing: remove it, or add ${relName} to ${IGNORE_FILE}`);
      if (st.isDirectory()) {
        if (ig.ignores(`${relName}/`)) continue;
        if (link.isSymbolicLink()) throw new CliError(`${full} is a link to a folder: bundles hold no links; copy the folder in, or add ${relName} to ${IGNORE_FILE}`);
        walk(full, relName);
      } else if (ig.ignores(relName)) {
        continue;
      } else if (st.isFile()) {
        out.push({ name: relName, file: full });
      } else {
        throw new CliError(`${full} is not a regular file: add ${relName} to ${IGNORE_FILE}`);
      }
    }
  };
  walk(root, '');
  return sortFiles(out);
}

const sortFiles = (files: BundleFile[]) => files.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));

/** Writes `files` as a zip at `out`: sorted, fixed time and mode, so the same files give the same bytes. */
export async function writeZip(files: BundleFile[], out: string): Promise<void> {
  const zip = new ZipFile();
  const opts = { mtime: MTIME, mode: FILE_MODE, forceDosTimestamp: true };
  for (const f of sortFiles([...files])) {
    if (f.data) zip.addBuffer(f.data, f.name, opts);
    else zip.addReadStream(createReadStream(f.file!), f.name, opts);
  }
  zip.end();
  await pipeline(zip.outputStream, createWriteStream(out, { mode: 0o644 }));
}

/** The problems of a failed inspection, with app.toml's field paths prefixed by the file. */
export function problemsOf(e: unknown): Problem[] | null {
  const details = (e as { details?: { problems?: unknown } } | null)?.details;
  if (!details || !Array.isArray(details.problems)) return null;
  const manifestOnly = e instanceof Error && e.message.startsWith(`${MANIFEST_FILE} is invalid`);
  return (details.problems as { path?: unknown; message?: unknown }[]).map((p) => {
    const at = typeof p.path === 'string' ? p.path : '';
    return { path: manifestOnly ? (at ? `${MANIFEST_FILE}:${at}` : MANIFEST_FILE) : at, message: String(p.message) };
  });
}

/** Checks a zip with the server's own rules (libs/manifest); a BundleInvalid lists every problem. */
export async function inspectZip(zip: string, source = zip): Promise<InspectedBundle> {
  try {
    return await inspectBundle(zip);
  } catch (e) {
    const problems = problemsOf(e);
    if (problems) throw new BundleInvalid(source, problems);
    throw e;
  }
}

export interface BuildOptions {
  /** where the zip goes */
  out: string;
  /** a folder of wheels: those the requirements name are copied into the bundle's wheels/ */
  wheels?: string;
  /** app.toml's text as it should be in the zip (deploy sets the version), instead of the file's */
  manifest?: string;
}

export interface Built {
  file: string;
  size: number;
  sha256: string;
  files: number;
  wheels: string[];
  bundle: InspectedBundle;
}

/** The bundle's files: the folder's, with `manifest` over app.toml and the selected wheels added. */
export function bundleFiles(dir: string, opts: Omit<BuildOptions, 'out'> & { exclude?: string[] }): { files: BundleFile[]; wheels: string[] } {
  const root = path.resolve(dir);
  if (!existsSync(root) || !statSync(root).isDirectory()) throw new UsageError(`${dir} is not a folder: give the app's folder (with ${MANIFEST_FILE} in it)`);
  let files = collectFiles(root, opts.exclude);
  if (opts.manifest !== undefined) {
    files = files.filter((f) => f.name !== MANIFEST_FILE);
    files.push({ name: MANIFEST_FILE, data: Buffer.from(opts.manifest) });
  }
  let wheels: string[] = [];
  if (opts.wheels) {
    const reqFile = path.join(root, REQUIREMENTS_FILE);
    if (!existsSync(reqFile)) throw new UsageError(`--wheels: ${dir} has no ${REQUIREMENTS_FILE}: list the requirements there, one a line (e.g. requests==2.32.3)`);
    wheels = selectWheels(parseRequirements(readFileSync(reqFile, 'utf8')), opts.wheels);
    const names = new Set(wheels.map(joinWheel));
    files = files.filter((f) => !names.has(f.name));
    files.push(...wheels.map((w) => ({ name: joinWheel(w), file: path.join(opts.wheels!, w) })));
  }
  return { files: sortFiles(files), wheels };
}

/**
 * Builds an app folder into a bundle at `opts.out`: written next to it under a temporary name,
 * checked with the server's rules, then renamed into place; when invalid, nothing is left behind.
 */
export async function buildBundle(dir: string, opts: BuildOptions): Promise<Built> {
  const out = path.resolve(opts.out);
  const { files, wheels } = bundleFiles(dir, { ...opts, exclude: [out] });
  const tmp = `${out}.${randomBytes(4).toString('hex')}.tmp`;
  try {
    await writeZip(files, tmp);
    const bundle = await inspectZip(tmp, dir);
    renameSync(tmp, out);
    const data = readFileSync(out);
    return { file: out, size: data.length, sha256: createHash('sha256').update(data).digest('hex'), files: files.length, wheels, bundle };
  } finally {
    rmSync(tmp, { force: true });
  }
}

/** A temporary zip for a folder (validate, deploy, exec): removed by `dispose`. */
export async function buildTemporary(dir: string, opts: Omit<BuildOptions, 'out'> = {}): Promise<Built & { dispose: () => void }> {
  const tmpDir = path.join(os.tmpdir(), `wharf-bundle-${process.pid}-${randomBytes(4).toString('hex')}`);
  mkdirSync(tmpDir, { recursive: true, mode: 0o700 });
  const dispose = () => rmSync(tmpDir, { recursive: true, force: true });
  try {
    const built = await buildBundle(dir, { ...opts, out: path.join(tmpDir, `${path.basename(path.resolve(dir)) || 'app'}.zip`) });
    return { ...built, dispose };
  } catch (e) {
    dispose();
    throw e;
  }
}
