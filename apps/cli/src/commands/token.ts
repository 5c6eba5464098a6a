import type { Schemas } from '@wharf/api';
import type { Command } from 'commander';
import { intOf, repeatable } from '../args';
import { examples, outputOf, withOutput, type Ctx } from '../context';
import { UsageError } from '../errors';
import { age, print, type Column } from '../output';
import { allPages } from '../pages';

type Role = Schemas['TokenInfo']['roles'][number];
const ROLES: Role[] = ['admin', 'full-access', 'visitor'];

const tokenColumns: Column<Schemas['TokenInfo']>[] = [
  { header: 'id', get: (t) => t.id },
  { header: 'name', get: (t) => t.name },
  { header: 'user', get: (t) => t.user.name },
  { header: 'hint', get: (t) => t.hint },
  { header: 'roles', get: (t) => t.roles.join(',') },
  { header: 'read-only', get: (t) => (t.readOnly ? 'yes' : 'no') },
  { header: 'expires', get: (t) => (t.revokedAt ? 'revoked' : t.expiresAt ? t.expiresAt.slice(0, 10) : 'never') },
  { header: 'last used', get: (t) => (t.lastUsedAt ? age(t.lastUsedAt) : 'never') },
  { header: 'age', get: (t) => age(t.createdAt) },
];

/** Personal access tokens: create (shown once), list (never the token), revoke. */
export function registerToken(program: Command, ctx: Ctx): void {
  const token = program.command('token').alias('tokens').description('personal access tokens for scripts and CI (WHARF_TOKEN)');

  examples(
    withOutput(
      token
        .command('create')
        .description('create a token and print it, once, on stdout (it cannot be shown again)')
        .argument('<name>', 'what it is for, e.g. "ci deploy"')
        .option('--expires-in <days>', 'days until it expires (default: the platform\'s)')
        .option('--read-only', 'it may read, not change anything')
        .option('--user <user>', 'create it for this user id (admins)')
        .option('--role <role>', `its roles (admins; ${ROLES.join(', ')}; repeatable or comma-separated)`, repeatable),
    ).action(async (name: string, opts: { expiresIn?: string; readOnly?: boolean; user?: string; role?: string[]; output?: string }) => {
      const format = outputOf(opts);
      const roles = opts.role?.flatMap((r) => r.split(',')).map((r) => r.trim()).filter(Boolean);
      for (const r of roles ?? []) if (!(ROLES as string[]).includes(r)) throw new UsageError(`--role: "${r}" is not one of ${ROLES.join(', ')}`);
      const body: Schemas['TokenCreate'] = {
        name,
        readOnly: Boolean(opts.readOnly),
        expiresInDays: opts.expiresIn === undefined ? undefined : intOf(opts.expiresIn, '--expires-in'),
        user: opts.user,
        roles: roles as Role[] | undefined,
      };
      const c = ctx.connect();
      const t = await c.call(c.api.POST('/api/v1/tokens', { body }));
      const expires = t.expiresAt ? `expires ${t.expiresAt}` : 'never expires';
      ctx.term.note(`Token "${t.name}" (${t.id}) for ${t.user.name}, ${t.roles.join(', ')}${t.readOnly ? ', read-only' : ''}, ${expires}.`);
      ctx.term.note(ctx.term.c.yellow('Copy it now: it will not be shown again.'));
      if (format === 'table') ctx.term.out(t.token);
      else print(ctx.term, format, t, [], { raw: t });
    }),
    ['wharf token create "ci deploy" --expires-in 90', 'wharf token create dashboards --read-only > token.txt', 'wharf token create bot --user 4b1c… --role full-access   # admins'],
  );

  examples(
    withOutput(
      token
        .command('list')
        .alias('ls')
        .description('your tokens (everyone\'s with --all, for admins): names, hints and use, never the tokens')
        .option('-a, --all', "every user's tokens (admins)"),
    ).action(async (opts: { all?: boolean; output?: string }) => {
      const c = ctx.connect();
      const { items } = await allPages((cursor, size) => c.call(c.api.GET('/api/v1/tokens', { params: { query: { all: opts.all ? 'true' : undefined, cursor, limit: size } } })));
      print(ctx.term, outputOf(opts), items, tokenColumns, { empty: 'no tokens' });
    }),
    ['wharf token list', 'wharf token list --all -o yaml'],
  );

  examples(
    token
      .command('revoke')
      .description('revoke a token: it stops working at the next request')
      .argument('<id>', "the token's id (see `wharf token list`)")
      .action(async (id: string) => {
        const c = ctx.connect();
        const t = await c.call(c.api.DELETE('/api/v1/tokens/{id}', { params: { path: { id } } }));
        ctx.term.note(`Revoked token "${t.name}" (${t.id}) of ${t.user.name}`);
      }),
    ['wharf token revoke 7d0e…'],
  );
}
