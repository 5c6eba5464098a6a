import type { Command } from 'commander';
import { connect, failure, unreachable } from '../client';
import { configPath, DEFAULT_PROFILE, normalizeUrl, readConfig, resolveTarget, writeConfig, type Target } from '../config';
import { examples, outputOf, withOutput, type Ctx } from '../context';
import { CliError, UsageError } from '../errors';
import { print } from '../output';

const CLIENT_ID = 'wharf-cli';

interface DeviceStart {
  device_code: string;
  user_code: string;
  verification_uri: string;
  verification_uri_complete?: string;
  expires_in: number;
  interval: number;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function postForm(url: string, form: Record<string, string>): Promise<{ status: number; body: Record<string, unknown> }> {
  let res: Response;
  try {
    res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' }, body: new URLSearchParams(form) });
  } catch (e) {
    throw unreachable(e, new URL(url).origin);
  }
  const text = await res.text();
  let body: Record<string, unknown> = {};
  try {
    body = text ? (JSON.parse(text) as Record<string, unknown>) : {};
  } catch {
    body = {};
  }
  return { status: res.status, body };
}

/**
 * Device login (RFC 8628): asks the gateway for a code, tells the user where to approve it (any
 * browser, on any machine: this one needs none), and polls until approved. Returns the personal
 * access token the gateway then issues.
 */
export async function deviceLogin(ctx: Ctx, url: string): Promise<string> {
  const { term } = ctx;
  const start = await postForm(`${url}/auth/device`, { client_id: CLIENT_ID });
  if (start.status !== 200) throw failure(start.status, start.body, url);
  const d = start.body as unknown as DeviceStart;
  term.note(`To sign in, open ${term.c.bold(d.verification_uri)} in a browser (on any device) and enter the code ${term.c.bold(d.user_code)}`);
  if (d.verification_uri_complete) term.note(`or open ${d.verification_uri_complete}`);
  const spinner = term.spinner(`Waiting for you to approve code ${d.user_code}…`);
  let interval = Math.max(1, d.interval) * 1000;
  const deadline = Date.now() + d.expires_in * 1000;
  try {
    for (;;) {
      await sleep(interval);
      const r = await postForm(`${url}/auth/device/token`, { grant_type: 'urn:ietf:params:oauth:grant-type:device_code', device_code: d.device_code, client_id: CLIENT_ID });
      if (r.status === 200 && typeof r.body.access_token === 'string') {
        spinner.succeed('Approved');
        return r.body.access_token;
      }
      const error = String(r.body.error ?? '');
      if (error === 'authorization_pending' && Date.now() < deadline) continue;
      if (error === 'slow_down') {
        interval += 5000;
        continue;
      }
      const said = typeof r.body.error_description === 'string' ? r.body.error_description : error || `HTTP ${r.status}`;
      if (error === 'access_denied') throw new CliError(`sign-in refused: ${said}`);
      if (error === 'expired_token' || error === 'authorization_pending') throw new CliError(`the code expired before it was approved: run \`wharf login\` again`);
      throw r.status >= 500 || !error ? failure(r.status, r.body, url) : new CliError(`device login failed: ${said}`);
    }
  } catch (e) {
    spinner.fail('Not signed in');
    throw e;
  }
}

/** Logs in to `url` and stores the token in `profile` (made the current profile). */
async function loginAndStore(ctx: Ctx, profile: string, url: string): Promise<void> {
  const token = await deviceLogin(ctx, url);
  const target: Target = { url, token, profile, urlFrom: 'login', tokenFrom: 'login' };
  const c = connect(target);
  const me = await c.call(c.api.GET('/api/v1/me'));
  const file = configPath(ctx.env);
  const cfg = readConfig(file);
  cfg.profiles[profile] = { url, token, user: me.name };
  cfg.current = profile;
  writeConfig(file, cfg);
  ctx.term.note(`Signed in to ${url} as ${ctx.term.c.bold(me.name)} (${me.roles.join(', ')}); profile "${profile}" saved in ${file} (readable by you only)`);
  if (ctx.env.WHARF_TOKEN) ctx.term.note('Note: WHARF_TOKEN is set and is used instead of the stored token while it is.');
}

export function registerConfig(program: Command, ctx: Ctx): void {
  const config = program.command('config').description('the platforms this CLI talks to (profiles) and how it signs in');

  examples(
    config
      .command('setup')
      .description("set a profile's gateway URL and sign in with device login (prints a code to approve in any browser: works over SSH)")
      .option('--url <url>', "the gateway's URL, e.g. https://wharf.example.com (default: the profile's, or WHARF_URL)")
      .option('--no-login', 'only store the URL')
      .action(async (opts: { url?: string; login: boolean }) => {
        const file = configPath(ctx.env);
        const cfg = readConfig(file);
        const profile = ctx.globals().profile ?? ctx.env.WHARF_PROFILE ?? cfg.current ?? DEFAULT_PROFILE;
        const raw = opts.url ?? ctx.globals().url ?? ctx.env.WHARF_URL ?? cfg.profiles[profile]?.url;
        if (!raw) throw new UsageError('wharf config setup needs the gateway URL: --url https://wharf.example.com');
        const url = normalizeUrl(raw, '--url');
        if (!opts.login) {
          cfg.profiles[profile] = { ...cfg.profiles[profile], url, ...(cfg.profiles[profile]?.url === url ? {} : { token: undefined, user: undefined }) };
          cfg.current = profile;
          writeConfig(file, cfg);
          ctx.term.note(`Profile "${profile}" now points at ${url} (${file}); sign in with \`wharf login\``);
          return;
        }
        await loginAndStore(ctx, profile, url);
      }),
    ['wharf config setup --url https://wharf.example.com', 'wharf config setup --profile staging --url https://wharf-staging.example.com', 'wharf config setup --url http://127.0.0.1:8080 --no-login'],
  );

  examples(
    withOutput(config.command('show').description('the profiles, the current one, and where URL and token come from (never the token itself)')).action(async (opts: { output?: string }) => {
      const file = configPath(ctx.env);
      const cfg = readConfig(file);
      const current = ctx.globals().profile ?? ctx.env.WHARF_PROFILE ?? cfg.current ?? DEFAULT_PROFILE;
      let target: Target | null = null;
      try {
        target = resolveTarget(ctx.globals(), ctx.env);
      } catch {
        target = null;
      }
      const rows = Object.entries(cfg.profiles).map(([name, p]) => ({ name, current: name === current, url: p.url, user: p.user ?? null, token: p.token ? 'stored' : 'none' }));
      if (!rows.some((r) => r.current) && target) rows.push({ name: current, current: true, url: target.url, user: null, token: target.token ? 'from environment' : 'none' });
      const format = outputOf(opts);
      print(ctx.term, format, rows, [
        { header: 'current', get: (r) => (r.current ? '*' : '') },
        { header: 'profile', get: (r) => r.name },
        { header: 'url', get: (r) => r.url },
        { header: 'user', get: (r) => r.user },
        { header: 'token', get: (r) => r.token },
      ], { raw: { file, current, url: target?.url ?? null, urlFrom: target?.urlFrom ?? null, tokenFrom: target?.tokenFrom ?? null, profiles: rows }, empty: `no profiles in ${file}: run \`wharf config setup --url <gateway URL>\`` });
      if (format === 'table' && target) ctx.term.note(`using ${target.url} (from ${target.urlFrom}); token ${target.tokenFrom ? `from ${target.tokenFrom}` : 'none: run `wharf login`'}`);
    }),
    ['wharf config show', 'wharf config show -o yaml'],
  );

  examples(
    program
      .command('login')
      .description("sign in again with device login to the current profile's platform (prints a code to approve in any browser)")
      .action(async () => {
        const t = resolveTarget(ctx.globals(), ctx.env);
        await loginAndStore(ctx, t.profile, t.url);
      }),
    ['wharf login', 'wharf --profile staging login'],
  );

  examples(
    program
      .command('logout')
      .description("revoke this profile's token on the platform and forget it here")
      .action(async () => {
        const t = resolveTarget(ctx.globals(), ctx.env);
        if (!t.token) throw new CliError(`not signed in to ${t.url} (profile "${t.profile}"): nothing to log out`);
        const c = connect(t);
        const me = await c.api.GET('/api/v1/me').catch((e: unknown) => {
          throw unreachable(e, t.url);
        });
        if (me.response.status === 401) {
          ctx.term.note('The token was no longer valid on the platform.');
        } else if (me.data?.auth.kind === 'token' && me.data.auth.tokenId) {
          await c.call(c.api.DELETE('/api/v1/tokens/{id}', { params: { path: { id: me.data.auth.tokenId } } }));
          ctx.term.note(`Token revoked on ${t.url}.`);
        } else if (!me.response.ok) {
          throw failure(me.response.status, me.error, t.url);
        }
        if (t.tokenFrom === 'WHARF_TOKEN') {
          ctx.term.note('The token came from WHARF_TOKEN: unset it.');
          return;
        }
        const file = configPath(ctx.env);
        const cfg = readConfig(file);
        const p = cfg.profiles[t.profile];
        if (p) {
          delete p.token;
          delete p.user;
          writeConfig(file, cfg);
        }
        ctx.term.note(`Logged out of profile "${t.profile}".`);
      }),
    ['wharf logout'],
  );
}
