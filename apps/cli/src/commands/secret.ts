import type { Schemas } from '@wharf/api';
import { Option, type Command } from 'commander';
import { repeatable } from '../args';
import { examples, outputOf, withOutput, type Ctx } from '../context';
import { UsageError } from '../errors';
import { age, print, type Column } from '../output';
import { allPages } from '../pages';
import { parseSecretData, readSecretText, refuseArgvValues } from '../secret-input';

type UserSecret = Schemas['UserSecret'];
type Visibility = UserSecret['visibility'];

const VISIBILITIES: Record<string, Visibility> = { private: 'PRIVATE', 'all-users': 'ALL_USERS', all_users: 'ALL_USERS', app: 'APP' };

/** `--visibility private|all-users|app` (any case) as the API's value; undefined when left out. */
export function visibilityOf(raw: string | undefined): Visibility | undefined {
  if (raw === undefined) return undefined;
  const v = VISIBILITIES[raw.trim().toLowerCase()];
  if (!v) throw new UsageError(`--visibility: "${raw}" is not one of private (only your instances), all-users (every instance) or app (instances of the apps given with --app)`);
  return v;
}

/** The access a command sets: `--app` alone means visibility APP. */
export function accessOf(opts: { visibility?: string; app?: string[] }): { visibility?: Visibility; apps?: string[] } {
  const apps = opts.app?.flatMap((a) => a.split(',')).map((a) => a.trim()).filter(Boolean);
  const visibility = visibilityOf(opts.visibility) ?? (apps?.length ? 'APP' : undefined);
  if (visibility === 'APP' && !apps?.length) throw new UsageError('--visibility app needs the apps that may read it: add --app <name> (repeatable)');
  if (apps?.length && visibility !== 'APP') throw new UsageError(`--app is only for --visibility app (${visibility?.toLowerCase().replace('_', '-')} does not name apps)`);
  return { ...(visibility ? { visibility } : {}), ...(apps?.length ? { apps } : {}) };
}

const shown = (s: UserSecret) => (s.visibility === 'APP' ? `APP (${s.apps.join(', ')})` : s.visibility);

export const userSecretColumns: Column<UserSecret>[] = [
  { header: 'name', get: (s) => s.name },
  { header: 'keys', get: (s) => s.keys.join(',') },
  { header: 'visibility', get: shown },
  { header: 'reference', get: (s) => s.ref },
  { header: 'updated', get: (s) => age(s.updatedAt) },
];
const withOwner: Column<UserSecret>[] = [{ header: 'owner', get: (s) => s.owner.name }, ...userSecretColumns];

/** Old scripts that set platform secrets with `wharf secret set … --grant-app`: said where that went. */
function refuseGrantOptions(cmd: Command): Command {
  for (const flag of ['--grant-app <name>', '--grant-owner <user>']) cmd.addOption(new Option(flag).hideHelp().argParser(() => {
    throw new UsageError(`${flag.split(' ')[0]} grants platform secrets (admins): use \`wharf platform-secret set\`; your own secrets take --visibility and --app`);
  }));
  return cmd;
}

const ownerOption = (cmd: Command) => cmd.option('--owner <user id>', "another user's secret (admins)");
const accessOptions = (cmd: Command) =>
  cmd
    .option('--visibility <visibility>', 'who may read it: private (only instances you run; the default for a new secret), all-users (every instance) or app (instances of the --app apps)')
    .option('--app <name>', 'an app whose instances may read it, with --visibility app (repeatable or comma-separated)', repeatable);

/**
 * `wharf secret`: your own secrets, which apps read through `[[Env]] Secret = "~/<name>"` (in
 * instances you run) or `"<your user id>/<name>"`, as far as their visibility lets them. Values
 * come from stdin or a file only, and are never shown.
 */
export function registerSecret(program: Command, ctx: Ctx): void {
  const secret = program
    .command('secret')
    .alias('secrets')
    .description('your secrets, which your apps read through [[Env]] Secret = "~/<name>"; values are write-only (platform secrets: wharf platform-secret)');

  const write = (mode: 'create' | 'set') =>
    async function (this: Command, name: string, opts: { fromFile?: string; visibility?: string; app?: string[]; owner?: string; output?: string }) {
      const command = `wharf secret ${mode}`;
      refuseArgvValues(name, this.args.slice(1), command);
      const format = outputOf(opts);
      const access = accessOf(opts);
      const { text, source } = await readSecretText(opts, process.stdin, command);
      const data = parseSecretData(text, source);
      const c = ctx.connect();
      const query = { query: { owner: opts.owner } };
      let s: UserSecret;
      let verb: string;
      if (mode === 'create') {
        s = await c.call(c.api.POST('/api/v1/user-secrets', { params: query, body: { name, data, ...access } }));
        verb = 'Created';
      } else {
        const res = await c.api.PUT('/api/v1/user-secrets/{name}', { params: { path: { name }, ...query }, body: { data, ...access } });
        s = await c.call(Promise.resolve(res));
        verb = res.response.status === 201 ? 'Created' : 'Replaced';
      }
      ctx.term.note(`${verb} secret ${s.name} with ${s.keys.length} key${s.keys.length === 1 ? '' : 's'} (${s.keys.join(', ')}), ${shown(s)}; apps read it as Secret = "~/${s.name}" in instances its owner runs, or "${s.ref}"`);
      print(ctx.term, format, s, userSecretColumns, { raw: s });
    };

  examples(
    withOutput(
      refuseGrantOptions(
        ownerOption(
          accessOptions(
            secret
              .command('create')
              .description('create a secret of yours from KEY=value lines or a JSON object on stdin or in a file (never from the command line); fails if you have one of that name')
              .argument('<name>', "the secret's name (lower-case letters, digits, - and ., at most 63)")
              .option('--from-file <path>', 'read the values from this file (- for stdin) instead of stdin'),
          ),
        ).allowExcessArguments(true),
      ),
    ).action(write('create')),
    [
      'wharf secret create openai < openai.env                 # API_KEY=… lines; PRIVATE',
      'wharf secret create team-db --from-file db.json --visibility all-users',
      'printf \'TOKEN=%s\\n\' "$TOKEN" | wharf secret create reports-token --app sales-dashboard',
    ],
  );

  examples(
    withOutput(
      refuseGrantOptions(
        ownerOption(
          accessOptions(
            secret
              .command('set')
              .description('create or replace a secret of yours (all its keys) from stdin or a file; visibility and apps left out keep those it had')
              .argument('<name>', "the secret's name")
              .option('--from-file <path>', 'read the values from this file (- for stdin) instead of stdin'),
          ),
        ).allowExcessArguments(true),
      ),
    ).action(write('set')),
    ['wharf secret set openai < openai.env', 'wharf secret set openai --from-file openai.json --visibility private'],
  );

  examples(
    withOutput(ownerOption(accessOptions(secret.command('update').description('change who may read a secret of yours; its values stay as they are').argument('<name>', "the secret's name")))).action(
      async (name: string, opts: { visibility?: string; app?: string[]; owner?: string; output?: string }) => {
        const access = accessOf(opts);
        if (!access.visibility) throw new UsageError('wharf secret update changes the visibility: give --visibility private|all-users|app (with --app for app)');
        const c = ctx.connect();
        const s = await c.call(c.api.PATCH('/api/v1/user-secrets/{name}', { params: { path: { name }, query: { owner: opts.owner } }, body: { visibility: access.visibility, apps: access.apps } }));
        ctx.term.note(`Secret ${s.name} is ${shown(s)} now`);
        print(ctx.term, outputOf(opts), s, userSecretColumns, { raw: s });
      },
    ),
    ['wharf secret update openai --visibility all-users', 'wharf secret update openai --app sales-dashboard --app forecasts'],
  );

  examples(
    withOutput(
      ownerOption(secret.command('list').alias('ls').description('your secrets: names, keys, visibility and how apps name them, never their values').option('-a, --all', "every user's secrets (admins)")),
    ).action(async (opts: { all?: boolean; owner?: string; output?: string }) => {
      const c = ctx.connect();
      const query = { scope: opts.all ? ('all' as const) : undefined, owner: opts.owner };
      const { items } = await allPages((cursor, size) => c.call(c.api.GET('/api/v1/user-secrets', { params: { query: { ...query, cursor, limit: size } } })));
      print(ctx.term, outputOf(opts), items, opts.all || opts.owner ? withOwner : userSecretColumns, { empty: 'no secrets (create one with `wharf secret create <name> < values.env`)' });
    }),
    ['wharf secret list', 'wharf secret list --all -o yaml   # admins'],
  );

  examples(
    withOutput(ownerOption(secret.command('get').description('one secret of yours: its keys, visibility and reference, never its values').argument('<name>', "the secret's name"))).action(
      async (name: string, opts: { owner?: string; output?: string }) => {
        const c = ctx.connect();
        const s = await c.call(c.api.GET('/api/v1/user-secrets/{name}', { params: { path: { name }, query: { owner: opts.owner } } }));
        print(ctx.term, outputOf(opts), s, userSecretColumns, { raw: s });
      },
    ),
    ['wharf secret get openai', 'wharf secret get openai -o json'],
  );

  examples(
    ownerOption(
      secret
        .command('delete')
        .alias('rm')
        .description('delete a secret of yours; refused while an instance that is not terminated reads it (terminate those first)')
        .argument('<name>', "the secret's name"),
    ).action(async (name: string, opts: { owner?: string }) => {
      const c = ctx.connect();
      const d = await c.call(c.api.DELETE('/api/v1/user-secrets/{name}', { params: { path: { name }, query: { owner: opts.owner } } }));
      ctx.term.note(`Deleted secret ${d.name} (${d.ref})`);
    }),
    ['wharf secret delete openai'],
  );
}
