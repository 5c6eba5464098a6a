import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Schemas } from '@wharf/api';
import { MANIFEST_FILE, parseManifest } from '@wharf/manifest';
import type { Command } from 'commander';
import { failure, unreachable, type Connection } from '../client';
import { examples, outputOf, withOutput, type Ctx } from '../context';
import { CliError, UsageError } from '../errors';
import { bytes, print } from '../output';
import { BundleInvalid, buildBundle, buildTemporary, inspectZip, problemsOf, type Built, type Problem } from '../bundle/build';
import { nextVersion, withVersion } from '../bundle/semver';
import { appNameOf, starterFiles } from '../bundle/template';
import { abortableOnSigint, uploadBundle, versionPage } from '../bundle/upload';
import { REQUIREMENTS_FILE, WHEELS_DIR } from '../bundle/wheels';
import { waitRunning } from '../wait';

type AppVersion = Schemas['AppVersion'];
type Visibility = AppVersion['visibility'];
const VISIBILITIES: Visibility[] = ['PRIVATE', 'ALL_USERS', 'PUBLIC'];

/** `-v all-users` → ALL_USERS; anything else is a usage error listing the choices. */
export function visibilityOf(raw: string | undefined, option = '-v/--visibility'): Visibility | undefined {
  if (raw === undefined) return undefined;
  const v = raw.toUpperCase().replace(/-/g, '_');
  if (!(VISIBILITIES as string[]).includes(v)) throw new UsageError(`${option}: "${raw}" is not one of private, all-users, public`);
  return v as Visibility;
}

const isZip = (p: string) => existsSync(p) && statSync(p).isFile();

/** app.toml of a folder, read and checked (problems with their field paths). */
export function readManifest(dir: string) {
  const file = path.join(dir, MANIFEST_FILE);
  if (!existsSync(file)) throw new UsageError(`${dir} has no ${MANIFEST_FILE}: give the app's folder, or start one with \`wharf bundle init ${dir}\``);
  const text = readFileSync(file, 'utf8');
  try {
    return { text, manifest: parseManifest(text) };
  } catch (e) {
    const problems = problemsOf(e);
    if (problems) throw new BundleInvalid(file, problems);
    throw e;
  }
}

/** The versions of an app the caller may see (every page); none when the name is new. */
async function existingVersions(c: Connection, name: string): Promise<string[]> {
  const out: string[] = [];
  let cursor: string | undefined;
  do {
    const a = await c.api.GET('/api/v1/apps/{name}/versions', { params: { path: { name }, query: cursor ? { cursor } : {} } }).catch((e: unknown) => {
      throw unreachable(e, c.target.url);
    });
    if (a.response.status === 404) return out;
    if (!a.response.ok || !a.data) throw failure(a.response.status, a.error, c.target.url);
    out.push(...a.data.items.map((v) => v.version));
    cursor = a.data.nextCursor ?? undefined;
  } while (cursor);
  return out;
}

/** Imports a zip (Ctrl-C aborts the upload), then sets its visibility when asked. */
async function importZip(ctx: Ctx, zip: string, visibility: Visibility | undefined): Promise<AppVersion> {
  let v = await abortableOnSigint('upload', (signal) => uploadBundle(ctx, zip, signal));
  ctx.term.note(`${ctx.term.c.green('✔')} imported ${v.name}@${v.version} (${v.id})`);
  if (visibility && visibility !== v.visibility) {
    // the import endpoint takes the bundle only: a new version is PRIVATE until changed
    const c = ctx.connect();
    v = await c.call(c.api.PATCH('/api/v1/apps/{id}', { params: { path: { id: v.id } }, body: { visibility } }));
  }
  return v;
}

function printVersion(ctx: Ctx, opts: { output?: string }, v: AppVersion): void {
  print(ctx.term, outputOf(opts), v, [
    { header: 'id', get: (r) => r.id },
    { header: 'name', get: (r) => r.name },
    { header: 'version', get: (r) => r.version },
    { header: 'visibility', get: (r) => r.visibility },
    { header: 'size', get: (r) => bytes(r.size) },
    { header: 'sha256', get: (r) => r.sha256.slice(0, 12) },
  ]);
}

function printProblems(ctx: Ctx, opts: { output?: string }, source: string, problems: Problem[]): void {
  print(ctx.term, outputOf(opts), problems, [
    { header: 'path', get: (p) => p.path },
    { header: 'problem', get: (p) => p.message },
  ], { raw: { source, valid: false, problems } });
}

/** A folder's requirements that its bundle has no wheels for: pip would fail at the first start. */
function missingWheelsNote(dir: string, built: Built): string | null {
  const req = path.join(dir, REQUIREMENTS_FILE);
  if (!existsSync(req)) return null;
  const listed = readFileSync(req, 'utf8')
    .split(/\r?\n/)
    .some((l) => l.replace(/(^|\s)#.*$/, '').trim());
  if (!listed || built.wheels.length || existsSync(path.join(dir, WHEELS_DIR))) return null;
  return `${REQUIREMENTS_FILE} lists requirements but the bundle has no ${WHEELS_DIR}/ folder: the platform installs offline from it; add the wheels with --wheels <folder>`;
}

export function registerBundle(program: Command, ctx: Ctx): void {
  const bundle = program.command('bundle').description('app bundles: start an app, check it, build its zip, import it, deploy it');

  examples(
    bundle
      .command('init')
      .description('write a working app (app.toml, a standard-library Python web app, an icon, .wharfignore) into a folder')
      .argument('[dir]', 'the folder (created if missing)', '.')
      .option('--name <name>', "the app's name (default: from the folder's name)")
      .action((dir: string, opts: { name?: string }) => {
        const root = path.resolve(dir);
        const name = opts.name ?? appNameOf(path.basename(root));
        if (!/^[a-z0-9][a-z0-9.-]*$/.test(name) || name.length > 63) throw new UsageError(`--name: "${name}" is not an app name: lower-case letters, digits, dots and dashes, starting with a letter or digit, at most 63 characters`);
        const files = starterFiles(name);
        const existing = Object.keys(files).filter((f) => existsSync(path.join(root, f)));
        if (existing.length) throw new CliError(`${dir} already has ${existing.join(', ')}: nothing was written; move ${existing.length > 1 ? 'them' : 'it'} away, or start in an empty folder`);
        for (const [rel, content] of Object.entries(files)) {
          const file = path.join(root, rel);
          mkdirSync(path.dirname(file), { recursive: true });
          writeFileSync(file, content, { flag: 'wx' });
          ctx.term.out(path.relative(process.cwd(), file) || file);
        }
        const d = path.relative(process.cwd(), root) || '.';
        ctx.term.note(`${ctx.term.c.green('✔')} app ${ctx.term.c.bold(name)} written to ${d}. Next:`);
        ctx.term.note(`  wharf exec ${d}             # run it here, at http://127.0.0.1:55555/`);
        ctx.term.note(`  wharf bundle validate ${d}  # check it with the platform's rules`);
        ctx.term.note(`  wharf bundle deploy ${d}    # import it as the next version and run it`);
      }),
    ['wharf bundle init my-app', 'wharf bundle init . --name sales-report'],
  );

  examples(
    withOutput(
      bundle
        .command('validate')
        .description("check an app folder or a bundle zip with the platform's own rules; every problem with its path (exit 1 when invalid)")
        .argument('[path]', 'the app folder or a .zip', '.'),
    ).action(async (src: string, opts: { output?: string }) => {
      const format = outputOf(opts);
      let built: (Built & { dispose?: () => void }) | null = null;
      try {
        if (isZip(src)) {
          const b = await inspectZip(src);
          built = { file: src, size: statSync(src).size, sha256: '', files: b.entries, wheels: [], bundle: b };
        } else {
          built = await buildTemporary(src);
        }
      } catch (e) {
        if (!(e instanceof BundleInvalid)) throw e;
        printProblems(ctx, opts, src, e.problems);
        throw new CliError(`${src} is not a valid bundle: ${e.problems.length} problem${e.problems.length === 1 ? '' : 's'}${format === 'table' ? ' (above)' : ''}`);
      } finally {
        built?.dispose?.();
      }
      const m = built.bundle.manifest;
      const warn = isZip(src) ? null : missingWheelsNote(src, built);
      print(ctx.term, format, { source: src, name: m.name, version: m.version, module: m.runtime.module, files: built.files, size: built.bundle.uncompressedSize }, [
        { header: 'name', get: (r) => r.name },
        { header: 'version', get: (r) => r.version },
        { header: 'module', get: (r) => r.module },
        { header: 'files', get: (r) => r.files },
        { header: 'size', get: (r) => bytes(r.size) },
      ], { raw: { source: src, valid: true, problems: [], warnings: warn ? [warn] : [], manifest: m } });
      if (warn) ctx.term.note(`${ctx.term.c.yellow('warning:')} ${warn}`);
      if (format === 'table') ctx.term.note(`${ctx.term.c.green('✔')} ${src} is a valid bundle`);
    }),
    ['wharf bundle validate', 'wharf bundle validate my-app', 'wharf bundle validate my-app-1.0.0.zip -o json'],
  );

  examples(
    bundle
      .command('build')
      .description('build an app folder into a bundle zip: the same files give the same bytes; .wharfignore (gitignore syntax) leaves files out; checked before it is written')
      .argument('[dir]', 'the app folder', '.')
      .option('-f, --file <file>', 'the zip to write (default: <name>-<version>.zip here; -o is the output format in every command)')
      .option('--wheels <folder>', `copy the wheels that ${REQUIREMENTS_FILE} names from this folder into the bundle's ${WHEELS_DIR}/`)
      .addHelpText('after', `\nAlways left out: .git/, __pycache__/, *.pyc, .venv/, .wharfignore, and the zip being written.\n--wheels copies each requirement's wheels (the pinned version for ==); list dependencies in ${REQUIREMENTS_FILE} too.`)
      .action(async (dir: string, opts: { file?: string; wheels?: string }) => {
        const { manifest } = readManifest(dir);
        const out = path.resolve(opts.file ?? `${manifest.name}-${manifest.version}.zip`);
        if (existsSync(out) && statSync(out).isDirectory()) throw new UsageError(`-f/--file ${opts.file}: is a folder; give the zip's file name`);
        const built = await buildBundle(dir, { out, wheels: opts.wheels });
        ctx.term.out(path.relative(process.cwd(), built.file) || built.file);
        ctx.term.note(
          `${ctx.term.c.green('✔')} ${manifest.name}@${manifest.version}: ${built.files} files${built.wheels.length ? ` (${built.wheels.length} wheels)` : ''}, ${bytes(built.size)}, sha256 ${built.sha256.slice(0, 12)}`,
        );
        const warn = missingWheelsNote(dir, built);
        if (warn) ctx.term.note(`${ctx.term.c.yellow('warning:')} ${warn}`);
      }),
    ['wharf bundle build', 'wharf bundle build my-app -f dist/my-app.zip', 'wharf bundle build my-app --wheels ./wheelhouse'],
  );

  examples(
    withOutput(
      bundle
        .command('import')
        .description('import a bundle (a zip, or a folder built first) as a new app version; Ctrl-C cancels the upload and leaves nothing behind')
        .argument('[path]', 'the app folder or a .zip', '.')
        .option('-v, --visibility <visibility>', 'who sees the new version: private (default), all-users or public')
        .option('--wheels <folder>', 'when building a folder: copy the wheels its requirements name from this folder'),
    ).action(async (src: string, opts: { output?: string; visibility?: string; wheels?: string }) => {
      const visibility = visibilityOf(opts.visibility);
      let built: (Built & { dispose: () => void }) | null = null;
      try {
        if (!isZip(src)) {
          readManifest(src);
          built = await buildTemporary(src, { wheels: opts.wheels });
        } else if (opts.wheels) {
          throw new UsageError('--wheels applies to a folder, not to a zip');
        } else {
          await inspectZip(src); // the platform's own checks, before any byte is sent
        }
        const v = await importZip(ctx, built?.file ?? src, visibility);
        printVersion(ctx, opts, v);
        ctx.term.note(`page: ${versionPage(ctx.connect().target.url, v)}`);
      } finally {
        built?.dispose();
      }
    }),
    ['wharf bundle import my-app', 'wharf bundle import my-app-1.0.0.zip -v all-users', 'wharf bundle import . -o json'],
  );

  examples(
    withOutput(
      bundle
        .command('deploy')
        .description("the development loop: import the folder as the app's next free version (app.toml's, or the patch after the highest imported) and run it")
        .argument('[dir]', 'the app folder', '.')
        .option('-v, --visibility <visibility>', 'who may open the instance: private (default), all-users or public')
        .option('--runtime <name>', "the runtime to run on (default: app.toml's RuntimeVersion, else the platform's default)")
        .option('--wheels <folder>', 'copy the wheels its requirements name from this folder into the bundle'),
    )
      .addHelpText('after', "\nYour app.toml is not changed: the version is set in the bundle's copy of it only.")
      .action(async (dir: string, opts: { output?: string; visibility?: string; runtime?: string; wheels?: string }) => {
        const visibility = visibilityOf(opts.visibility) ?? 'PRIVATE';
        const { text, manifest } = readManifest(dir);
        const c = ctx.connect();
        const version = nextVersion(manifest.version, await existingVersions(c, manifest.name));
        let toml = text;
        if (version !== manifest.version) {
          const changed = withVersion(text, version);
          if (changed === null) throw new CliError(`${path.join(dir, MANIFEST_FILE)}: no \`Version = "…"\` line under [App] to set ${version} on; write the version as a quoted string on its own line`);
          toml = changed;
          ctx.term.note(`${manifest.name}@${manifest.version} exists: deploying ${version}`);
        }
        const built = await buildTemporary(dir, { manifest: toml, wheels: opts.wheels });
        let v: AppVersion;
        try {
          v = await importZip(ctx, built.file, undefined);
        } finally {
          built.dispose();
        }
        if (v.runtime.lifecycle === 'LINK') {
          // nothing runs: the catalog's card opens the address
          print(ctx.term, outputOf(opts), v, [
            { header: 'app', get: (a) => `${a.name}@${a.version}` },
            { header: 'link', get: (a) => a.runtime.linkAddress },
          ]);
          ctx.term.note(`${v.name}@${v.version} is a link to ${v.runtime.linkAddress}: nothing to run (app page: ${versionPage(c.target.url, v)})`);
          return;
        }
        const started = await c.call(
          c.api.POST('/api/v1/apps/{id}/instances', { params: { path: { id: v.id } }, body: { visibility, ...(opts.runtime ? { runtime: opts.runtime } : {}) } }),
        );
        const running = await waitRunning(c, ctx.term, started.id);
        print(ctx.term, outputOf(opts), running, [
          { header: 'instance', get: (r) => r.id },
          { header: 'app', get: (r) => `${r.appName}@${r.appVersion}` },
          { header: 'status', get: (r) => r.status },
          { header: 'url', get: (r) => r.url },
        ]);
        ctx.term.note(`open ${running.url} (app page: ${versionPage(c.target.url, v)})`);
      }),
    ['wharf bundle deploy', 'wharf bundle deploy my-app -v all-users', 'wharf bundle deploy my-app --wheels ./wheelhouse'],
  );
}
