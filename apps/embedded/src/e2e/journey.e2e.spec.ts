import { readFileSync } from 'node:fs';
import path from 'node:path';
import { buildBundle, HELLO_APP_PY, startWharf, type RunningSystem } from '@wharf/testing';
import type { Browser, Page, Request } from 'playwright-core';
import { launchChromium } from './browser';
import { callWithSession, callWithToken, EXAMPLES, expectAccessible, expectFocus, shot, signIn, tabTo } from './ui';

jest.setTimeout(180_000);

/**
 * Issue 15's journeys in Chromium against Wharf started as `pnpm start` starts it, without a
 * terminal. alice signs in, imports a sample bundle through the Import page's file input, runs it,
 * watches it become RUNNING live (from the events stream: the instance is read once, never
 * polled), opens it through the router in a new tab, follows its logs and searches them,
 * suspends, resumes and terminates it. vic, a visitor, sees only the app version a tag grants his
 * role, and a readable "not found" for the other. alice goes from the catalog to a running
 * instance and terminates it again with the keyboard alone, the focus always where she expects it;
 * she upgrades an instance to the next version of its app from its page and downloads its log.
 * Every page visited passes axe-core with no serious or critical violation, and the UI reports no
 * Content-Security-Policy violation or error. With WHARF_E2E_SCREENSHOTS set, the main pages are
 * saved as the README shows them.
 */
describe('the journeys of the web UI, end to end', () => {
  let sys: RunningSystem;
  let browser: Browser;
  const problems: string[] = [];

  beforeAll(async () => {
    [sys, browser] = await Promise.all([startWharf(), launchChromium()]);
  });
  afterAll(async () => {
    await browser?.close();
    if (sys && sys.proc.exitCode === null) await sys.stop();
  });

  describe("alice's journey: import, run, open, logs, suspend, resume, terminate", () => {
    let page: Page;
    let id = '';
    /** GET /api/v1/instances/<id> as the page sent them: the first load, and no polling after it. */
    const instanceReads: string[] = [];
    const status = () => page.getByTestId('instance-status');

    it('signs alice in and imports a bundle with the Import page, which opens the new version', async () => {
      page = await signIn(browser, sys, 'alice', '/', problems);
      await page.getByRole('heading', { level: 1, name: 'Catalog' }).waitFor();
      await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Import' }).click();
      await page.getByRole('heading', { level: 1, name: 'Import an app' }).waitFor();
      // the real file input behind "Choose a bundle…"
      await page.locator('input[type=file]').setInputFiles(path.join(EXAMPLES, 'hello.zip'));
      await page.getByText(/^hello\.zip \(\d/).waitFor();
      await shot(page, 'import');
      await expectAccessible(page, 'import');
      await page.getByRole('button', { name: 'Import', exact: true }).click();
      await page.waitForURL(new RegExp(`^${sys.gateway}/apps/[^/]+$`));
      await page.getByRole('heading', { level: 1, name: 'Hello' }).waitFor();
      await page.getByRole('table', { name: 'Versions' }).getByText('1.0.0 (this one)').waitFor();
      await shot(page, 'app');
      await expectAccessible(page, 'app page');
    });

    it('runs it and shows it becoming RUNNING live, from the events stream, without polling', async () => {
      const events: string[] = [];
      page.on('request', (r: Request) => {
        const u = new URL(r.url());
        if (r.method() === 'GET' && /^\/api\/v1\/instances\/[a-z0-9]+$/.test(u.pathname)) instanceReads.push(u.pathname);
        if (u.pathname === '/api/v1/events') events.push(u.search);
      });
      await page.getByRole('button', { name: 'Run Hello' }).click();
      await page.getByTestId('instance-created').waitFor();
      id = new URL(page.url()).pathname.split('/').pop()!;
      expect(id).toMatch(/^[a-z][a-z0-9]{9}$/);
      await status().filter({ hasText: 'RUNNING' }).waitFor({ timeout: 60_000 });
      expect(events).toContain(`?instance=${id}`);
      expect(instanceReads).toEqual([`/api/v1/instances/${id}`]);
      await expectAccessible(page, 'instance page');
    });

    it('opens the instance through the router in a new tab, and its page shows', async () => {
      const open = page.getByRole('link', { name: 'Open' });
      expect(await open.getAttribute('href')).toBe(`http://${id}.apps.localhost:${sys.routerPort}`);
      const [tab] = await Promise.all([page.context().waitForEvent('page'), open.click()]);
      await tab.waitForURL(`http://${id}.apps.localhost:${sys.routerPort}/`);
      await tab.getByRole('heading', { level: 1, name: 'Hello from Wharf' }).waitFor();
      expect(await tab.title()).toBe('Hello');
      await tab.close();
    });

    it('follows the logs live: the visit just made shows up, and the search filters the lines', async () => {
      const logs = page.getByRole('region', { name: 'Logs' });
      const lines = page.getByTestId('log-lines');
      await logs.getByText(/· following/).waitFor();
      // the app's first line, then the request of the tab above, as it comes (no reload)
      await lines.filter({ hasText: 'hello: listening on port' }).waitFor();
      await lines.filter({ hasText: '"GET / HTTP/1.1" 200' }).waitFor();
      await shot(page, 'instance');
      await logs.getByRole('textbox', { name: 'Search the logs' }).fill('get /');
      await logs.getByText(/^\d+ of \d+ lines match/).waitFor();
      const shown = (await lines.textContent())!.split('\n');
      expect(shown.length).toBeGreaterThan(0);
      for (const line of shown) expect(line.toLowerCase()).toContain('get /');
      expect(shown.join('\n')).not.toContain('listening on port');
      await expectAccessible(page, 'instance page with logs');
      await logs.getByRole('textbox', { name: 'Search the logs' }).fill('');
      await lines.filter({ hasText: 'listening on port' }).waitFor();
    });

    it('suspends and resumes it, the status changing live', async () => {
      await page.getByRole('button', { name: 'Suspend' }).click();
      await status().filter({ hasText: 'SUSPENDED' }).waitFor({ timeout: 30_000 });
      await page.getByRole('button', { name: 'Resume' }).waitFor();
      await expectAccessible(page, 'suspended instance');
      await page.getByRole('button', { name: 'Resume' }).click();
      await status().filter({ hasText: 'RUNNING' }).waitFor({ timeout: 60_000 });
      await page.getByRole('button', { name: 'Suspend' }).waitFor();
      expect(instanceReads).toEqual([`/api/v1/instances/${id}`]);
    });

    it('lists it under My instances, then terminates it after confirming, and it is gone from the list', async () => {
      await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'My instances' }).click();
      const row = page.locator(`tr[data-instance="${id}"]`);
      await row.getByText('RUNNING').waitFor();
      await shot(page, 'my-instances');
      await expectAccessible(page, 'my instances');
      await row.getByRole('link', { name: 'hello 1.0.0' }).click();
      await page.waitForURL(`${sys.gateway}/instances/${id}`);
      await page.getByRole('button', { name: 'Terminate' }).click();
      const dialog = page.getByRole('dialog', { name: `Terminate hello ${id}?` });
      await dialog.waitFor();
      await expectAccessible(page, 'terminate dialog');
      await dialog.getByRole('button', { name: 'Terminate' }).click();
      await page.waitForURL(`${sys.gateway}/instances`);
      await page.getByRole('heading', { level: 1, name: 'My instances' }).waitFor();
      await page.getByText('You have no instances.').waitFor();
      expect(await row.count()).toBe(0);
      await page.context().close();
    });
  });

  describe("a visitor's journey: only what a tag grants his role", () => {
    let vic: Page;
    const admin = (method: string, p: string, body?: unknown) => callWithToken(sys, sys.adminToken, method, p, body);

    it('shows the admin the catalog, and the tag made for visitors', async () => {
      // two versions shared with every signed-in user; only echo-ws gets the visitors' tag
      for (const name of ['echo-ws', 'wheel-app']) {
        expect((await admin('POST', '/bundles', new Uint8Array(readFileSync(path.join(EXAMPLES, `${name}.zip`))))).status).toBe(201);
        expect((await admin('PATCH', `/apps/${name}@1.0.0`, { visibility: 'ALL_USERS' })).status).toBe(200);
      }
      const tag = { name: 'for-visitors', title: 'For visitors', color: '#1f6feb', description: 'Apps visitors may use', visitorRoles: ['visitor'] };
      expect((await admin('POST', '/tags', tag)).status).toBe(201);
      expect((await admin('PUT', '/apps/echo-ws@1.0.0/tags/for-visitors')).status).toBe(200);

      const page = await signIn(browser, sys, 'admin', '/', problems);
      await page.getByRole('link', { name: 'Wheel app' }).waitFor();
      await shot(page, 'catalog');
      await page.goto(`${sys.gateway}/admin/tags`);
      const row = page.locator('tr[data-tag-row="for-visitors"]');
      await row.getByRole('cell', { name: 'visitor', exact: true }).waitFor();
      await shot(page, 'admin-tags');
      await expectAccessible(page, 'admin tags');
      await page.context().close();
    });

    it('shows vic, a visitor, only the tagged version in the catalog, and its page', async () => {
      vic = await signIn(browser, sys, 'vic', '/', problems);
      const catalog = vic.getByRole('main');
      await catalog.getByRole('link', { name: 'Echo (WebSocket)' }).waitFor();
      expect(await catalog.getByRole('link', { name: 'Wheel app' }).count()).toBe(0);
      expect(await catalog.getByText('For visitors').count()).toBeGreaterThan(0);
      await expectAccessible(vic, 'catalog of a visitor');
      await catalog.getByRole('link', { name: 'Echo (WebSocket)' }).click();
      await vic.getByRole('heading', { level: 1, name: 'Echo (WebSocket)' }).waitFor();
      await vic.getByRole('button', { name: /^Run/ }).waitFor();
      await expectAccessible(vic, 'app page of a visitor');
    });

    it("answers vic with a readable not-found on the untagged version's page, never raw JSON", async () => {
      await vic.goto(`${sys.gateway}/apps/wheel-app`);
      const alert = vic.getByRole('alert');
      await alert.getByText('No such app, or you may not see it').waitFor();
      const text = (await alert.textContent())!;
      expect(text).not.toMatch(/[{}]|"code"|NOT_FOUND/);
      await expectAccessible(vic, 'not found for a visitor');
      // the browser logs the 404 it was given as an error: that one was asked for
      const asked = `${sys.gateway}/api/v1/apps/wheel-app)`;
      problems.splice(0, problems.length, ...problems.filter((p) => !(p.includes('status of 404') && p.endsWith(asked))));
    });
  });

  /**
   * No mouse: keys only (Tab, Shift+Tab, Enter, Escape, typing), and the address typed once to
   * start. Each control is reached by tabbing as a user would, and shows its focus when it has it.
   */
  describe('a keyboard-only journey: from the catalog to terminating an instance, without a mouse', () => {
    let page: Page;
    let id = '';
    const key = (k: string) => page.keyboard.press(k);
    /** A new page took the focus to its content (main), where the next Tab starts. */
    const onNewPage = () => page.locator('main#main:focus').waitFor();

    it('signs alice in with the keyboard, and the skip link takes her past the header to the search', async () => {
      page = await signIn(browser, sys, 'alice', '/', problems, 'keyboard');
      await page.getByRole('heading', { level: 1, name: 'Catalog' }).waitFor();
      await key('Tab');
      await expectFocus(page, page.getByRole('link', { name: 'Skip to content' }), 'the skip link, first');
      await key('Enter');
      await onNewPage();
      await key('Tab');
      await expectFocus(page, page.getByRole('searchbox', { name: 'Search' }), 'the search, first in the content');
    });

    it('searches by typing, and opens the app card found with Enter', async () => {
      await page.keyboard.type('hello');
      await page.waitForURL(`${sys.gateway}/?q=hello`);
      await page.getByTestId('catalog-count').getByText('1 app found').waitFor();
      const card = page.getByRole('link', { name: 'Hello', exact: true });
      await tabTo(page, card, { max: 8 });
      await expectFocus(page, card, 'the card of Hello');
      await expectAccessible(page, 'catalog, searched with the keyboard');
      await key('Enter');
      await page.getByRole('heading', { level: 1, name: 'Hello' }).waitFor();
      await onNewPage();
    });

    it('runs it with Enter on Run, and the instance page shows it RUNNING', async () => {
      const run = page.getByRole('button', { name: 'Run Hello' });
      await tabTo(page, run, { max: 12 });
      await expectFocus(page, run, 'Run');
      await key('Enter');
      await page.getByTestId('instance-created').waitFor();
      id = new URL(page.url()).pathname.split('/').pop()!;
      await onNewPage();
      await page.getByTestId('instance-status').filter({ hasText: 'RUNNING' }).waitFor({ timeout: 60_000 });
    });

    it('searches the logs by typing', async () => {
      const logs = page.getByRole('region', { name: 'Logs' });
      const lines = page.getByTestId('log-lines');
      await lines.filter({ hasText: 'hello: listening on port' }).waitFor();
      const search = logs.getByRole('textbox', { name: 'Search the logs' });
      await tabTo(page, search, { max: 12 });
      await expectFocus(page, search, 'the logs search');
      await page.keyboard.type('listening');
      await logs.getByText(/^\d+ of \d+ lines match/).waitFor();
      const shown = (await lines.textContent())!.split('\n');
      expect(shown).toContainEqual(expect.stringContaining('hello: listening on port'));
      for (const line of shown) expect(line).toContain('listening');
      await expectAccessible(page, 'instance page, logs searched with the keyboard');
    });

    it('terminates it: Escape cancels the confirm dialog once, then Enter confirms', async () => {
      const terminate = page.getByRole('button', { name: 'Terminate' });
      await tabTo(page, terminate, { back: true, max: 8 });
      await expectFocus(page, terminate, 'Terminate');
      await key('Enter');
      const dialog = page.getByRole('dialog', { name: `Terminate hello ${id}?` });
      await dialog.waitFor();
      // the dialog takes the focus (and keeps it: Tab cycles inside it)
      await dialog.locator(':focus').waitFor();
      await expectAccessible(page, 'terminate dialog, with the keyboard');
      // Escape cancels, and the focus is back where it was
      await key('Escape');
      await dialog.waitFor({ state: 'detached' });
      await expectFocus(page, terminate, 'Terminate, again after Escape');
      await key('Enter');
      await dialog.waitFor();
      const confirm = dialog.getByRole('button', { name: 'Terminate' });
      await tabTo(page, confirm, { max: 4 });
      await expectFocus(page, confirm, 'Terminate in the dialog');
      await key('Enter');
      // the page the dialog was on is gone: the focus goes to the content of the next one
      await page.waitForURL(`${sys.gateway}/instances`);
      await page.getByText('You have no instances.').waitFor();
      await onNewPage();
      await expectAccessible(page, 'my instances, after terminating with the keyboard');
      await page.context().close();
    });
  });

  describe('upgrading an instance to the next version of its app, from its page', () => {
    let page: Page;
    let id = '';
    const status = () => page.getByTestId('instance-status');
    /** The second version says so: its greeting, and its first log line. */
    const wave = (version: string, greeting: string, startup: string) =>
      buildBundle({ app: { name: 'wave', version, title: 'Wave', env: [{ name: 'GREETING', value: greeting }] }, files: { 'hello/app.py': HELLO_APP_PY.replace('hello listening on port', startup) } });

    it('runs version 1.0.0 of an app imported in two versions', async () => {
      page = await signIn(browser, sys, 'alice', '/', problems);
      expect(await callWithSession(page, 'POST', '/api/v1/bundles', Array.from(await wave('1.0.0', 'Hello', 'wave 1.0.0 listening on port')))).toBe(201);
      expect(await callWithSession(page, 'POST', '/api/v1/bundles', Array.from(await wave('1.1.0', 'Howdy', 'wave 1.1.0 listening on port')))).toBe(201);
      await page.goto(`${sys.gateway}/apps/wave@1.0.0`);
      await page.getByRole('button', { name: 'Run Wave' }).click();
      await page.getByTestId('instance-created').waitFor();
      id = new URL(page.url()).pathname.split('/').pop()!;
      await status().filter({ hasText: 'RUNNING' }).waitFor({ timeout: 60_000 });
      await page.getByRole('heading', { level: 1, name: 'wave 1.0.0' }).waitFor();
    });

    it('upgrades it to 1.1.0 with the Upgrade control; it comes back RUNNING on 1.1.0 live, and the router serves 1.1.0', async () => {
      const reads: string[] = [];
      page.on('request', (r: Request) => void (r.method() === 'GET' && new URL(r.url()).pathname === `/api/v1/instances/${id}` && reads.push(r.url())));
      const upgrade = page.getByRole('region', { name: 'Upgrade' });
      await upgrade.getByRole('textbox', { name: 'Version' }).click();
      await page.getByRole('option', { name: '1.1.0' }).click();
      await expectAccessible(page, 'upgrade, 1.1.0 chosen');
      const [answer] = await Promise.all([
        page.waitForResponse((r) => r.request().method() === 'POST' && r.url().endsWith(`/api/v1/instances/${id}/upgrade`)),
        upgrade.getByRole('button', { name: 'Upgrade and restart' }).click(),
      ]);
      expect(answer.status()).toBe(200);
      expect(await answer.json()).toMatchObject({ id, appVersion: '1.1.0', status: 'PROVISIONING' });
      await upgrade.getByRole('status').filter({ hasText: 'Upgraded: the instance restarts with 1.1.0' }).waitFor();
      await page.getByRole('heading', { level: 1, name: 'wave 1.1.0' }).waitFor();
      await status().filter({ hasText: 'RUNNING' }).waitFor({ timeout: 60_000 });
      expect(reads).toEqual([]); // the change came live, from the events stream
      expect(await upgrade.getByRole('textbox', { name: 'Version' }).inputValue()).toBe('1.1.0 (running now)');
      await expectAccessible(page, 'instance page, upgraded');
      // 1.0.0 greets with Hello: only 1.1.0 answers Howdy
      const tab = await page.context().newPage();
      await tab.goto(`http://${id}.apps.localhost:${sys.routerPort}/`);
      await tab.getByRole('heading', { level: 1, name: 'Howdy from Wharf' }).waitFor();
      await tab.close();
    });

    it('downloads its log with the Download button: a file named after the instance, with the lines of the new version', async () => {
      const lines = page.getByTestId('log-lines');
      await lines.filter({ hasText: '"GET / HTTP/1.1" 200' }).waitFor();
      const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('region', { name: 'Logs' }).getByRole('link', { name: 'Download' }).click()]);
      expect(download.suggestedFilename()).toBe(`${id}.log`);
      const text = readFileSync(await download.path(), 'utf8');
      expect(text).toContain('wave 1.1.0 listening on port');
      expect(text).toMatch(/"GET \/ HTTP\/1\.1" 200/);
      await page.context().close();
    });
  });

  it('reported no Content-Security-Policy violation or error on any page', () => {
    expect(problems).toEqual([]);
  });
});
