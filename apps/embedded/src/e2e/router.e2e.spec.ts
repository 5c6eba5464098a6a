import { readFileSync } from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { alivePids, launcherPids, startWharf, type RunningSystem } from '@wharf/testing';
import type { Browser, Page } from 'playwright-core';
import { launchChromium } from './browser';
import NodeWebSocket from 'ws';

jest.setTimeout(180_000);

const EXAMPLES = path.resolve(__dirname, '../../../../examples/dist');

/**
 * Issue 5's "done when", against Wharf started as `pnpm start` starts it (real gateway, dev
 * OpenID provider, scheduler with the process driver, router): in Chromium the owner opens a
 * private instance of the websocket sample after the login redirect and talks to it over a
 * websocket; another user gets 403 on HTTP and on the websocket.
 */
describe('opening an instance through the router', () => {
  let sys: RunningSystem;
  let browser: Browser;
  const tokens: Record<string, string> = {};
  let id = '';
  let origin = '';

  const api = async (token: string, method: string, p: string, body?: unknown) => {
    const r = await fetch(`${sys.gateway}/api/v1${p}`, {
      method,
      headers: { authorization: `Bearer ${token}`, ...(body ? { 'content-type': 'application/json' } : {}) },
      body: body ? JSON.stringify(body) : undefined,
    });
    return { status: r.status, body: (await r.json()) as Record<string, unknown> };
  };
  /** Node cannot resolve *.localhost; Chromium can. Requests from Node go to 127.0.0.1 with the Host header. */
  const get = (headers: Record<string, string>) =>
    new Promise<number>((resolve, reject) => {
      http.get({ host: '127.0.0.1', port: sys.routerPort, path: '/', headers: { host: new URL(origin).host, ...headers }, agent: false }, (res) => (res.resume(), resolve(res.statusCode!))).on('error', reject);
    });
  const ws = (headers: Record<string, string>) =>
    new Promise<number | string>((resolve) => {
      const s = new NodeWebSocket(`ws://127.0.0.1:${sys.routerPort}/ws`, { headers: { host: new URL(origin).host, ...headers } });
      s.once('unexpected-response', (_q, res) => (resolve(res.statusCode!), s.terminate()));
      s.once('open', () => s.send('hello'));
      s.once('message', (m) => (resolve(m.toString()), s.close()));
      s.once('error', (e) => resolve(e.message));
    });
  const login = async (page: Page, user: string) => {
    await page.goto(`${origin}/`); // → router 302 → gateway → sign-in page of the OpenID provider
    await page.fill('#username', user);
    await page.fill('#password', sys.devUsers[user]!);
    const [response] = await Promise.all([page.waitForResponse((r) => r.url() === `${origin}/`), page.click('button[type=submit]')]);
    return response;
  };

  /**
   * A personal access token of the dev provider's user itself (signed in with Chromium, then
   * POST /api/v1/tokens with the session): tokens an admin mints are users of their own (svc:…).
   */
  const ownToken = async (user: string) => {
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(`${sys.gateway}/auth/login?next=/api/v1/me`);
    await page.fill('#username', user);
    await page.fill('#password', sys.devUsers[user]!);
    await Promise.all([page.waitForURL(`${sys.gateway}/api/v1/me`), page.click('button[type=submit]')]);
    const token = await page.evaluate(`(async () => {
      const { csrfToken } = await (await fetch('/auth/session')).json();
      const r = await fetch('/api/v1/tokens', { method: 'POST', headers: { 'content-type': 'application/json', 'x-csrf-token': csrfToken }, body: JSON.stringify({ name: 'router e2e' }) });
      return (await r.json()).token;
    })()`);
    await context.close();
    return token as string;
  };

  beforeAll(async () => {
    [sys, browser] = await Promise.all([
      startWharf(),
      launchChromium(),
    ]);
    tokens.alice = await ownToken('alice');
    tokens.bob = await ownToken('bob');
    const imported = await fetch(`${sys.gateway}/api/v1/bundles`, {
      method: 'POST',
      headers: { authorization: `Bearer ${tokens.alice}`, 'content-type': 'application/zip' },
      body: new Uint8Array(readFileSync(path.join(EXAMPLES, 'echo-ws.zip'))),
    });
    expect(imported.status).toBe(201);
    const run = await api(tokens.alice, 'POST', '/apps/echo-ws/instances', { visibility: 'PRIVATE' });
    expect(run.status).toBe(201);
    id = run.body.id as string;
    origin = run.body.url as string;
    expect(origin).toBe(`http://${id}.apps.localhost:${sys.routerPort}`);
    for (let i = 0; i < 400 && (await api(tokens.alice, 'GET', `/instances/${id}`)).body.status !== 'RUNNING'; i++) await new Promise((r) => setTimeout(r, 50));
  });
  afterAll(async () => {
    await browser?.close();
    if (sys && sys.proc.exitCode === null) await sys.stop();
  });

  it('prints the router with the other endpoints', () => {
    expect(sys.output).toContain(`Router: http://apps.localhost:${sys.routerPort} (instances at http://<id>.apps.localhost:${sys.routerPort})`);
  });

  it('lets the owner open the private instance in Chromium after the login redirect, websocket included', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    const response = await login(page, 'alice');
    expect(response.status()).toBe(200);
    expect(await page.title()).toBe('Echo');
    // browser code as text: it runs in the page (DOM types), not in Node
    const echoed = await page.evaluate(`new Promise((resolve) => {
      const s = new WebSocket(location.href.replace(/^http/, 'ws') + 'ws');
      s.onopen = () => s.send('through the router');
      s.onmessage = (e) => resolve(String(e.data));
      s.onerror = () => resolve('error');
    })`);
    expect(echoed).toBe('through the router');
    const [cookie] = (await context.cookies(origin)).filter((c) => c.name === 'wharf_instance');
    expect(cookie).toMatchObject({ domain: `${id}.apps.localhost`, httpOnly: true, sameSite: 'Lax', path: '/' }); // host-only
    // the app never saw a platform credential: its page has no access to the router cookie
    expect(await page.evaluate('document.cookie')).not.toContain('wharf_instance');
    await context.close();
  });

  it('gives another user 403 on HTTP and on the websocket (browser and token alike)', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    const response = await login(page, 'bob');
    expect(response.status()).toBe(403);
    expect(await page.textContent('h1')).toBe('No access');
    const [cookie] = (await context.cookies(origin)).filter((c) => c.name === 'wharf_instance');
    expect(cookie).toBeDefined(); // bob is signed in on that host, and still refused
    const bobCookie = `wharf_instance=${cookie!.value}`;
    expect(await get({ cookie: bobCookie, accept: 'text/html' })).toBe(403);
    expect(await ws({ cookie: bobCookie, origin })).toBe(403);
    expect(await get({ authorization: `Bearer ${tokens.bob}` })).toBe(403);
    expect(await ws({ authorization: `Bearer ${tokens.bob}` })).toBe(403);
    expect(await get({})).toBe(401);
    expect(await ws({})).toBe(401);
    // the owner's token works from the API side as well
    expect(await ws({ authorization: `Bearer ${tokens.alice}` })).toBe('hello');
    await context.close();
  });

  it('lets the owner share it with every signed-in user, and take that back', async () => {
    // the router hears of the change by event: it applies within a second
    // (a request in flight at the moment access is revoked is cut off: that counts as "not yet")
    const bobGets = () => get({ authorization: `Bearer ${tokens.bob}` }).catch(() => 0);
    const within1s = async (want: number) => {
      const end = Date.now() + 1000;
      let got = await bobGets();
      while (got !== want && Date.now() < end) got = await bobGets();
      return got;
    };
    expect((await api(tokens.alice, 'PATCH', `/instances/${id}`, { visibility: 'ALL_USERS' })).status).toBe(200);
    expect(await within1s(200)).toBe(200);
    expect((await api(tokens.alice, 'PATCH', `/instances/${id}`, { visibility: 'PRIVATE' })).status).toBe(200);
    expect(await within1s(403)).toBe(403);
  });

  it('resumes from the suspended page in Chromium: the starting page until the app answers, never "not answering"', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    expect((await login(page, 'alice')).status()).toBe(200);
    // every page the browser is shown at the instance's address, in order
    const shown: number[] = [];
    page.on('response', (r) => {
      if (r.request().isNavigationRequest() && r.url().startsWith(origin)) shown.push(r.status());
    });
    for (let round = 1; round <= 3; round++) {
      expect((await api(tokens.alice, 'POST', `/instances/${id}/suspend`)).status).toBe(200);
      for (let i = 0; i < 200 && (await api(tokens.alice, 'GET', `/instances/${id}`)).body.status !== 'SUSPENDED'; i++) await new Promise((r) => setTimeout(r, 50));
      shown.length = 0;
      await page.goto(`${origin}/`);
      expect(await page.textContent('h1')).toContain('is suspended');
      await page.click('button[type=submit]'); // Resume
      // polled from here: the router's own pages allow no script at all (waitForFunction would need eval)
      for (let i = 0; i < 600 && (await page.title().catch(() => '')) !== 'Echo'; i++) await new Promise((r) => setTimeout(r, 100));
      expect(await page.title()).toBe('Echo');
      expect([round, shown.includes(502), shown.at(-1)]).toEqual([round, false, 200]);
    }
    await context.close();
  });

  it('lets another user open the private instance through a share link in Chromium, and closes it on revoke', async () => {
    const made = await api(tokens.alice, 'POST', `/instances/${id}/shares`, { expiresIn: '1h' });
    expect(made.status).toBe(201);
    const url = made.body.url as string;
    const shareId = (made.body.share as { id: string }).id;
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(url); // a link for signed-in users: the gateway's sign-in first, then on to the instance
    await page.fill('#username', 'bob');
    await page.fill('#password', sys.devUsers.bob!);
    const [response] = await Promise.all([page.waitForResponse((r) => r.url() === `${origin}/`), page.click('button[type=submit]')]);
    expect(response.status()).toBe(200);
    expect(await page.title()).toBe('Echo');
    const echoed = await page.evaluate(`new Promise((resolve) => {
      const s = new WebSocket(location.href.replace(/^http/, 'ws') + 'ws');
      window.wsClosed = new Promise((r) => s.addEventListener('close', () => r('closed')));
      s.onopen = () => s.send('shared with bob');
      s.onmessage = (e) => resolve(String(e.data));
      s.onerror = () => resolve('error');
    })`);
    expect(echoed).toBe('shared with bob');
    expect((await api(tokens.alice, 'DELETE', `/instances/${id}/shares/${shareId}`)).status).toBe(200);
    expect(await page.evaluate('window.wsClosed')).toBe('closed'); // the router closed bob's websocket
    // his cookie no longer opens it: he is signed in again as himself, whom the PRIVATE instance refuses
    expect((await page.goto(`${origin}/`))!.status()).toBe(403);
    expect((await page.goto(url))!.status()).toBe(410);
    expect(await page.textContent('h1')).toBe('This share link was revoked');
    await context.close();
  });

  it('stops the running instance with everything else on Ctrl-C (suspended, nothing left running)', async () => {
    const running = launcherPids(sys.dataDir);
    expect(running.length).toBe(1);
    expect(await sys.stop()).toBe(130);
    expect(alivePids(running)).toEqual([]);
  });
});
