import type { Schemas } from '@wharf/api';
import type { Command } from 'commander';
import { intOf, repeatable, sinceOf } from '../args';
import { examples, outputOf, withOutput, type Ctx } from '../context';
import { UsageError } from '../errors';
import { age, print, type Column } from '../output';
import { allPages } from '../pages';
import { readSecretText, parseSecretData, refuseArgvValues } from '../secret-input';
import { appColumns } from '../views';

type Role = Schemas['Tag']['visitorRoles'][number];
const ROLES: Role[] = ['admin', 'full-access', 'visitor'];
const OUTCOMES = ['success', 'denied', 'failure'] as const;

function rolesOf(raw: string[] | undefined): Role[] | undefined {
  if (raw === undefined) return undefined;
  const roles = raw.flatMap((r) => r.split(',')).map((r) => r.trim()).filter(Boolean);
  for (const r of roles) if (!(ROLES as string[]).includes(r)) throw new UsageError(`--visitor-role: "${r}" is not one of ${ROLES.join(', ')}`);
  return roles as Role[];
}

const tagColumns: Column<Schemas['Tag']>[] = [
  { header: 'name', get: (t) => t.name },
  { header: 'title', get: (t) => t.title },
  { header: 'color', get: (t) => t.color },
  { header: 'visitor roles', get: (t) => t.visitorRoles.join(',') },
  { header: 'description', get: (t) => t.description },
  { header: 'age', get: (t) => age(t.createdAt) },
];

const secretColumns: Column<Schemas['SecretSummary']>[] = [
  { header: 'name', get: (s) => s.name },
  { header: 'keys', get: (s) => s.keys.join(',') },
  { header: 'apps', get: (s) => s.grants.apps.join(',') },
  { header: 'owners', get: (s) => s.grants.owners.join(',') },
  { header: 'updated', get: (s) => age(s.updatedAt) },
];

const auditColumns: Column<Schemas['AuditEvent']>[] = [
  { header: 'time', get: (e) => e.at.replace(/\.\d+Z$/, 'Z') },
  { header: 'actor', get: (e) => e.actor.name ?? e.actor.sub ?? e.actor.kind },
  { header: 'action', get: (e) => e.action },
  { header: 'target', get: (e) => e.target },
  { header: 'outcome', get: (e) => e.outcome },
  { header: 'status', get: (e) => e.status },
  { header: 'ip', get: (e) => e.ip },
];

const aliasColumns: Column<Schemas['Alias']>[] = [
  { header: 'name', get: (a) => a.name },
  { header: 'instance', get: (a) => a.instanceId ?? '(unassigned)' },
  { header: 'primary', get: (a) => (a.primary ? '*' : '') },
  { header: 'url', get: (a) => a.url },
  { header: 'updated', get: (a) => age(a.updatedAt) },
  { header: 'by', get: (a) => a.updatedBy.name },
];

/** `--primary` / `--no-primary` left out: undefined (the server's default). */
const primaryOf = (opts: { primary?: boolean }): boolean | undefined => opts.primary;

/** Administration: runtimes, secrets, aliases, tags and the audit log. */
export function registerAdmin(program: Command, ctx: Ctx): void {
  // runtimes
  const runtime = program.command('runtime').alias('runtimes').description('the runtime versions instances run on');
  examples(
    withOutput(runtime.command('list').alias('ls').description('the runtime catalogue: state, default and image of each version')).action(async (opts: { output?: string }) => {
      const c = ctx.connect();
      const page = await c.call(c.api.GET('/api/v1/runtimes'));
      print(ctx.term, outputOf(opts), page.items, [
        { header: 'name', get: (r) => r.name },
        { header: 'state', get: (r) => r.state },
        { header: 'default', get: (r) => (r.default ? '*' : '') },
        { header: 'image', get: (r) => r.image },
        { header: 'reason', get: (r) => r.stateReason },
      ], { empty: 'no runtimes' });
    }),
    ['wharf runtime list', 'wharf runtime list -o json'],
  );

  // platform secrets (each user's own secrets: commands/secret.ts)
  const secret = program
    .command('platform-secret')
    .alias('platform-secrets')
    .description('platform secrets (admins), which apps read through [[Env]] Secret = "<name>" when granted; values are never shown');
  examples(
    withOutput(
      secret
        .command('set')
        .description('create or replace a secret from KEY=value lines or a JSON object on stdin or in a file (never from the command line)')
        .argument('<name>', "the secret's name")
        .option('--from-file <path>', 'read the values from this file (- for stdin) instead of stdin')
        .option('--grant-app <name>', 'an app name that may read it (repeatable; given grants replace the current ones, left out they are kept)', repeatable)
        .option('--grant-owner <user>', 'a user id whose apps may read it (repeatable)', repeatable)
        .allowExcessArguments(true),
    ).action(async function (this: Command, name: string, opts: { fromFile?: string; grantApp?: string[]; grantOwner?: string[]; output?: string }) {
      refuseArgvValues(name, this.args.slice(1), 'wharf platform-secret set');
      const format = outputOf(opts);
      const { text, source } = await readSecretText(opts, process.stdin, 'wharf platform-secret set');
      const data = parseSecretData(text, source);
      const grants = opts.grantApp || opts.grantOwner ? { apps: opts.grantApp ?? [], owners: opts.grantOwner ?? [] } : undefined;
      const c = ctx.connect();
      const s = await c.call(c.api.PUT('/api/v1/secrets/{name}', { params: { path: { name } }, body: { data, grants } }));
      ctx.term.note(`Platform secret ${s.name} set with ${s.keys.length} key${s.keys.length === 1 ? '' : 's'} (${s.keys.join(', ')})`);
      print(ctx.term, format, s, secretColumns, { raw: s });
    }),
    [
      'wharf platform-secret set db < db.env                     # KEY=value lines',
      'wharf platform-secret set db --from-file db.json --grant-app sales-dashboard',
      'printf \'PASSWORD=%s\\n\' "$PW" | wharf platform-secret set db',
    ],
  );
  examples(
    withOutput(secret.command('list').alias('ls').description('the secrets: their keys and grants, never their values')).action(async (opts: { output?: string }) => {
      const c = ctx.connect();
      const { items } = await allPages((cursor, size) => c.call(c.api.GET('/api/v1/secrets', { params: { query: { cursor, limit: size } } })));
      print(ctx.term, outputOf(opts), items, secretColumns, { empty: 'no secrets' });
    }),
    ['wharf platform-secret list'],
  );
  examples(
    secret
      .command('delete')
      .alias('rm')
      .description('delete a platform secret; refused while an instance that is not terminated reads it')
      .argument('<name>', "the secret's name")
      .action(async (name: string) => {
        const c = ctx.connect();
        await c.call(c.api.DELETE('/api/v1/secrets/{name}', { params: { path: { name } } }));
        ctx.term.note(`Deleted platform secret ${name}`);
      }),
    ['wharf platform-secret delete db'],
  );

  // tags
  const tag = program.command('tag').alias('tags').description('catalog tags (admins): define them, and tag app versions');
  examples(
    withOutput(tag.command('list').alias('ls').description('the tags')).action(async (opts: { output?: string }) => {
      const c = ctx.connect();
      const { items } = await allPages((cursor, size) => c.call(c.api.GET('/api/v1/tags', { params: { query: { cursor, limit: size } } })));
      print(ctx.term, outputOf(opts), items, tagColumns, { empty: 'no tags (create one with `wharf tag create <name> --title …`)' });
    }),
    ['wharf tag list'],
  );
  const tagOptions = (cmd: Command, create: boolean) =>
    withOutput(
      cmd
        .option('--title <title>', create ? 'the title shown in the catalog (default: the name)' : 'the title shown in the catalog')
        .option('--color <hex>', 'its colour, e.g. #1f6feb')
        .option('--description <text>', 'what it means')
        .option('--visitor-role <role>', `a role that may see ALL_USERS versions with this tag though it is a visitor (${ROLES.join(', ')}; repeatable or comma-separated)`, repeatable),
    );
  examples(
    tagOptions(tag.command('create').description('define a tag').argument('<name>', "the tag's name (lower case, digits, -)"), true).action(
      async (name: string, opts: { title?: string; color?: string; description?: string; visitorRole?: string[]; output?: string }) => {
        const c = ctx.connect();
        const body: Schemas['TagCreate'] = { name, title: opts.title ?? name, color: opts.color ?? '#6e7781', description: opts.description ?? '', visitorRoles: rolesOf(opts.visitorRole) ?? [] };
        const t = await c.call(c.api.POST('/api/v1/tags', { body }));
        print(ctx.term, outputOf(opts), t, tagColumns, { raw: t });
      },
    ),
    ['wharf tag create featured --title Featured --color "#1f6feb"', 'wharf tag create partners --title "For partners" --visitor-role visitor'],
  );
  examples(
    tagOptions(tag.command('update').description("change a tag's title, colour, description or visitor roles").argument('<name>', "the tag's name"), false).action(
      async (name: string, opts: { title?: string; color?: string; description?: string; visitorRole?: string[]; output?: string }) => {
        const body: Schemas['TagPatch'] = { title: opts.title, color: opts.color, description: opts.description, visitorRoles: rolesOf(opts.visitorRole) };
        if (Object.values(body).every((v) => v === undefined)) throw new UsageError('wharf tag update needs at least one of --title, --color, --description, --visitor-role');
        const c = ctx.connect();
        const t = await c.call(c.api.PATCH('/api/v1/tags/{name}', { params: { path: { name } }, body }));
        print(ctx.term, outputOf(opts), t, tagColumns, { raw: t });
      },
    ),
    ['wharf tag update featured --color "#8250df"', 'wharf tag update partners --visitor-role visitor,full-access'],
  );
  examples(
    tag
      .command('delete')
      .alias('rm')
      .description('delete a tag (app versions lose it)')
      .argument('<name>', "the tag's name")
      .action(async (name: string) => {
        const c = ctx.connect();
        await c.call(c.api.DELETE('/api/v1/tags/{name}', { params: { path: { name } } }));
        ctx.term.note(`Deleted tag ${name}`);
      }),
    ['wharf tag delete featured'],
  );
  for (const [verb, method, what] of [
    ['add', 'PUT', 'tag an app version'],
    ['remove', 'DELETE', 'take a tag off an app version'],
  ] as const) {
    examples(
      withOutput(tag.command(verb).description(`${what} (admins)`).argument('<app-version>', 'an app version id or name@version').argument('<tag>', "the tag's name")).action(
        async (ref: string, name: string, opts: { output?: string }) => {
          const c = ctx.connect();
          const a = await c.call(c.api.GET('/api/v1/apps/{id}', { params: { path: { id: ref } } }));
          const params = { params: { path: { id: a.id, tag: name } } };
          const updated = await c.call(method === 'PUT' ? c.api.PUT('/api/v1/apps/{id}/tags/{tag}', params) : c.api.DELETE('/api/v1/apps/{id}/tags/{tag}', params));
          print(ctx.term, outputOf(opts), updated, appColumns, { raw: updated });
        },
      ),
      [`wharf tag ${verb} sales-dashboard@1.2.0 featured`],
    );
  }

  // aliases
  const alias = program
    .command('alias')
    .alias('aliases')
    .description('aliases (admins): names <alias>.<apps domain> that serve an instance; the primary one is where its other hosts redirect');
  examples(
    withOutput(alias.command('list').alias('ls').description('every alias: the instance it serves, whether it is its primary')).action(async (opts: { output?: string }) => {
      const c = ctx.connect();
      const { items } = await allPages((cursor, size) => c.call(c.api.GET('/api/v1/aliases', { params: { query: { cursor, limit: size } } })));
      print(ctx.term, outputOf(opts), items, aliasColumns, { empty: 'no aliases' });
    }),
    ['wharf alias list', 'wharf alias list -o json'],
  );
  examples(
    withOutput(
      alias
        .command('create')
        .description('create an alias, serving an instance at once or unassigned (404) until assigned')
        .argument('<name>', 'a DNS label: lower case, digits and -, not shaped like an instance id')
        .argument('[instance]', 'the instance it serves (an instance id)')
        .option('--primary', "make it the instance's primary alias: its id host and other aliases redirect here"),
    ).action(async (name: string, instanceId: string | undefined, opts: { primary?: boolean; output?: string }) => {
      if (opts.primary && !instanceId) throw new UsageError('--primary needs an instance: wharf alias create <name> <instance> --primary');
      const c = ctx.connect();
      const a = await c.call(c.api.POST('/api/v1/aliases', { body: { name, ...(instanceId ? { instanceId } : {}), ...(opts.primary ? { primary: true } : {}) } }));
      ctx.term.note(a.instanceId ? `Alias ${a.name} serves ${a.instanceId}${a.primary ? ' (primary)' : ''} at ${a.url}` : `Alias ${a.name} created, unassigned (answers 404 until assigned)`);
      print(ctx.term, outputOf(opts), a, aliasColumns, { raw: a });
    }),
    ['wharf alias create shop', 'wharf alias create shop abcde12345 --primary'],
  );
  examples(
    withOutput(
      alias
        .command('assign')
        .alias('move')
        .description('point an alias at another instance (blue/green: a primary alias stays primary), or at none with --none')
        .argument('<name>', "the alias's name")
        .argument('[instance]', 'the instance it serves from now on')
        .option('--none', 'unassign it: its host answers 404')
        .option('--primary', "make it the instance's primary alias")
        .option('--no-primary', 'make it a normal alias of the instance'),
    ).action(async (name: string, instanceId: string | undefined, opts: { none?: boolean; primary?: boolean; output?: string }) => {
      if (!instanceId === !opts.none) throw new UsageError('name an instance, or give --none to unassign the alias');
      const c = ctx.connect();
      const primary = primaryOf(opts);
      const a = await c.call(c.api.PUT('/api/v1/aliases/{name}', { params: { path: { name } }, body: { instanceId: instanceId ?? null, ...(primary === undefined ? {} : { primary }) } }));
      ctx.term.note(a.instanceId ? `Alias ${a.name} now serves ${a.instanceId}${a.primary ? ' (primary)' : ''}` : `Alias ${a.name} unassigned`);
      print(ctx.term, outputOf(opts), a, aliasColumns, { raw: a });
    }),
    ['wharf alias assign shop fghij67890        # blue/green: start the new instance, move the alias, stop the old one', 'wharf alias assign shop --none'],
  );
  examples(
    withOutput(alias.command('promote').description("make an alias its instance's primary (the previous primary becomes a normal alias)").argument('<name>', "the alias's name")).action(
      async (name: string, opts: { output?: string }) => {
        const c = ctx.connect();
        const a = await c.call(c.api.POST('/api/v1/aliases/{name}/promote', { params: { path: { name } } }));
        ctx.term.note(`Alias ${a.name} is the primary of ${a.instanceId}`);
        print(ctx.term, outputOf(opts), a, aliasColumns, { raw: a });
      },
    ),
    ['wharf alias promote shop'],
  );
  examples(
    alias
      .command('delete')
      .alias('rm')
      .description('delete an alias: its host answers 404, the name is free again')
      .argument('<name>', "the alias's name")
      .action(async (name: string) => {
        const c = ctx.connect();
        await c.call(c.api.DELETE('/api/v1/aliases/{name}', { params: { path: { name } } }));
        ctx.term.note(`Deleted alias ${name}`);
      }),
    ['wharf alias delete shop'],
  );

  // audit
  examples(
    withOutput(
      program
        .command('audit')
        .description('the audit log, newest first (admins): every change, sign-in and denied access')
        .option('--actor <who>', "the actor's name or user id")
        .option('--action <action>', 'an action (app.delete) or a prefix ending in * (app.*)')
        .option('--target <target>', 'what was acted on')
        .option('--outcome <outcome>', OUTCOMES.join(', '))
        .option('--since <time>', 'from this time (2024-05-01, 2024-05-01T12:00:00Z) or age (30m, 12h, 7d)')
        .option('--until <time>', 'before this time or age')
        .option('--limit <n>', 'at most this many events', '50'),
    ).action(async (opts: { actor?: string; action?: string; target?: string; outcome?: string; since?: string; until?: string; limit: string; output?: string }) => {
      const format = outputOf(opts);
      const limit = intOf(opts.limit, '--limit');
      if (opts.outcome && !(OUTCOMES as readonly string[]).includes(opts.outcome)) throw new UsageError(`--outcome: "${opts.outcome}" is not one of ${OUTCOMES.join(', ')}`);
      const query = {
        actor: opts.actor,
        action: opts.action,
        target: opts.target,
        outcome: opts.outcome as (typeof OUTCOMES)[number] | undefined,
        since: opts.since === undefined ? undefined : sinceOf(opts.since, '--since'),
        until: opts.until === undefined ? undefined : sinceOf(opts.until, '--until'),
      };
      const c = ctx.connect();
      const { items, more } = await allPages((cursor, size) => c.call(c.api.GET('/api/v1/audit', { params: { query: { ...query, cursor, limit: size } } })), limit);
      print(ctx.term, format, items, auditColumns, { empty: 'no audit events match' });
      if (more) ctx.term.note(`(the newest ${items.length}; raise --limit or narrow with --since for more)`);
    }),
    ['wharf audit', 'wharf audit --actor alice --action "app.*" --since 7d', 'wharf audit --outcome denied --limit 200 -o json'],
  );
}
