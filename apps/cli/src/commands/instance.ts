import type { Schemas } from '@wharf/api';
import type { Command } from 'commander';
import { spawn } from 'node:child_process';
import { intOf, onOff, visibilityOf } from '../args';
import { failure, unreachable, type Connection } from '../client';
import { examples, outputOf, withOutput, type Ctx } from '../context';
import { CliError, UsageError } from '../errors';
import { age, print, type Column } from '../output';
import { allPages } from '../pages';
import { waitRunning } from '../wait';
import { instanceColumns, instancePairs, printDetail, type Instance } from '../views';

type Status = Instance['status'];
const STATUSES: Status[] = ['QUEUED', 'PROVISIONING', 'INSTALLING', 'STARTING', 'RUNNING', 'FAILED', 'SUSPENDED', 'TERMINATED'];

const getInstance = (c: Connection, id: string) => c.call(c.api.GET('/api/v1/instances/{id}', { params: { path: { id } } }));

/** Whether a browser may be opened for the user: a person reads stdout, on macOS or a desktop session. */
export function canOpenBrowser(tty: boolean, env: NodeJS.ProcessEnv, platform: NodeJS.Platform = process.platform): boolean {
  return tty && (platform === 'darwin' || Boolean(env.DISPLAY) || Boolean(env.WAYLAND_DISPLAY));
}

/** Opens `url` with the system's opener (open on macOS, xdg-open elsewhere); never fails, whatever happens. */
function openBrowser(url: string, platform: NodeJS.Platform = process.platform): Promise<boolean> {
  return new Promise((resolve) => {
    try {
      const child = spawn(platform === 'darwin' ? 'open' : 'xdg-open', [url], { stdio: 'ignore', detached: true });
      child.once('error', () => resolve(false));
      child.once('spawn', () => {
        child.unref();
        resolve(true);
      });
    } catch {
      resolve(false);
    }
  });
}

export function registerInstance(program: Command, ctx: Ctx): void {
  const instance = program.command('instance').alias('instances').description('running apps: list, inspect, follow logs, suspend, resume, upgrade, terminate, open');

  examples(
    withOutput(
      instance
        .command('list')
        .alias('ls')
        .description('your instances (everyone\'s with --all, for admins)')
        .option('-a, --all', "every user's instances (admins)")
        .option('--app <name>', 'only instances of this app')
        .option('--status <status>', `only instances in this status (${STATUSES.join(', ').toLowerCase()})`)
        .option('--limit <n>', 'stop after this many'),
    ).action(async (opts: { all?: boolean; app?: string; status?: string; limit?: string; output?: string }) => {
      const format = outputOf(opts);
      const limit = opts.limit === undefined ? undefined : intOf(opts.limit, '--limit');
      const status = opts.status === undefined ? undefined : STATUSES.find((s) => s === opts.status!.toUpperCase());
      if (opts.status !== undefined && !status) throw new UsageError(`--status: "${opts.status}" is not one of ${STATUSES.join(', ').toLowerCase()}`);
      const c = ctx.connect();
      const { items, more } = await allPages(
        (cursor, size) => c.call(c.api.GET('/api/v1/instances', { params: { query: { scope: opts.all ? 'all' : undefined, appName: opts.app, status, cursor, limit: size } } })),
        limit,
      );
      print(ctx.term, format, items, instanceColumns, { empty: opts.all ? 'no instances' : 'you have no instances (start one with `wharf app run <app>`)' });
      if (more) ctx.term.note(`(the first ${items.length}; raise --limit for more)`);
    }),
    ['wharf instance list', 'wharf instance list --all --status running', 'wharf instance list --app sales-dashboard -o json'],
  );

  examples(
    withOutput(instance.command('get').description('one instance in detail: status, the launcher\'s step, URL, warnings').argument('<id>', 'the instance id')).action(
      async (id: string, opts: { output?: string }) => {
        const i = await getInstance(ctx.connect(), id);
        printDetail(ctx.term, outputOf(opts), i, instancePairs(i));
      },
    ),
    ['wharf instance get 3f2a…', 'wharf instance get 3f2a… -o yaml'],
  );

  examples(
    instance
      .command('logs')
      .description("an instance's log lines; with --follow, new lines as they come until the instance ends or Ctrl-C")
      .argument('<id>', 'the instance id')
      .option('-f, --follow', 'keep printing new lines (Ctrl-C to stop)')
      .option('--tail <n>', 'how many of the last lines to print first (1 to 10000)', '200')
      .action(async (id: string, opts: { follow?: boolean; tail: string }) => {
        const tail = intOf(opts.tail, '--tail');
        if (tail > 10_000) throw new UsageError(`--tail: ${tail} is more than 10000`);
        await logs(ctx, id, tail, Boolean(opts.follow));
      }),
    ['wharf instance logs 3f2a…', 'wharf instance logs 3f2a… --tail 50 -f', 'wharf instance logs 3f2a… --tail 10000 > app.log'],
  );

  examples(
    withOutput(
      instance
        .command('update')
        .description('change who may open an instance, or (admins) whether it is suspended when nobody uses it')
        .argument('<id>', 'the instance id')
        .option('-v, --visibility <v>', 'private (you and admins), all-users (signed-in users), public (anyone, where the platform allows it)')
        .option('--idle-suspend <on|off>', "admins: off keeps it running however long it is idle; on applies the app's (or the platform's) idle timeout again"),
    ).action(async (id: string, opts: { visibility?: string; idleSuspend?: string; output?: string }) => {
      if (opts.visibility === undefined && opts.idleSuspend === undefined) {
        throw new UsageError('name what to change: -v/--visibility <v> and/or --idle-suspend on|off');
      }
      const visibility = opts.visibility === undefined ? undefined : visibilityOf(opts.visibility);
      const idleSuspend = opts.idleSuspend === undefined ? undefined : onOff(opts.idleSuspend, '--idle-suspend');
      const c = ctx.connect();
      const i = await c.call(c.api.PATCH('/api/v1/instances/{id}', { params: { path: { id } }, body: { visibility, idleSuspend } }));
      print(ctx.term, outputOf(opts), i, instanceColumns, { raw: i });
    }),
    ['wharf instance update 3f2a… -v all-users', 'wharf instance update 3f2a… --idle-suspend off   # admins: a long job nobody watches'],
  );

  examples(
    withOutput(instance.command('suspend').description('stop an instance and keep it (its volume too), to resume later').argument('<id>', 'the instance id')).action(
      async (id: string, opts: { output?: string }) => {
        const c = ctx.connect();
        const i = await c.call(c.api.POST('/api/v1/instances/{id}/suspend', { params: { path: { id } } }));
        print(ctx.term, outputOf(opts), i, instanceColumns, { raw: i });
      },
    ),
    ['wharf instance suspend 3f2a…'],
  );

  examples(
    withOutput(
      instance
        .command('resume')
        .description('start a suspended instance again')
        .argument('<id>', 'the instance id')
        .option('-w, --wait', 'wait until it is running, then print its URL'),
    ).action(async (id: string, opts: { wait?: boolean; output?: string }) => {
      const format = outputOf(opts);
      const c = ctx.connect();
      const i = await c.call(c.api.POST('/api/v1/instances/{id}/resume', { params: { path: { id } } }));
      await settle(ctx, c, i, Boolean(opts.wait), format);
    }),
    ['wharf instance resume 3f2a…', 'wharf instance resume 3f2a… --wait'],
  );

  examples(
    withOutput(instance.command('terminate').alias('rm').description('stop an instance for good (its volume is deleted)').argument('<id>', 'the instance id')).action(
      async (id: string, opts: { output?: string }) => {
        const c = ctx.connect();
        const i = await c.call(c.api.DELETE('/api/v1/instances/{id}', { params: { path: { id } } }));
        print(ctx.term, outputOf(opts), i, instanceColumns, { raw: i });
      },
    ),
    ['wharf instance terminate 3f2a…'],
  );

  examples(
    withOutput(
      instance
        .command('upgrade')
        .description('move an instance to another version of its app and/or another runtime (explicit: instances never upgrade by themselves)')
        .argument('<id>', 'the instance id')
        .option('--to <version>', 'the version to move to (a version of the same app, or an app version id)')
        .option('--runtime <r>', 'the runtime version to run on (see `wharf runtime list`)')
        .option('-w, --wait', 'wait until it is running again, then print its URL'),
    ).action(async (id: string, opts: { to?: string; runtime?: string; wait?: boolean; output?: string }) => {
      if (!opts.to && !opts.runtime) throw new UsageError('wharf instance upgrade needs --to <version>, --runtime <r>, or both');
      const format = outputOf(opts);
      const c = ctx.connect();
      let appVersionId: string | undefined;
      if (opts.to) {
        const current = await getInstance(c, id);
        const ref = opts.to.includes('@') ? opts.to : `${current.appName}@${opts.to}`;
        const target = await c.call(c.api.GET('/api/v1/apps/{id}', { params: { path: { id: ref } } })).catch(async (e: unknown) => {
          // not a version of this app: perhaps an app version id
          const byId = await c.call(c.api.GET('/api/v1/apps/{id}', { params: { path: { id: opts.to! } } })).catch(() => null);
          if (byId) return byId;
          throw e instanceof CliError ? new CliError(`${e.message}: no version "${opts.to}" of ${current.appName} (see \`wharf app get ${current.appName}\`)`) : e;
        });
        if (target.name !== current.appName) throw new UsageError(`--to: ${target.name}@${target.version} is another app than the instance's (${current.appName}): run it with \`wharf app run\` instead`);
        appVersionId = target.id;
      }
      const i = await c.call(c.api.POST('/api/v1/instances/{id}/upgrade', { params: { path: { id } }, body: { appVersionId, runtime: opts.runtime } }));
      await settle(ctx, c, i, Boolean(opts.wait), format);
    }),
    ['wharf instance upgrade 3f2a… --to 1.3.0', 'wharf instance upgrade 3f2a… --runtime python-3.12 --wait'],
  );

  examples(
    instance
      .command('open')
      .description("print an instance's URL; on a desktop (stdout a terminal, and macOS or DISPLAY/WAYLAND_DISPLAY set) also open it in the browser")
      .argument('<id>', 'the instance id')
      .action(async (id: string) => {
        const i = await getInstance(ctx.connect(), id);
        ctx.term.out(i.url);
        if (i.status !== 'RUNNING') ctx.term.note(`(the instance is ${i.status}${i.statusReason ? `: ${i.statusReason}` : ''})`);
        if (canOpenBrowser(ctx.term.tty, ctx.env) && !(await openBrowser(i.url))) ctx.term.note('(no browser could be opened: open the URL yourself)');
      }),
    ['wharf instance open 3f2a…', 'curl -s "$(wharf instance open 3f2a…)"'],
  );

  registerShare(instance, ctx);
}

type Share = Schemas['InstanceShare'];
const DURATION = /^[1-9][0-9]{0,5}[mhd]$/;

const shareColumns: Column<Share>[] = [
  { header: 'id', get: (s) => s.id },
  { header: 'state', get: (s) => s.state },
  { header: 'for', get: (s) => (s.anonymous ? 'anyone (guests too)' : 'signed-in users') },
  { header: 'one-time', get: (s) => (s.oneTime ? 'yes' : 'no') },
  { header: 'uses', get: (s) => s.uses },
  { header: 'expires', get: (s) => s.expiresAt },
  { header: 'by', get: (s) => s.createdBy.name },
  { header: 'age', get: (s) => age(s.createdAt) },
];

/** `wharf instance share create|list|revoke`: view links for an instance (its owner and admins). */
function registerShare(instance: Command, ctx: Ctx): void {
  const share = instance
    .command('share')
    .alias('shares')
    .description('links that let others view an instance (even a private one) until they expire or you revoke them');

  examples(
    withOutput(
      share
        .command('create')
        .description('make a share link: printed once (only its hash is kept); whoever opens it may view the instance until it expires or is revoked')
        .argument('<id>', 'the instance id')
        .option('--expires <duration>', 'how long it opens: a number and m, h or d, e.g. 30m, 24h, 7d (default: the platform\'s, 24h; at most Gateway.ShareMaxHours)')
        .option('--one-time', 'the link opens once (whoever opens it first keeps access until it expires or is revoked)')
        .option('--anonymous', 'anyone with the link may view, signed in or not (only where the platform allows it: Gateway.AllowAnonymousShares)'),
    ).action(async (id: string, opts: { expires?: string; oneTime?: boolean; anonymous?: boolean; output?: string }) => {
      if (opts.expires !== undefined && !DURATION.test(opts.expires)) {
        throw new UsageError(`--expires: "${opts.expires}" is not a duration: give a number and m, h or d, e.g. 30m, 24h, 7d`);
      }
      const format = outputOf(opts);
      const c = ctx.connect();
      const made = await c.call(
        c.api.POST('/api/v1/instances/{id}/shares', { params: { path: { id } }, body: { expiresIn: opts.expires, oneTime: Boolean(opts.oneTime), anonymous: Boolean(opts.anonymous) } }),
      );
      if (format !== 'table') return print(ctx.term, format, [], [], { raw: made });
      ctx.term.out(made.url);
      ctx.term.note(
        `(share ${made.share.id}: ${made.share.anonymous ? 'anyone with the link' : 'signed-in users'} may view the instance until ${made.share.expiresAt}${made.share.oneTime ? ', opened once' : ''}. The link is shown only now; revoke it with \`wharf instance share revoke ${id} ${made.share.id}\`)`,
      );
    }),
    ['wharf instance share create 3f2a…', 'wharf instance share create 3f2a… --expires 2h --one-time', 'wharf instance share create 3f2a… --expires 7d --anonymous -o json'],
  );

  examples(
    withOutput(share.command('list').alias('ls').description("an instance's share links: state, uses, expiry (never the link itself)").argument('<id>', 'the instance id')).action(
      async (id: string, opts: { output?: string }) => {
        const c = ctx.connect();
        const list = await c.call(c.api.GET('/api/v1/instances/{id}/shares', { params: { path: { id } } }));
        print(ctx.term, outputOf(opts), list.items, shareColumns, { raw: list, empty: `instance ${id} has no share links (make one with \`wharf instance share create ${id}\`)` });
      },
    ),
    ['wharf instance share list 3f2a…'],
  );

  examples(
    withOutput(
      share
        .command('revoke')
        .alias('rm')
        .description('revoke a share link: it stops opening, and everyone who came through it loses the instance at once')
        .argument('<id>', 'the instance id')
        .argument('<shareId>', 'the share link id (see `wharf instance share list <id>`)'),
    ).action(async (id: string, shareId: string, opts: { output?: string }) => {
      const c = ctx.connect();
      const s = await c.call(c.api.DELETE('/api/v1/instances/{id}/shares/{shareId}', { params: { path: { id, shareId } } }));
      print(ctx.term, outputOf(opts), s, shareColumns, { raw: s });
    }),
    ['wharf instance share revoke 3f2a… sh_Xa81…'],
  );
}

/** After a lifecycle change: the instance as it is now, or, with --wait, once running (its URL on table). */
async function settle(ctx: Ctx, c: Connection, i: Instance, wait: boolean, format: ReturnType<typeof outputOf>): Promise<void> {
  if (!wait) return print(ctx.term, format, i, instanceColumns, { raw: i });
  const running = await waitRunning(c, ctx.term, i.id);
  if (format === 'table') ctx.term.out(running.url);
  else print(ctx.term, format, running, instanceColumns, { raw: running });
}

/** Prints the logs as the server sends them; following ends with the instance, or with Ctrl-C (exit 0). */
async function logs(ctx: Ctx, id: string, tail: number, follow: boolean): Promise<void> {
  const c = ctx.connect();
  const abort = new AbortController();
  const onSigint = () => abort.abort();
  if (follow) process.once('SIGINT', onSigint);
  try {
    const answer = await c.api
      .GET('/api/v1/instances/{id}/logs', { params: { path: { id }, query: { tail, follow: follow ? '1' : undefined } }, parseAs: 'stream', signal: abort.signal })
      .catch((e: unknown) => {
        if (abort.signal.aborted) return null;
        throw unreachable(e, c.target.url);
      });
    if (!answer) return;
    // openapi-fetch parses an error answer whatever parseAs says: its message is in `error`
    if (!answer.response.ok || !answer.response.body) throw failure(answer.response.status, answer.error, c.target.url);
    const reader = answer.response.body.getReader();
    try {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        if (!process.stdout.write(value)) await new Promise((r) => process.stdout.once('drain', r));
      }
    } catch (e) {
      if (abort.signal.aborted) return;
      throw new CliError(`the log stream of ${id} broke off (${(e as Error).message}): run the command again`);
    }
  } finally {
    process.removeListener('SIGINT', onSigint);
  }
}
