import { readFileSync } from 'node:fs';
import path from 'node:path';
import { startWharf, type RunningSystem } from '@wharf/testing';
import type { Browser, Page, Request } from 'playwright-core';
import { launchChromium } from './browser';
import { callWithToken, EXAMPLES, expectAccessible, shot, signIn } from './ui';

jest.setTimeout(180_000);

/**
 * Issue 15's journeys in Chromium against Wharf started as `pnpm start` starts it, without a
 * terminal. alice signs in, imports a sample bundle through the Import page's file input, runs it,
 * watches it become RUNNING live (from the events stream: the instance is read once, never
 * polled), opens it through the router in a new tab, follows its logs and searches them,
 * suspends, resumes and terminates it. vic, a visitor, sees only the app version a tag grants his
 * role, and a readable "not found" for the other. Every page visited passes axe-core with no
 * serious or critical violation, and the UI reports no Content-Security-Policy violation or error.
 * With WHARF_E2E_SCREENSHOTS set, the main pages are saved as the README shows them.
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

  it('reported no Content-Security-Policy violation or error on any page', () => {
    expect(problems).toEqual([]);
  });
});
