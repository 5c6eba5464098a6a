import { readFileSync } from 'node:fs';
import path from 'node:path';
import { startWharf, type RunningSystem } from '@wharf/testing';
import type { Browser, Page } from 'playwright-core';
import { launchChromium } from './browser';
import { callWithSession as call, EXAMPLES, expectAccessible as axe, shot, signIn as signInAs } from './ui';

jest.setTimeout(180_000);

/**
 * The Me page and the admin pages in Chromium against Wharf started as `pnpm start` starts it:
 * alice runs an app and sees her usage against her limits, makes a token, uses it and revokes it;
 * the admin sees her usage and instance, manages a secret and a tag and finds them in the audit
 * log; alice is told the admin pages are for admins. Every page passes axe-core with no serious or
 * critical violation, and the browser reports no Content-Security-Policy violation or error.
 */
describe('the Me and admin pages, end to end', () => {
  let sys: RunningSystem;
  let browser: Browser;
  let alice: Page;
  let admin: Page;
  const problems: string[] = [];

  const signIn = (user: string, next: string) => signInAs(browser, sys, user, next, problems);

  beforeAll(async () => {
    [sys, browser] = await Promise.all([startWharf(), launchChromium()]);
  });
  afterAll(async () => {
    await browser?.close();
    if (sys && sys.proc.exitCode === null) await sys.stop();
  });

  it("shows alice her usage against her limits, after she imported and ran an app", async () => {
    alice = await signIn('alice', '/me');
    expect(await call(alice, 'POST', '/api/v1/bundles', Array.from(readFileSync(path.join(EXAMPLES, 'hello.zip'))))).toBe(201);
    expect(await call(alice, 'POST', '/api/v1/apps/hello/instances')).toBe(201);
    await alice.reload();
    const usage = alice.getByRole('region', { name: 'Your usage' });
    await usage.getByText('1 of 10').first().waitFor();
    expect(await usage.textContent()).toMatch(/Live instances.*1 of 10.*full-access users · Scheduler\.MaxInstancesFullAccess/);
    expect(await usage.textContent()).toMatch(/App versions imported.*1 of 10.*Repository\.MaxVersionsPerUser/);
    await shot(alice, 'me');
    await axe(alice, 'me');
  });

  it('gives alice a token once, which works until she revokes it', async () => {
    await alice.getByRole('textbox', { name: 'Token name' }).fill('e2e script');
    await alice.getByRole('button', { name: 'Create token' }).click();
    const token = (await alice.getByTestId('new-token').textContent())!;
    expect(token).toMatch(/^wharf_pat_/);
    await axe(alice, 'me, token created');
    const me = (t: string) => fetch(`${sys.gateway}/api/v1/me`, { headers: { authorization: `Bearer ${t}` } }).then((r) => r.status);
    expect(await me(token)).toBe(200);
    const table = alice.getByRole('table', { name: 'Your tokens' });
    await table.getByRole('button', { name: 'Revoke e2e script' }).click();
    await alice.getByRole('dialog', { name: 'Revoke the token e2e script?' }).getByRole('button', { name: 'Revoke' }).click();
    await table.getByText(/^Revoked/).waitFor();
    expect(await me(token)).toBe(401);
    // hiding the token, it is gone from the page for good
    await alice.getByRole('button', { name: 'Hide the token' }).click();
    expect(await alice.getByText(token).count()).toBe(0);
  });

  it('tells alice the admin pages are for admins', async () => {
    await alice.goto(`${sys.gateway}/admin/usage`);
    await alice.getByRole('heading', { level: 1, name: 'Admins only' }).waitFor();
    expect(await alice.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Admin' }).count()).toBe(0);
    await axe(alice, 'admins only');
  });

  it("shows the admin alice's usage and instance, from the navigation", async () => {
    admin = await signIn('admin', '/');
    await admin.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Admin' }).click();
    const table = admin.getByRole('table', { name: 'Usage per user' });
    const row = table.getByRole('row').filter({ hasText: 'alice' });
    await row.waitFor();
    expect(await row.textContent()).toMatch(/1 of 10full-access users · Scheduler\.MaxInstancesFullAccess.*1 of 10full-access users · Repository\.MaxVersionsPerUser/);
    await shot(admin, 'admin-usage');
    await axe(admin, 'admin usage');
    await admin.setViewportSize({ width: 640, height: 800 });
    expect(await admin.evaluate<number>('document.documentElement.scrollWidth')).toBeLessThanOrEqual(640);
    await axe(admin, 'admin usage, half a laptop screen');
    await admin.setViewportSize({ width: 1280, height: 800 });

    await admin.getByRole('tab', { name: 'Instances' }).click();
    await admin.getByRole('textbox', { name: /^App/ }).fill('hello');
    const instance = admin.getByRole('table', { name: 'Every instance' }).getByRole('row').filter({ hasText: 'hello 1.0.0' });
    await instance.waitFor();
    expect(await instance.textContent()).toContain('alice');
    await admin.getByRole('textbox', { name: /^App/ }).fill('nothing-like-this');
    await admin.getByText('No instance matches.').waitFor();
    await axe(admin, 'admin instances');

    await admin.getByRole('tab', { name: 'Runtimes' }).click();
    await admin.getByRole('table', { name: 'Runtimes' }).getByText('ACTIVE').first().waitFor();
    await axe(admin, 'admin runtimes');
  });

  it('lets the admin create a secret and a tag, and finds them in the audit log', async () => {
    await admin.getByRole('tab', { name: 'Secrets' }).click();
    await admin.getByRole('button', { name: 'New secret' }).click();
    const dialog = admin.getByRole('dialog', { name: 'New secret' });
    await dialog.getByRole('textbox', { name: 'Name' }).fill('e2e-db');
    await dialog.getByRole('textbox', { name: 'Key 1' }).fill('PASSWORD');
    await dialog.getByLabel('Value 1').fill('never-shown-0451');
    await axe(admin, 'admin secret form');
    await dialog.getByRole('button', { name: 'Create secret' }).click();
    await admin.locator('tr[data-secret="e2e-db"]').getByText('PASSWORD').waitFor();
    expect(await admin.locator('main').textContent()).not.toContain('never-shown-0451');
    await axe(admin, 'admin secrets');

    await admin.getByRole('tab', { name: 'Tags' }).click();
    await admin.getByRole('button', { name: 'New tag' }).click();
    const tagDialog = admin.getByRole('dialog', { name: 'New tag' });
    await tagDialog.getByRole('textbox', { name: 'Name' }).fill('e2e-certified');
    await tagDialog.getByRole('textbox', { name: 'Title' }).fill('Certified');
    await tagDialog.getByRole('button', { name: 'Create tag' }).click();
    await admin.locator('tr[data-tag-row="e2e-certified"]').waitFor();
    await axe(admin, 'admin tags');

    await admin.getByRole('tab', { name: 'Tokens' }).click();
    await admin.getByRole('table', { name: 'Everyone’s tokens' }).getByRole('row').filter({ hasText: 'e2e script' }).getByText(/^Revoked/).waitFor();
    await axe(admin, 'admin tokens');

    await admin.getByRole('tab', { name: 'Audit log' }).click();
    await admin.getByRole('textbox', { name: /Action/ }).fill('tag.*');
    await admin.getByRole('button', { name: 'Apply filters' }).click();
    const events = admin.getByRole('table', { name: 'Audit events' });
    // the unfiltered list (which has the tag's row too) stays until the filtered one comes
    await events.getByRole('row').filter({ hasText: 'secret.' }).first().waitFor({ state: 'detached' });
    await events.getByRole('row').filter({ hasText: 'e2e-certified' }).waitFor();
    expect(await events.getByRole('row').filter({ hasText: 'secret.' }).count()).toBe(0);
    await shot(admin, 'admin-audit');
    await axe(admin, 'admin audit');
    expect(problems).toEqual([]);
  });
});
