import { mkdirSync } from 'node:fs';
import path from 'node:path';
import AxeBuilder from '@axe-core/playwright';
import type { RunningSystem } from '@wharf/testing';
import type { Browser, Page } from 'playwright-core';

/** Helpers of the web UI's end-to-end specs (Chromium against Wharf started as `pnpm start` starts it). */

/** The sample bundles, built by `pnpm --filter @wharf/examples build`. */
export const EXAMPLES = path.resolve(__dirname, '../../../../examples/dist');

/** A laptop screen; the README's screenshots are taken at this size. */
export const VIEWPORT = { width: 1280, height: 800 };

/**
 * Set WHARF_E2E_SCREENSHOTS=<folder> to keep a screenshot of each main page there (what the
 * viewport shows, as a user sees it); without it the specs write nothing.
 */
const SHOTS = process.env.WHARF_E2E_SCREENSHOTS;

export async function shot(page: Page, name: string): Promise<void> {
  if (!SHOTS) return;
  mkdirSync(SHOTS, { recursive: true });
  await page.screenshot({ path: path.join(SHOTS, `${name}.png`) });
}

/** axe-core finds no serious or critical violation on the page (`name` says which, when it does). */
export async function expectAccessible(page: Page, name: string): Promise<void> {
  const { violations } = await new AxeBuilder({ page }).withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice']).analyze();
  const bad = violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  expect([name, bad.map((v) => `${v.id}: ${v.help} (${v.nodes.map((n) => `${n.target.join(' ')}: ${n.failureSummary ?? ''}`).join(', ')})`)]).toEqual([name, []]);
}

/**
 * Collects into `problems` what the UI's pages report: console errors (a Content-Security-Policy
 * violation is one), any console line about the CSP, and uncaught errors. Pages of other origins
 * (the OpenID provider's sign-in page, instances opened through the router) are not the UI's.
 */
export function watchProblems(page: Page, gateway: string, problems: string[], who = ''): void {
  const tag = who ? `${who}: ` : '';
  page.on('console', (m) => {
    if (!m.location().url.startsWith(gateway)) return;
    if (m.type() === 'error' || /Content.Security.Policy/i.test(m.text())) problems.push(`${tag}${m.type()}: ${m.text()} (${m.location().url})`);
  });
  page.on('pageerror', (e) => {
    if (page.url().startsWith(gateway)) problems.push(`${tag}page error: ${e.message}`);
  });
}

/** Signs `user` in through the dev OpenID provider's form (the page must be showing it) and waits to be back on `next`. */
export async function submitSignIn(page: Page, sys: RunningSystem, user: string, next: string): Promise<void> {
  await page.waitForSelector('#username');
  await page.fill('#username', user);
  await page.fill('#password', sys.devUsers[user]!);
  await Promise.all([page.waitForURL(`${sys.gateway}${next}`), page.click('button[type=submit]')]);
}

/** A new browser context (a laptop screen) where `user` opened `next` of the UI and signed in on the way; its problems go to `problems`. */
export async function signIn(browser: Browser, sys: RunningSystem, user: string, next: string, problems: string[]): Promise<Page> {
  const context = await browser.newContext({ viewport: VIEWPORT });
  const page = await context.newPage();
  watchProblems(page, sys.gateway, problems, user);
  await page.goto(`${sys.gateway}${next}`);
  await submitSignIn(page, sys, user, next);
  return page;
}

/** A call to the REST API with the page's session (its cookie and CSRF token), as the UI makes it; its status. */
export function callWithSession(page: Page, method: string, url: string, body?: number[]): Promise<number> {
  return page.evaluate(
    async ({ method, url, body }) => {
      const { csrfToken } = (await (await fetch('/auth/session')).json()) as { csrfToken: string };
      const headers: Record<string, string> = { 'x-csrf-token': csrfToken, 'content-type': body ? 'application/zip' : 'application/json' };
      const r = await fetch(url, { method, headers, body: body ? new Uint8Array(body) : method === 'GET' ? undefined : '{}' });
      return r.status;
    },
    { method, url, body },
  );
}

/** A call to the REST API with a bearer token (e.g. the admin token from the banner). */
export async function callWithToken(sys: RunningSystem, token: string, method: string, p: string, body?: unknown): Promise<{ status: number; body: Record<string, unknown> }> {
  const zip = body instanceof Uint8Array;
  const r = await fetch(`${sys.gateway}/api/v1${p}`, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body ? { 'content-type': zip ? 'application/zip' : 'application/json' } : {}) },
    body: zip ? body : body ? JSON.stringify(body) : undefined,
  });
  const text = await r.text();
  return { status: r.status, body: text ? (JSON.parse(text) as Record<string, unknown>) : {} };
}
