import { mkdirSync } from 'node:fs';
import path from 'node:path';
import AxeBuilder from '@axe-core/playwright';
import type { RunningSystem } from '@wharf/testing';
import type { Browser, Locator, Page } from 'playwright-core';

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

/**
 * Waits for what moves on the page (a dialog fading in, a border taking its focus colour) to stop.
 * (The code run in the page is text: these specs are compiled without the DOM's types.)
 */
export async function settled(page: Page): Promise<void> {
  await page.evaluate(`(async () => {
    await new Promise((frame) => requestAnimationFrame(() => requestAnimationFrame(frame)));
    const ending = document.getAnimations().filter((a) => a.effect?.getComputedTiming().endTime !== Infinity);
    await Promise.all(ending.map((a) => a.finished.catch(() => undefined)));
  })()`);
}

/** axe-core finds no serious or critical violation on the page (`name` says which, when it does). */
export async function expectAccessible(page: Page, name: string): Promise<void> {
  await settled(page); // axe would measure the colours of a dialog fading in halfway
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

/**
 * Signs `user` in through the dev OpenID provider's form (the page must be showing it) and waits to
 * be back on `next`. With the keyboard: typed into the username field (which has the focus), Tab to
 * the password, Enter to submit; no mouse.
 */
export async function submitSignIn(page: Page, sys: RunningSystem, user: string, next: string, how: 'mouse' | 'keyboard' = 'mouse'): Promise<void> {
  await page.waitForSelector('#username');
  if (how === 'keyboard') {
    await page.locator('#username:focus').waitFor();
    await page.keyboard.type(user);
    await page.keyboard.press('Tab');
    await page.keyboard.type(sys.devUsers[user]!);
    await Promise.all([page.waitForURL(`${sys.gateway}${next}`), page.keyboard.press('Enter')]);
    return;
  }
  await page.fill('#username', user);
  await page.fill('#password', sys.devUsers[user]!);
  await Promise.all([page.waitForURL(`${sys.gateway}${next}`), page.click('button[type=submit]')]);
}

/** A new browser context (a laptop screen) where `user` opened `next` of the UI and signed in on the way; its problems go to `problems`. */
export async function signIn(browser: Browser, sys: RunningSystem, user: string, next: string, problems: string[], how: 'mouse' | 'keyboard' = 'mouse'): Promise<Page> {
  const context = await browser.newContext({ viewport: VIEWPORT });
  const page = await context.newPage();
  watchProblems(page, sys.gateway, problems, user);
  await page.goto(`${sys.gateway}${next}`);
  await submitSignIn(page, sys, user, next, how);
  return page;
}

/** The element that has the focus, in words (for a failing expectation): its tag, role, name or text. */
export function focusedElement(page: Page): Promise<string> {
  return page.evaluate<string>(`(() => {
    const el = document.activeElement;
    if (!el || el === document.body) return '(nothing: the page itself)';
    const name = el.getAttribute('aria-label') ?? el.labels?.[0]?.textContent ?? el.textContent ?? '';
    return '<' + el.tagName.toLowerCase() + (el.getAttribute('role') ? ' role=' + el.getAttribute('role') : '') + '> ' + name.trim().slice(0, 60);
  })()`);
}

/** Whether `target` is the element that has the focus. */
const hasFocus = (target: Locator) => target.evaluate((el) => el === el.ownerDocument.activeElement);

/**
 * Presses Tab (Shift+Tab with `back`) until `target` has the focus, at most `max` times, as a
 * keyboard user moves through a page; fails naming every stop on the way when it never gets there.
 */
export async function tabTo(page: Page, target: Locator, { back = false, max = 30 } = {}): Promise<number> {
  const stops: string[] = [];
  for (let n = 1; n <= max; n++) {
    await page.keyboard.press(back ? 'Shift+Tab' : 'Tab');
    if ((await target.count()) === 1 && (await hasFocus(target))) return n;
    stops.push(await focusedElement(page));
  }
  throw new Error(`${back ? 'Shift+Tab' : 'Tab'} never reached ${String(target)} in ${max} presses; it stopped at:\n${stops.join('\n')}`);
}

/**
 * `target` has the focus, and shows it: it matches :focus-visible, lies in the viewport, and draws a
 * focus ring (an outline or shadow of its own, or an outline on the card or box just around it), or,
 * a text field, takes the theme's focus colour for its border.
 */
export async function expectFocus(page: Page, target: Locator, what: string): Promise<void> {
  const focused = await hasFocus(target);
  expect([what, focused ? 'has the focus' : `the focus is on ${await focusedElement(page)}`]).toEqual([what, 'has the focus']);
  await settled(page);
  const seen = await target.evaluate((el) => {
    const view = el.ownerDocument.defaultView!;
    const rgb = (c: string) => {
      const hex = /^#([0-9a-f]{2})([0-9a-f]{2})([0-9a-f]{2})$/i.exec(c.trim());
      return hex ? `rgb(${hex.slice(1).map((h) => parseInt(h, 16)).join(', ')})` : c.trim();
    };
    const ring = (e: typeof el, own: boolean) => {
      const s = view.getComputedStyle(e);
      if (s.outlineStyle !== 'none' && parseFloat(s.outlineWidth) > 0) return true;
      return own && (s.boxShadow !== 'none' || (e.matches('input, textarea') && s.borderColor === rgb(s.getPropertyValue('--input-bd-focus'))));
    };
    let shown = ring(el, true);
    for (let e = el.parentElement, up = 0; !shown && e && up < 4; e = e.parentElement, up++) shown = ring(e, false);
    const box = el.getBoundingClientRect();
    return { focusVisible: el.matches(':focus-visible'), ring: shown, inView: box.bottom > 0 && box.top < view.innerHeight && box.right > 0 && box.left < view.innerWidth };
  });
  expect([what, seen]).toEqual([what, { focusVisible: true, ring: true, inView: true }]);
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
