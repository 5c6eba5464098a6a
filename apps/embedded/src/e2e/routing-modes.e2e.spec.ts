import http from 'node:http';
import { buildBundle, startWharf, type RunningSystem } from '@wharf/testing';
import type { Browser, Page } from 'playwright-core';
import { exampleFiles } from '../../../../examples/build';
import { launchChromium } from './browser';
import { callWithSession, expectAccessible, signIn } from './ui';

jest.setTimeout(180_000);

/** The websocket sample, declaring that it is served under a path. */
const MANIFEST = '[App]\nName = "echo-path"\nVersion = "1.0.0"\nTitle = "Echo under a path"\nCategory = ["Other"]\n\n[Runtime]\nModule = "echows.app"\nRoutingMode = "BASE_URL"\n';

/**
 * BASE_URL routing in Chromium against Wharf started as `pnpm start` starts it, offering both
 * modes: alice runs the websocket sample from the web UI; it opens under `/instance/<id>/` on the
 * bare apps host after the sign-in redirect, and its own page talks to it over a websocket. The
 * router's cookie is bound to that instance's path, so it does not open her other instance; the
 * gateway's `/instance/<id>/` form and the instance's own host both lead to the one address.
 */
describe('BASE_URL routing, end to end', () => {
  let sys: RunningSystem;
  let browser: Browser;
  let alice: Page;
  let apps = '';
  const problems: string[] = [];

  beforeAll(async () => {
    [sys, browser] = await Promise.all([startWharf({ WHARF_SCHEDULER_ROUTING_MODES: '["DOMAIN","BASE_URL"]' }), launchChromium()]);
    apps = `http://apps.localhost:${sys.routerPort}`;
    alice = await signIn(browser, sys, 'alice', '/', problems);
    const bundle = await buildBundle({ files: { ...exampleFiles('echo-ws'), 'app.toml': MANIFEST } });
    expect(await callWithSession(alice, 'POST', '/api/v1/bundles', Array.from(bundle))).toBe(201);
  });
  afterAll(async () => {
    await browser?.close();
    if (sys && sys.proc.exitCode === null) await sys.stop();
  });

  let id = '';
  /** Node cannot resolve *.localhost; Chromium can. Requests from Node go to 127.0.0.1 with the Host header. */
  const get = (p: string, headers: Record<string, string>) =>
    new Promise<{ status: number; location?: string }>((resolve, reject) => {
      http
        .get({ host: '127.0.0.1', port: sys.routerPort, path: p, headers: { host: `apps.localhost:${sys.routerPort}`, ...headers }, agent: false }, (res) => {
          res.resume();
          resolve({ status: res.statusCode!, location: res.headers.location });
        })
        .on('error', reject);
    });

  it('runs the app from the web UI and opens it under /instance/<id>/, where its page talks to it over a websocket', async () => {
    await alice.goto(`${sys.gateway}/apps/echo-path`);
    await alice.getByText('BASE_URL', { exact: false }).first().waitFor();
    await alice.getByRole('button', { name: /^Run/ }).click();
    await alice.waitForURL(/\/instances\/[a-z][a-z0-9]{9}$/);
    id = alice.url().split('/').pop()!;
    await alice.getByTestId('instance-status').getByText('RUNNING').waitFor({ timeout: 60_000 });
    await alice.getByTestId('base-path-note').getByText(`/instance/${id}/`).waitFor();
    await expectAccessible(alice, 'a BASE_URL instance');

    const [app] = await Promise.all([alice.context().waitForEvent('page'), alice.getByRole('link', { name: 'Open' }).click()]);
    await app.waitForURL(`${apps}/instance/${id}/`); // through the gateway's sign-in, back with a ticket for this path
    expect(await app.title()).toBe('Echo');
    await app.fill('#m', 'under a path');
    await app.getByRole('button', { name: 'send' }).click();
    await app.locator('#o').getByText('under a path').waitFor();

    const [cookie, ...more] = (await alice.context().cookies(`${apps}/instance/${id}/`)).filter((c) => c.name === 'wharf_instance');
    expect(more).toEqual([]);
    expect(cookie).toMatchObject({ domain: 'apps.localhost', path: `/instance/${id}/`, httpOnly: true, sameSite: 'Lax' });
    expect(await app.evaluate('document.cookie')).not.toContain('wharf_instance');
    await app.close();
  });

  it("does not open another instance with one instance's cookie; the gateway's form and the instance host lead to the one address", async () => {
    const run = await alice.evaluate<{ status: number; id: string }>(`(async () => {
      const { csrfToken } = await (await fetch('/auth/session')).json();
      const r = await fetch('/api/v1/apps/echo-path/instances', { method: 'POST', headers: { 'content-type': 'application/json', 'x-csrf-token': csrfToken }, body: '{}' });
      return { status: r.status, id: (await r.json()).id };
    })()`);
    expect(run.status).toBe(201);
    // alice's cookie for the first instance, sent (as a browser would not: it is scoped to that
    // path) to the second: bound to the first instance's site, it signs nobody in there
    const [cookie] = (await alice.context().cookies(`${apps}/instance/${id}/`)).filter((c) => c.name === 'wharf_instance');
    const refused = await get(`/instance/${run.id}/`, { cookie: `wharf_instance=${cookie!.value}`, accept: 'text/html' });
    expect(refused.status).toBe(302);
    const to = new URL(refused.location!);
    expect(`${to.origin}${to.pathname}`).toBe(`${sys.gateway}/auth/instance-ticket`);
    expect(to.searchParams.get('host')).toBe(`apps.localhost:${sys.routerPort}/instance/${run.id}`);
    expect((await get(`/instance/${id}/`, { cookie: `wharf_instance=${cookie!.value}`, accept: 'text/html' })).status).toBe(200);

    const page = await alice.context().newPage();
    await page.goto(`${sys.gateway}/instance/${id}/`);
    await page.waitForURL(`${apps}/instance/${id}/`);
    expect(await page.title()).toBe('Echo');
    await page.goto(`http://${id}.apps.localhost:${sys.routerPort}/`);
    await page.waitForURL(`${apps}/instance/${id}/`);
    expect(await page.title()).toBe('Echo');
    await page.close();
    expect(problems).toEqual([]);
  });
});
