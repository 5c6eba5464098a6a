import { mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import AxeBuilder from '@axe-core/playwright';
import { startWharf, type RunningSystem } from '@wharf/testing';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { launchChromium } from './browser';

jest.setTimeout(180_000);

const EXAMPLES = path.resolve(__dirname, '../../../../examples/dist');
/** Set WHARF_E2E_SCREENSHOTS=<folder> to keep a screenshot of each page. */
const SHOTS = process.env.WHARF_E2E_SCREENSHOTS;

/**
 * The web UI in Chromium against Wharf started as `pnpm start` starts it: alice signs in through
 * the dev OpenID provider, sees the catalog with an imported sample, opens its page, presses Run
 * and sees the instance created and running. Every page passes axe-core with no serious or
 * critical violation, and the browser reports no Content-Security-Policy violation.
 */
describe('the web UI, end to end', () => {
  let sys: RunningSystem;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  const problems: string[] = [];

  const axe = async (name: string) => {
    const { violations } = await new AxeBuilder({ page }).withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice']).analyze();
    const bad = violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
    expect([name, bad.map((v) => `${v.id}: ${v.help} (${v.nodes.map((n) => `${n.target.join(' ')}: ${n.failureSummary ?? ''}`).join(', ')})`)]).toEqual([name, []]);
  };
  const shot = async (name: string) => {
    if (!SHOTS) return;
    mkdirSync(SHOTS, { recursive: true });
    await page.screenshot({ path: path.join(SHOTS, `${name}.png`), fullPage: true });
  };

  beforeAll(async () => {
    [sys, browser] = await Promise.all([startWharf(), launchChromium()]);
    context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    page = await context.newPage();
    page.on('console', (m) => {
      // the UI's own messages (the OpenID provider's sign-in page has no favicon.ico: not ours)
      if (!m.location().url.startsWith(sys.gateway)) return;
      if (m.type() === 'error' || /Content.Security.Policy/i.test(m.text())) problems.push(`${m.type()}: ${m.text()} (${m.location().url})`);
    });
    page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
    page.on('response', (r) => void (r.status() >= 400 && problems.push(`${r.status()} ${r.request().method()} ${r.url()}`)));
  });
  afterAll(async () => {
    await browser?.close();
    if (sys && sys.proc.exitCode === null) await sys.stop();
  });

  it('sends an anonymous visitor to sign-in and back to the page they asked for', async () => {
    await page.goto(`${sys.gateway}/?sort=newest`);
    await page.waitForSelector('#username'); // the dev OpenID provider's sign-in form
    await page.fill('#username', 'alice');
    await page.fill('#password', sys.devUsers.alice!);
    await Promise.all([page.waitForURL(`${sys.gateway}/?sort=newest`), page.click('button[type=submit]')]);
    await page.getByRole('heading', { level: 1, name: 'Catalog' }).waitFor();
    await page.getByRole('banner').getByText('alice').waitFor();
  });

  it('shows the imported sample in the catalog', async () => {
    // alice imports the sample with her session (the Import page is not there yet)
    const status = await page.evaluate(async (bytes: number[]) => {
      const { csrfToken } = (await (await fetch('/auth/session')).json()) as { csrfToken: string };
      const r = await fetch('/api/v1/bundles', { method: 'POST', headers: { 'content-type': 'application/zip', 'x-csrf-token': csrfToken }, body: new Uint8Array(bytes) });
      return r.status;
    }, Array.from(readFileSync(path.join(EXAMPLES, 'hello.zip'))));
    expect(status).toBe(201);
    await page.reload();
    const card = page.getByRole('listitem').filter({ has: page.getByRole('link', { name: 'Hello' }) });
    await card.waitFor();
    expect(await card.textContent()).toContain('A stdlib-only Python web app that greets you');
    expect(await card.textContent()).toContain('Other');
    // search as you type, on the server
    await page.getByRole('searchbox', { name: 'Search' }).fill('nothing-like-this');
    await page.getByRole('heading', { name: 'No app matches' }).waitFor();
    await page.getByRole('button', { name: 'Clear search and filters' }).click();
    await card.waitFor();
    await shot('catalog');
    await axe('catalog');
    // half a laptop screen: everything still fits, nothing scrolls sideways
    await page.setViewportSize({ width: 640, height: 800 });
    await card.waitFor();
    expect(await page.evaluate<number>('document.documentElement.scrollWidth')).toBeLessThanOrEqual(640);
    await page.getByRole('button', { name: 'Sign out' }).waitFor();
    await shot('catalog-narrow');
    await page.setViewportSize({ width: 1280, height: 800 });
  });

  it('opens the app page with the keyboard, and it has everything about the app', async () => {
    const link = page.getByRole('link', { name: 'Hello', exact: true });
    await link.focus();
    await page.keyboard.press('Enter');
    await page.waitForURL(`${sys.gateway}/apps/hello`);
    await page.getByRole('heading', { level: 1, name: 'Hello' }).waitFor();
    await page.getByRole('table', { name: 'Versions' }).getByText('1.0.0 (this one)').waitFor();
    expect(await page.getByRole('region', { name: 'Runtime and resources' }).textContent()).toContain('64Mi reserved, 256Mi limit');
    const download = page.getByRole('link', { name: /^Download/ });
    const href = await download.getAttribute('href');
    expect((await page.request.get(`${sys.gateway}${href}`)).status()).toBe(200);
    await page.getByRole('region', { name: 'Manage this version' }).waitFor(); // alice owns it
    await page.setViewportSize({ width: 640, height: 800 });
    expect(await page.evaluate<number>('document.documentElement.scrollWidth')).toBeLessThanOrEqual(640);
    await shot('app-narrow');
    await page.setViewportSize({ width: 1280, height: 800 });
    await shot('app');
    await axe('app page');
  });

  it('runs the app and shows the instance created, then running', async () => {
    await page.getByRole('button', { name: 'Run Hello' }).click();
    await page.getByTestId('instance-created').waitFor();
    expect(page.url()).toMatch(new RegExp(`^${sys.gateway}/instances/[a-z][a-z0-9]{9}$`));
    await page.getByTestId('instance-status').filter({ hasText: 'RUNNING' }).waitFor({ timeout: 60_000 });
    const open = page.getByRole('link', { name: 'Open' });
    expect(await open.getAttribute('href')).toMatch(new RegExp(`^http://[a-z][a-z0-9]{9}\\.apps\\.localhost:${sys.routerPort}$`));
    await shot('instance');
    await axe('instance page');
  });

  it('lists the instance under My instances, and shows the user their page, from the navigation', async () => {
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'My instances' }).click();
    await page.getByRole('heading', { level: 1, name: 'My instances' }).waitFor();
    await page.getByRole('link', { name: 'hello 1.0.0' }).first().waitFor();
    await shot('my-instances');
    await axe('my instances');
    await page.getByRole('banner').getByRole('link', { name: /alice/ }).click();
    await page.waitForURL(`${sys.gateway}/me`);
    await page.getByRole('heading', { level: 1 }).waitFor();
    await shot('me');
    await axe('me');
  });

  it('answers a reload of a deep link with the app, and reported no CSP violation or error', async () => {
    await page.goto(`${sys.gateway}/apps/hello@1.0.0`);
    await shot('deep-link');
    await page.getByRole('heading', { level: 1, name: 'Hello' }).waitFor({ timeout: 10_000 });
    expect(problems).toEqual([]);
  });
});
