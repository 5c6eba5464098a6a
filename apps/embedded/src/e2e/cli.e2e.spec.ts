import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { freePort, startWharf, type RunningSystem } from '@wharf/testing';
import type { Browser } from 'playwright-core';
import { launchChromium } from './browser';

jest.setTimeout(240_000);

const ROOT = path.resolve(__dirname, '../../../..');
/** The installed command, as `pnpm exec wharf` finds it (the workspace links the package's bin). */
const WHARF = path.join(ROOT, 'node_modules/.bin/wharf');
/** where a terminal escape sequence (colour, cursor moves) begins */
const ESC = '\u001b[';

interface Ran {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** A running `wharf`, its output as it comes. */
function start(args: string[], env: NodeJS.ProcessEnv, input?: string) {
  const child = spawn(WHARF, args, { env, stdio: ['pipe', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout!.setEncoding('utf8').on('data', (c: string) => (stdout += c));
  child.stderr!.setEncoding('utf8').on('data', (c: string) => (stderr += c));
  child.stdin!.end(input ?? '');
  const done = new Promise<Ran>((resolve) => child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr })));
  return {
    child,
    done,
    out: () => stdout,
    err: () => stderr,
    /** resolves when stdout or stderr matches `re` (its match), rejects when the command ends first */
    waitFor: (re: RegExp, within = 60_000) =>
      new Promise<RegExpMatchArray>((resolve, reject) => {
        const t0 = Date.now();
        const tick = () => {
          const m = re.exec(stdout) ?? re.exec(stderr);
          if (m) return resolve(m);
          if (child.exitCode !== null || Date.now() - t0 > within) return reject(new Error(`no ${re} in the output of wharf ${args.join(' ')}:\n${stdout}\n${stderr}`));
          setTimeout(tick, 50);
        };
        tick();
      }),
  };
}

/**
 * The author's journey with the `wharf` command alone, against Wharf started as `pnpm start`
 * starts it: device login with no browser on this side (the code approved in Chromium, "another
 * machine"), init → validate → deploy (built, imported, run, RUNNING, its URL answers through the
 * router) → logs -f → visibility → terminate; then the error paths (a bad bundle, a limit, a
 * revoked token, a platform that is down) and how the output looks on a terminal and piped.
 */
describe('the wharf CLI, end to end', () => {
  let sys: RunningSystem;
  let browser: Browser;
  let home: string;
  let env: NodeJS.ProcessEnv;
  const wharf = (args: string[], input?: string, extra: NodeJS.ProcessEnv = {}) => start(args, { ...env, ...extra }, input).done;

  beforeAll(async () => {
    [sys, browser] = await Promise.all([startWharf({ WHARF_REPOSITORY_MAX_VERSIONS_PER_USER: '2' }), launchChromium()]);
    home = mkdtempSync(path.join(os.tmpdir(), 'wharf-cli-e2e-'));
    // a user's environment: no token, no URL; the config file under their home
    env = { PATH: process.env.PATH, HOME: home, XDG_CONFIG_HOME: path.join(home, '.config'), LANG: 'C.UTF-8' };
  }, 240_000);
  afterAll(async () => {
    await browser?.close();
    if (sys?.proc.exitCode === null) await sys.stop();
    if (home) rmSync(home, { recursive: true, force: true });
  });

  let instanceId = '';
  let instanceUrl = '';

  it('signs in by device login: prints a code and a URL, waits for approval elsewhere, keeps the token readable by the user only', async () => {
    const setup = start(['config', 'setup', '--url', sys.gateway], env);
    const [, url] = await setup.waitFor(/or open (\S+)/);
    expect(setup.err()).toMatch(/enter the code [A-Z]{4}-[A-Z]{4}/);
    // "another machine": any browser opens the URL the CLI printed
    const page = await browser.newPage();
    await page.goto(url!);
    await page.fill('#username', 'alice');
    await page.fill('#password', sys.devUsers.alice!);
    await Promise.all([page.waitForURL(/\/auth\/device\/verify/), page.click('button[type=submit]')]);
    await page.click('#approve');
    await page.close();
    const ran = await setup.done;
    expect(ran.code).toBe(0);
    expect(ran.stderr).toContain('as alice');
    const file = path.join(home, '.config/wharf/config.json');
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(statSync(path.dirname(file)).mode & 0o777).toBe(0o700);
    const token = (JSON.parse(readFileSync(file, 'utf8')) as { profiles: { default: { token: string } } }).profiles.default.token;
    expect(token).toMatch(/^wharf_pat_/);

    const show = await wharf(['config', 'show']);
    expect(show.code).toBe(0);
    expect(show.stdout).toContain(sys.gateway);
    expect(show.stdout + show.stderr).not.toContain(token); // never the token
  });

  let dir = '';
  it('makes a working app with bundle init, which validates', async () => {
    dir = path.join(home, 'hello-cli');
    const init = await wharf(['bundle', 'init', dir]);
    expect(init.code).toBe(0);
    const validate = await wharf(['bundle', 'validate', dir]);
    expect(validate).toMatchObject({ code: 0 });
  });

  it('deploys it: builds, imports, runs, waits until RUNNING and prints a URL that answers through the router', async () => {
    const deploy = await wharf(['bundle', 'deploy', dir]);
    expect(deploy.code).toBe(0);
    const m = /(http:\/\/([a-z0-9]+)\.[^\s]+)/.exec(deploy.stdout);
    expect(m).not.toBeNull();
    [, instanceUrl, instanceId] = m!;
    const page = await viaRouter(instanceUrl);
    expect(page.status).toBe(200);
    const list = await wharf(['instance', 'list', '-o', 'json']);
    expect(JSON.parse(list.stdout)).toEqual(expect.arrayContaining([expect.objectContaining({ id: instanceId, status: 'RUNNING' })]));
  });

  it('follows the logs until Ctrl-C, which ends it cleanly', async () => {
    const logs = start(['instance', 'logs', instanceId, '-f'], env);
    await new Promise((r) => setTimeout(r, 1000));
    await viaRouter(`${instanceUrl}?from=cli-e2e`); // a request the app logs
    await logs.waitFor(/cli-e2e/, 30_000);
    logs.child.kill('SIGINT');
    const ran = await logs.done;
    expect(ran.code).toBe(0);
  });

  it('shares it: prints the link once, lists and revokes it, and says why a guest link or a bad --expires is refused', async () => {
    const made = await wharf(['instance', 'share', 'create', instanceId, '--expires', '2h', '--one-time']);
    expect(made.code).toBe(0);
    const url = made.stdout.trim();
    expect(url).toMatch(/^http:\/\/[^/]+\/share\/wsh_[A-Za-z0-9_-]{43}$/);
    expect(made.stderr).toMatch(/shown only now/);
    const list = await wharf(['instance', 'share', 'list', instanceId, '-o', 'json']);
    const shares = (JSON.parse(list.stdout) as { items: { id: string; oneTime: boolean; state: string }[] }).items;
    expect(shares).toEqual([expect.objectContaining({ oneTime: true, state: 'ACTIVE' })]);
    expect(list.stdout).not.toContain(url.split('/').pop()!);
    const revoked = await wharf(['instance', 'share', 'revoke', instanceId, shares[0]!.id, '-o', 'json']);
    expect(revoked.code).toBe(0);
    expect(JSON.parse(revoked.stdout)).toMatchObject({ id: shares[0]!.id, state: 'REVOKED' });
    expect((await fetch(url, { redirect: 'manual' })).status).toBe(410);
    const guests = await wharf(['instance', 'share', 'create', instanceId, '--anonymous']);
    expect(guests.code).not.toBe(0);
    expect(guests.stderr).toContain('Gateway.AllowAnonymousShares');
    const bad = await wharf(['instance', 'share', 'create', instanceId, '--expires', 'tomorrow']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--expires: "tomorrow" is not a duration');
  });

  it('changes the visibility, then terminates it', async () => {
    const update = await wharf(['instance', 'update', instanceId, '-v', 'ALL_USERS', '-o', 'json']);
    expect(update.code).toBe(0);
    expect(JSON.parse(update.stdout)).toMatchObject({ id: instanceId, visibility: 'ALL_USERS' });
    const terminate = await wharf(['instance', 'terminate', instanceId]);
    expect(terminate.code).toBe(0);
    const get = await wharf(['instance', 'get', instanceId, '-o', 'json']);
    if (get.code === 0) expect(JSON.parse(get.stdout)).toMatchObject({ status: 'TERMINATED' });
    else expect(get.stderr).toMatch(/not found/i);
  });

  it('names every problem of a bad bundle with its field path, and imports nothing', async () => {
    const bad = path.join(home, 'bad');
    await wharf(['bundle', 'init', bad]);
    writeFileSync(path.join(bad, 'app.toml'), readFileSync(path.join(bad, 'app.toml'), 'utf8').replace(/^Name = .*$/m, 'Name = "Not A Name!"'));
    const validate = await wharf(['bundle', 'validate', bad]);
    expect(validate.code).toBe(1);
    expect(validate.stderr + validate.stdout).toMatch(/App\.Name/);
    const imported = await wharf(['bundle', 'import', bad]);
    expect(imported.code).toBe(1);
    const versions = await wharf(['app', 'list', '-o', 'json']);
    expect(JSON.parse(versions.stdout)).toHaveLength(1); // the deployed app only
  });

  it('says which limit a refused import reached', async () => {
    // MaxVersionsPerUser is 2 here: the deploy made one, this is the second, the third is refused
    for (const name of ['second-app', 'third-app']) expect((await wharf(['bundle', 'init', path.join(home, name)])).code).toBe(0);
    expect((await wharf(['bundle', 'import', path.join(home, 'second-app')])).code).toBe(0);
    const third = await wharf(['bundle', 'import', path.join(home, 'third-app')]);
    expect(third.code).toBe(1);
    expect(third.stderr).toMatch(/limit reached/);
  });

  it("says what the platform said when a streamed answer is refused (logs of an instance that is not there)", async () => {
    const ran = await wharf(['instance', 'logs', 'zzzzzzzzzz']);
    expect(ran.code).toBe(1);
    expect(ran.stderr).toMatch(/zzzzzzzzzz.*not found/);
  });

  it('exits 2 with a hint on wrong usage', async () => {
    const ran = await wharf(['instance', 'frobnicate']);
    expect(ran.code).toBe(2);
    expect(ran.stderr).toMatch(/unknown command/);
  });

  it('tells a user whose token was revoked to log in again', async () => {
    const other = mkdtempSync(path.join(os.tmpdir(), 'wharf-cli-e2e-token-'));
    try {
      const created = await wharf(['token', 'create', 'e2e-short-lived', '-o', 'json']);
      expect(created.code).toBe(0);
      const { id, token } = JSON.parse(created.stdout) as { id: string; token: string };
      expect(created.stderr).not.toContain(token);
      expect((await wharf(['token', 'revoke', id])).code).toBe(0);
      const ran = await wharf(['app', 'list'], undefined, { WHARF_URL: sys.gateway, WHARF_TOKEN: token, XDG_CONFIG_HOME: other });
      expect(ran.code).toBe(1);
      expect(ran.stderr).toMatch(/run `wharf login`/);
    } finally {
      rmSync(other, { recursive: true, force: true });
    }
  });

  it('says when the platform cannot be reached, after retrying', async () => {
    const closed = await freePort(); // nothing listens there
    const ran = await wharf(['app', 'list'], undefined, { WHARF_URL: `http://127.0.0.1:${closed}` });
    expect(ran.code).toBe(1);
    expect(ran.stderr).toMatch(/could not be reached \(ECONNREFUSED\)/);
  });

  it('draws colour and a table for a person on a terminal, and plain text when piped', async () => {
    const cmd = `${WHARF} app list`;
    const tty = await ptyRun(cmd, env);
    expect(tty.code).toBe(0);
    expect(tty.output).toContain(ESC); // ANSI styling on a terminal
    expect(tty.output).toMatch(/NAME/);
    const piped = await wharf(['app', 'list']);
    expect(piped.stdout).toMatch(/NAME/);
    expect(piped.stdout + piped.stderr).not.toContain(ESC);
  });

  it('logs out: the token is revoked on the platform and forgotten here', async () => {
    const file = path.join(home, '.config/wharf/config.json');
    const token = (JSON.parse(readFileSync(file, 'utf8')) as { profiles: { default: { token: string } } }).profiles.default.token;
    const ran = await wharf(['logout']);
    expect(ran.code).toBe(0);
    expect(readFileSync(file, 'utf8')).not.toContain(token);
    const me = await fetch(`${sys.gateway}/api/v1/me`, { headers: { authorization: `Bearer ${token}` } });
    expect(me.status).toBe(401);
  });

  /** alice's token, as the CLI stored it */
  const aliceToken = () => (JSON.parse(readFileSync(path.join(home, '.config/wharf/config.json'), 'utf8')) as { profiles: { default: { token: string } } }).profiles.default.token;
  /** The app through the router, as alice reaches it (her private instance: not even an admin may open it). */
  const viaRouter = (url: string) =>
    new Promise<{ status: number; body: string }>((resolve, reject) => {
      const u = new URL(url);
      http
        .get({ host: '127.0.0.1', port: u.port, path: `${u.pathname}${u.search}`, headers: { host: u.host, authorization: `Bearer ${aliceToken()}` }, agent: false }, (res) => {
          let body = '';
          res.setEncoding('utf8');
          res.on('data', (c: string) => (body += c));
          res.on('end', () => resolve({ status: res.statusCode!, body }));
        })
        .on('error', reject);
    });
});

/** Runs `cmd` on a pseudo-terminal (util-linux script), as a person in a terminal would: what the terminal showed, and the exit code. */
function ptyRun(cmd: string, env: NodeJS.ProcessEnv): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve) => {
    const child: ChildProcess = spawn('script', ['-qefc', cmd, '/dev/null'], { env: { ...env, TERM: 'xterm-256color' }, stdio: ['pipe', 'pipe', 'pipe'] });
    let output = '';
    child.stdout!.setEncoding('utf8').on('data', (c: string) => (output += c));
    child.stderr!.setEncoding('utf8').on('data', (c: string) => (output += c));
    child.stdin!.end();
    child.on('close', (code) => resolve({ code, output }));
  });
}
