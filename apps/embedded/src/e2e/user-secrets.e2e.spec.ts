import { buildBundle, startWharf, type RunningSystem } from '@wharf/testing';
import type { Browser, Page } from 'playwright-core';
import { launchChromium } from './browser';
import { callWithSession as call, callWithToken, expectAccessible as axe, shot, signIn as signInAs } from './ui';

jest.setTimeout(180_000);

const VALUE = 'sk-e2e-5d4c3b2a1f';

/**
 * Self-service secrets in Chromium against Wharf started as `pnpm start` starts it: alice opens
 * Secrets from the navigation, creates one (the value typed once, never shown), runs an app that
 * reads it as `~/<name>`, is told why it cannot be deleted while that instance lives, and deletes
 * it once the instance is gone; a visitor has no Secrets. Every page passes axe-core, and the
 * browser reports no Content-Security-Policy violation or error.
 */
describe('the Secrets page, end to end', () => {
  let sys: RunningSystem;
  let browser: Browser;
  let alice: Page;
  const problems: string[] = [];

  beforeAll(async () => {
    [sys, browser] = await Promise.all([startWharf(), launchChromium()]);
  });
  afterAll(async () => {
    await browser?.close();
    if (sys && sys.proc.exitCode === null) await sys.stop();
  });

  it('lets alice create a secret of hers from the navigation, without ever showing its value', async () => {
    alice = await signInAs(browser, sys, 'alice', '/', problems);
    await alice.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Secrets' }).click();
    await alice.getByText('No secrets yet.').waitFor();
    await axe(alice, 'secrets, empty');
    await alice.getByRole('button', { name: 'New secret' }).click();
    const dialog = alice.getByRole('dialog', { name: 'New secret' });
    await dialog.getByRole('textbox', { name: 'Name' }).fill('e2e-key');
    await dialog.getByRole('textbox', { name: 'Key 1' }).fill('API_KEY');
    await dialog.getByLabel('Value 1').fill(VALUE);
    await axe(alice, 'secret form');
    await dialog.getByRole('button', { name: 'Create secret' }).click();
    const row = alice.locator('tr[data-secret="e2e-key"]');
    await row.getByText('API_KEY').waitFor();
    expect(await row.textContent()).toContain('only instances you run');
    expect(await alice.content()).not.toContain(VALUE);
    await shot(alice, 'secrets');
    await axe(alice, 'secrets');
  });

  it('refuses to delete it while an instance reads it, saying which, and deletes it once that instance is gone', async () => {
    const zip = await buildBundle({ app: { name: 'e2e-reads-key', version: '1.0.0', env: [{ name: 'API_KEY', secret: '~/e2e-key', secretKey: 'API_KEY' }] } });
    expect(await call(alice, 'POST', '/api/v1/bundles', Array.from(zip))).toBe(201);
    expect(await call(alice, 'POST', '/api/v1/apps/e2e-reads-key/instances')).toBe(201);
    const { body } = await callWithToken(sys, sys.adminToken, 'GET', '/instances?scope=all&appName=e2e-reads-key');
    const [instance] = body.items as { id: string }[];
    await alice.locator('tr[data-secret="e2e-key"]').getByRole('button', { name: 'Delete e2e-key' }).click();
    const confirm = alice.getByRole('dialog', { name: 'Delete the secret e2e-key?' });
    await confirm.getByRole('button', { name: 'Delete' }).click();
    await confirm.getByText(`is in use by an instance that is not terminated (instance ${instance!.id})`, { exact: false }).waitFor();
    await axe(alice, 'secret delete refused');
    await confirm.getByRole('button', { name: 'Cancel' }).click();
    expect((await callWithToken(sys, sys.adminToken, 'DELETE', `/instances/${instance!.id}`)).status).toBe(200);
    await alice.locator('tr[data-secret="e2e-key"]').getByRole('button', { name: 'Delete e2e-key' }).click();
    await confirm.getByRole('button', { name: 'Delete' }).click();
    await alice.getByText('No secrets yet.').waitFor();
    const audit = await callWithToken(sys, sys.adminToken, 'GET', '/audit?action=user-secret.*&limit=20');
    expect((audit.body.items as { action: string; outcome: string }[]).map((e) => `${e.action} ${e.outcome}`)).toEqual(
      expect.arrayContaining(['user-secret.create success', 'user-secret.delete failure', 'user-secret.delete success']),
    );
    expect(JSON.stringify(audit.body)).not.toContain(VALUE);
  });

  it('offers a visitor no Secrets', async () => {
    const vic = await signInAs(browser, sys, 'vic', '/secrets', problems);
    await vic.getByText(/Visitors cannot keep secrets/).waitFor();
    expect(await vic.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Secrets' }).count()).toBe(0);
    await axe(vic, 'secrets, visitor');
    // the one failed request the browser reports is the refused delete above, which the page showed
    expect(problems.filter((p) => !/^alice: error: .* 409 \(Conflict\) \(http:\/\/[^)]*\/api\/v1\/user-secrets\/e2e-key\)$/.test(p))).toEqual([]);
    expect(problems).toHaveLength(1);
  });
});
