import type { Schemas } from '@wharf/api';
import type { Command } from 'commander';
import { createHash, randomUUID } from 'node:crypto';
import { createWriteStream, existsSync, renameSync, rmSync, statSync } from 'node:fs';
import path from 'node:path';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import { intOf, visibilityOf } from '../args';
import { failure, unreachable, type Connection } from '../client';
import { examples, outputOf, withOutput, type Ctx } from '../context';
import { CliError, UsageError } from '../errors';
import { print, table } from '../output';
import { allPages } from '../pages';
import { waitRunning } from '../wait';
import { appColumns, appPairs, instanceColumns, printDetail, versionColumns, type App } from '../views';

type Category = NonNullable<NonNullable<import('@wharf/api').operations['AppsController_list']['parameters']['query']>['category']>;
const CATEGORIES: Category[] = ['All', 'Data Science', 'Financial Services', 'Healthcare', 'Insurance', 'Manufacturing', 'Marketing', 'Retail', 'Sales', 'Telecommunications', 'Other'];

/** An app version by id, `name@version` or `name` (the newest the caller may see), as the API answers it. */
export async function getApp(c: Connection, ref: string): Promise<App> {
  return c.call(c.api.GET('/api/v1/apps/{id}', { params: { path: { id: ref } } }));
}

/** The file name a download is saved as: the server's Content-Disposition name, else `<name>-<version>.zip`; never a path. */
export function downloadName(disposition: string | null, app: { name: string; version: string }): string {
  let name: string | undefined;
  if (disposition) {
    const star = /filename\*\s*=\s*(?:UTF-8|utf-8)?''([^;]+)/.exec(disposition);
    const plain = /filename\s*=\s*("([^"]*)"|[^;]+)/.exec(disposition);
    try {
      name = star ? decodeURIComponent(star[1]!.trim()) : (plain?.[2] ?? plain?.[1]?.trim());
    } catch {
      name = plain?.[2] ?? plain?.[1]?.trim();
    }
  }
  const base = name ? path.basename(name.replace(/\\/g, '/')) : '';
  return base && base !== '.' && base !== '..' ? base : `${app.name}-${app.version}.zip`;
}

export function registerApp(program: Command, ctx: Ctx): void {
  const app = program.command('app').description('apps in the catalog: list, inspect, run, download, change visibility, delete');

  examples(
    withOutput(
      app
        .command('list')
        .alias('ls')
        .description('the catalog: the newest version of each app you may see (every version with --all-versions)')
        .option('-a, --all-versions', 'every version, not only the newest of each app')
        .option('--search <q>', 'only apps whose name, title, description or keywords contain this')
        .option('--category <c>', `only this category (${CATEGORIES.join(', ')})`)
        .option('--tag <t>', 'only versions with this tag')
        .option('--owner <user>', "only apps of this owner (user id)")
        .option('--sort <order>', 'name (A to Z) or newest (most recently imported first)', 'name')
        .option('--limit <n>', 'stop after this many'),
    ).action(async (opts: { allVersions?: boolean; search?: string; category?: string; tag?: string; owner?: string; sort: string; limit?: string; output?: string }) => {
      const format = outputOf(opts);
      const limit = opts.limit === undefined ? undefined : intOf(opts.limit, '--limit');
      if (opts.sort !== 'name' && opts.sort !== 'newest') throw new UsageError(`--sort: "${opts.sort}" is not one of name, newest`);
      const category = opts.category === undefined ? undefined : CATEGORIES.find((k) => k.toLowerCase() === opts.category!.toLowerCase());
      if (opts.category !== undefined && !category) throw new UsageError(`--category: "${opts.category}" is not one of ${CATEGORIES.join(', ')}`);
      const sort = opts.sort as 'name' | 'newest';
      const c = ctx.connect();
      const { items, more } = await allPages(
        (cursor, size) =>
          c.call(
            c.api.GET('/api/v1/apps', {
              params: { query: { allVersions: opts.allVersions ? 'true' : undefined, q: opts.search, category, tag: opts.tag, owner: opts.owner, sort: sort === 'name' ? undefined : sort, limit: size, cursor } },
            }),
          ),
        limit,
      );
      print(ctx.term, format, items, appColumns, { empty: 'no apps found' + (opts.search || category || opts.tag || opts.owner ? ' with these filters' : '') });
      if (more) ctx.term.note(`(the first ${items.length}; raise --limit for more)`);
    }),
    ['wharf app list', 'wharf app list --search sales --sort newest --limit 20', 'wharf app list -a --tag featured -o json'],
  );

  examples(
    withOutput(
      app
        .command('get')
        .description('one app version in detail, with the list of its versions')
        .argument('<app>', 'an id, name@version, or a name (its newest version you may see)'),
    ).action(async (ref: string, opts: { output?: string }) => {
      const format = outputOf(opts);
      const c = ctx.connect();
      const a = await getApp(c, ref);
      if (format !== 'table') return printDetail(ctx.term, format, a, []);
      const { items: versions, more } = await allPages((cursor, size) => c.call(c.api.GET('/api/v1/apps/{name}/versions', { params: { path: { name: a.name }, query: { cursor, limit: size } } })), 50);
      printDetail(ctx.term, format, a, appPairs(a), `\n${ctx.term.c.bold('Versions:')}\n${table(versions, versionColumns, ctx.term).replace(/^/gm, '  ')}${more ? '\n  …' : ''}`);
    }),
    ['wharf app get sales-dashboard', 'wharf app get sales-dashboard@1.2.0', 'wharf app get 0c6f9e9e-… -o yaml'],
  );

  examples(
    withOutput(
      app
        .command('run')
        .description('start an instance of an app version (the newest you may see when only a name is given)')
        .argument('<app>', 'an id, name@version, or a name')
        .option('-v, --visibility <v>', 'who may open the instance: private (you), all-users, public', 'private')
        .option('--runtime <r>', 'the runtime version to run on (default: the app\'s; see `wharf runtime list`)')
        .option('-w, --wait', 'wait until it is running, then print its URL'),
    ).action(async (ref: string, opts: { visibility: string; runtime?: string; wait?: boolean; output?: string }) => {
      const format = outputOf(opts);
      const visibility = visibilityOf(opts.visibility);
      const c = ctx.connect();
      const a = await getApp(c, ref);
      const body: Schemas['InstanceRun'] = { visibility, runtime: opts.runtime, idempotencyKey: randomUUID() };
      const inst = await c.call(c.api.POST('/api/v1/apps/{id}/instances', { params: { path: { id: a.id } }, body }));
      ctx.term.note(`Instance ${inst.id} of ${a.name}@${a.version} is ${inst.status}`);
      for (const w of inst.warnings) ctx.term.note(`${ctx.term.c.yellow('warning:')} ${w}`);
      if (!opts.wait) return print(ctx.term, format, inst, instanceColumns, { raw: inst });
      const running = await waitRunning(c, ctx.term, inst.id);
      if (format === 'table') ctx.term.out(running.url);
      else print(ctx.term, format, running, instanceColumns, { raw: running });
    }),
    ['wharf app run sales-dashboard', 'wharf app run sales-dashboard@1.2.0 -v all-users --wait', 'wharf app run 0c6f9e9e-… --runtime python-3.12 -o json'],
  );

  examples(
    withOutput(
      app
        .command('update')
        .description("change an app version's visibility (its owner or an admin)")
        .argument('<app>', 'an id or name@version')
        .requiredOption('-v, --visibility <v>', 'private (owner and admins), all-users (signed-in users), public (anyone, where the platform allows it)'),
    ).action(async (ref: string, opts: { visibility: string; output?: string }) => {
      const visibility = visibilityOf(opts.visibility);
      const c = ctx.connect();
      const a = await getApp(c, ref);
      const updated = await c.call(c.api.PATCH('/api/v1/apps/{id}', { params: { path: { id: a.id } }, body: { visibility } }));
      print(ctx.term, outputOf(opts), updated as App, appColumns, { raw: updated });
    }),
    ['wharf app update sales-dashboard@1.2.0 -v all-users', 'wharf app update 0c6f9e9e-… -v private'],
  );

  examples(
    app
      .command('delete')
      .alias('rm')
      .description('delete an app version (its owner or an admin); refused while instances of it exist')
      .argument('<app>', 'an id or name@version')
      .action(async (ref: string) => {
        const c = ctx.connect();
        const a = await getApp(c, ref);
        try {
          await c.call(c.api.DELETE('/api/v1/apps/{id}', { params: { path: { id: a.id } } }));
        } catch (e) {
          if (e instanceof CliError && e.message.startsWith('conflict:')) {
            throw new CliError(`${e.message} (list them with \`wharf instance list --app ${a.name}\`, or \`--all\` as an admin)`);
          }
          throw e;
        }
        ctx.term.note(`Deleted ${a.name}@${a.version} (${a.id})`);
      }),
    ['wharf app delete sales-dashboard@1.0.0', 'wharf app delete 0c6f9e9e-…'],
  );

  examples(
    app
      .command('download')
      .description('save an app version\'s bundle (zip) to a file, with a progress bar; the file is checked against the SHA-256 the catalog lists. The destination is --file/-f: -o is the output format in every command')
      .argument('<app>', 'an id, name@version, or a name')
      .option('-f, --file <path>', 'where to save it (default: the server\'s file name, else <name>-<version>.zip, in the current directory; a directory keeps that name)')
      .option('--force', 'overwrite the file if it exists')
      .action(async (ref: string, opts: { file?: string; force?: boolean }) => {
        const c = ctx.connect();
        const a = await getApp(c, ref);
        await download(ctx, c, a, opts);
      }),
    ['wharf app download sales-dashboard', 'wharf app download sales-dashboard@1.2.0 -f ./bundles/', 'wharf app download 0c6f9e9e-… -f app.zip --force'],
  );
}

async function download(ctx: Ctx, c: Connection, a: App, opts: { file?: string; force?: boolean }): Promise<void> {
  const abort = new AbortController();
  const onSigint = () => abort.abort();
  process.once('SIGINT', onSigint);
  let tmp: string | null = null;
  try {
    const answer = await c.api.GET('/api/v1/apps/{id}/bundle', { params: { path: { id: a.id } }, parseAs: 'stream', signal: abort.signal }).catch((e: unknown) => {
      throw unreachable(e, c.target.url);
    });
    const res = answer.response;
    if (!res.ok || !res.body) throw failure(res.status, answer.error, c.target.url);
    const name = downloadName(res.headers.get('content-disposition'), a);
    let dest = opts.file ?? name;
    if (opts.file && (opts.file.endsWith('/') || opts.file.endsWith(path.sep) || isDir(opts.file))) dest = path.join(opts.file, name);
    dest = path.resolve(dest);
    if (existsSync(dest) && !opts.force) {
      await res.body.cancel();
      throw new CliError(`${dest} exists: use --force to overwrite it, or --file to save elsewhere`);
    }
    if (!existsSync(path.dirname(dest))) {
      await res.body.cancel();
      throw new CliError(`${path.dirname(dest)} does not exist: create it, or choose another --file`);
    }
    tmp = `${dest}.${process.pid}.part`;
    const total = Number(res.headers.get('content-length')) || a.size;
    const progress = ctx.term.progress(`Downloading ${a.name}@${a.version}`, total);
    const hash = createHash('sha256');
    let done = 0;
    const count = new Transform({
      transform(chunk: Buffer, _enc, cb) {
        done += chunk.length;
        hash.update(chunk);
        progress.update(done);
        cb(null, chunk);
      },
    });
    try {
      await pipeline(Readable.fromWeb(res.body as unknown as WebReadableStream<Uint8Array>), count, createWriteStream(tmp, { flags: 'wx', mode: 0o644 }), { signal: abort.signal });
    } finally {
      progress.stop();
    }
    if (abort.signal.aborted) throw new CliError('cancelled: nothing was saved');
    const sha = hash.digest('hex');
    if (a.sha256 && sha !== a.sha256) throw new CliError(`the download of ${a.name}@${a.version} is damaged (SHA-256 ${sha}, the catalog says ${a.sha256}): nothing was saved; try again`);
    renameSync(tmp, dest);
    tmp = null;
    ctx.term.note(`Saved ${a.name}@${a.version} (${done} bytes) to ${dest}`);
    ctx.term.out(dest);
  } catch (e) {
    if (abort.signal.aborted) throw new CliError('cancelled: nothing was saved');
    if (e instanceof CliError) throw e;
    throw new CliError(`the download of ${a.name}@${a.version} failed (${(e as Error).message}): nothing was saved; try again`);
  } finally {
    process.removeListener('SIGINT', onSigint);
    if (tmp) rmSync(tmp, { force: true });
  }
}

function isDir(p: string): boolean {
  try {
    return statSync(p).isDirectory();
  } catch {
    return false;
  }
}
