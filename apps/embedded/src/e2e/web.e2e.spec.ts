import { readFileSync } from 'node:fs';
import path from 'node:path';
import { startWharf, type RunningSystem } from '@wharf/testing';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { launchChromium } from './browser';
import { callWithSession, EXAMPLES, expectAccessible, shot, submitSignIn, VIEWPORT, watchProblems } from './ui';

jest.setTimeout(180_000);

/**
 * The web UI in Chromium against Wharf started as `pnpm start` starts it: alice signs in through
 * the dev OpenID provider, sees the catalog with an imported sample, opens its page, presses Run
 * and sees the instance created and running. Every page passes axe-core with no serious or
 * critical violation, and the browser reports no Content-Security-Policy violation. (The whole
 * journey, Import to Terminate, and a visitor's: journey.e2e.spec.ts.)
 */
describe('the web UI, end to end', () => {
  let sys: RunningSystem;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  const problems: string[] = [];

  const axe = (name: string) => expectAccessible(page, name);

  beforeAll(async () => {
    [sys, browser] = await Promise.all([startWharf(), launchChromium()]);
    context = await browser.newContext({ viewport: VIEWPORT });
    page = await context.newPage();
    watchProblems(page, sys.gateway, problems);
    page.on('response', (r) => void (r.status() >= 400 && problems.push(`${r.status()} ${r.request().method()} ${r.url()}`)));
  });
  afterAll(async () => {
    await browser?.close();
    if (sys && sys.proc.exitCode === null) await sys.stop();
  });

  it('sends an anonymous visitor to sign-in and back to the page they asked for', async () => {
    await page.goto(`${sys.gateway}/?sort=newest`);
    await submitSignIn(page, sys, 'alice', '/?sort=newest'); // the dev OpenID provider's sign-in form
    await page.getByRole('heading', { level: 1, name: 'Catalog' }).waitFor();
    await page.getByRole('banner').getByText('alice').waitFor();
  });

  it('shows the imported sample in the catalog', async () => {
    // alice imports the sample with her session (the Import page: journey.e2e.spec.ts)
    expect(await callWithSession(page, 'POST', '/api/v1/bundles', Array.from(readFileSync(path.join(EXAMPLES, 'hello.zip'))))).toBe(201);
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
    await axe('catalog');
    // half a laptop screen: everything still fits, nothing scrolls sideways
    await page.setViewportSize({ width: 640, height: 800 });
    await card.waitFor();
    expect(await page.evaluate<number>('document.documentElement.scrollWidth')).toBeLessThanOrEqual(640);
    await page.getByRole('button', { name: 'Sign out' }).waitFor();
    await shot(page, 'catalog-narrow');
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
    await shot(page, 'app-narrow');
    await page.setViewportSize({ width: 1280, height: 800 });
    await axe('app page');
  });

  it('runs the app and shows the instance created, then running', async () => {
    await page.getByRole('button', { name: 'Run Hello' }).click();
    await page.getByTestId('instance-created').waitFor();
    expect(page.url()).toMatch(new RegExp(`^${sys.gateway}/instances/[a-z][a-z0-9]{9}$`));
    await page.getByTestId('instance-status').filter({ hasText: 'RUNNING' }).waitFor({ timeout: 60_000 });
    const open = page.getByRole('link', { name: 'Open' });
    expect(await open.getAttribute('href')).toMatch(new RegExp(`^http://[a-z][a-z0-9]{9}\\.apps\\.localhost:${sys.routerPort}$`));
    await axe('instance page');
  });

  it('lists the instance under My instances, and shows the user their page, from the navigation', async () => {
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'My instances' }).click();
    await page.getByRole('heading', { level: 1, name: 'My instances' }).waitFor();
    await page.getByRole('link', { name: 'hello 1.0.0' }).first().waitFor();
    await axe('my instances');
    await page.getByRole('banner').getByRole('link', { name: /alice/ }).click();
    await page.waitForURL(`${sys.gateway}/me`);
    await page.getByRole('heading', { level: 1 }).waitFor();
    await axe('me');
  });

  it('answers a reload of a deep link with the app, and reported no CSP violation or error', async () => {
    await page.goto(`${sys.gateway}/apps/hello@1.0.0`);
    await page.getByRole('heading', { level: 1, name: 'Hello' }).waitFor({ timeout: 10_000 });
    expect(problems).toEqual([]);
  });
});
