import { buildBundle, startWharf, type RunningSystem } from '@wharf/testing';
import type { Browser, Page } from 'playwright-core';
import { launchChromium } from './browser';
import { callWithSession, callWithToken, expectAccessible, signIn } from './ui';

jest.setTimeout(180_000);

const LINK = '[App]\nName = "wiki"\nVersion = "1.0.0"\nTitle = "Team wiki"\nInstanceLifecycle = "LINK"\n\n[Link]\nAddress = "https://wiki.example.com/start"\n';
const MANAGED = '[App]\nName = "board"\nVersion = "1.0.0"\nTitle = "Board"\nInstanceLifecycle = "MANAGED"\n\n[Runtime]\nModule = "hello.app"\n';

/**
 * Lifecycles in Chromium against Wharf started as `pnpm start` starts it: a LINK app's card and
 * page open its site (nothing runs); a MANAGED app cannot be opened by another user until its
 * owner starts it, then both open the same instance, and the other user reaches it through the
 * router.
 */
describe('lifecycles, end to end', () => {
  let sys: RunningSystem;
  let browser: Browser;
  let alice: Page;
  let bob: Page;
  const problems: string[] = [];

  beforeAll(async () => {
    [sys, browser] = await Promise.all([startWharf(), launchChromium()]);
    alice = await signIn(browser, sys, 'alice', '/', problems);
    bob = await signIn(browser, sys, 'bob', '/', problems);
    for (const manifest of [LINK, MANAGED]) {
      expect(await callWithSession(alice, 'POST', '/api/v1/bundles', Array.from(await buildBundle({ manifest })))).toBe(201);
    }
    for (const name of ['wiki', 'board']) {
      const { body } = await callWithToken(sys, sys.adminToken, 'GET', `/apps/${name}@1.0.0`);
      expect((await callWithToken(sys, sys.adminToken, 'PATCH', `/apps/${String(body.id)}`, { visibility: 'ALL_USERS' })).status).toBe(200);
    }
  });
  afterAll(async () => {
    await browser?.close();
    if (sys && sys.proc.exitCode === null) await sys.stop();
  });

  it("opens a LINK app's site from its card and its page; there is nothing to run", async () => {
    await bob.goto(`${sys.gateway}/`);
    const card = bob.getByRole('listitem').filter({ hasText: 'Team wiki' });
    const link = card.getByRole('link', { name: /^Team wiki/ });
    expect(await link.getAttribute('href')).toBe('https://wiki.example.com/start');
    expect(await link.getAttribute('target')).toBe('_blank');
    await card.getByText('Link', { exact: true }).waitFor();
    await bob.goto(`${sys.gateway}/apps/wiki`);
    const open = bob.getByRole('region', { name: 'Open' }).getByRole('link', { name: 'Open Team wiki' });
    expect(await open.getAttribute('href')).toBe('https://wiki.example.com/start');
    expect(await bob.getByRole('button', { name: /^Run/ }).count()).toBe(0);
    await expectAccessible(bob, 'a LINK app');
  });

  it('lets the owner start the one shared instance of a MANAGED app, which everyone then opens', async () => {
    await bob.goto(`${sys.gateway}/apps/board`);
    const panel = bob.getByRole('region', { name: 'Shared instance' });
    await panel.getByText('Its owner (alice) or an admin starts it.').waitFor();
    await panel.getByRole('button', { name: 'Open Board' }).click();
    await panel.getByRole('alert').getByText(/it is not running now: ask them to start it/).waitFor();
    await expectAccessible(bob, 'a MANAGED app, not running');

    await alice.goto(`${sys.gateway}/apps/board`);
    await alice.getByRole('region', { name: 'Shared instance' }).getByRole('button', { name: 'Open Board' }).click();
    await alice.waitForURL(/\/instances\/[a-z][a-z0-9]{9}$/);
    const id = alice.url().split('/').pop()!;
    await alice.getByTestId('instance-status').getByText('RUNNING').waitFor({ timeout: 60_000 });

    await panel.getByRole('button', { name: 'Open Board' }).click();
    await bob.waitForURL(`${sys.gateway}/instances/${id}`); // the same instance, not one of his own
    await bob.getByTestId('instance-status').getByText('RUNNING').waitFor();
    expect(await bob.getByRole('button', { name: 'Terminate' }).count()).toBe(0); // alice's to manage
    const [app] = await Promise.all([bob.context().waitForEvent('page'), bob.getByRole('link', { name: 'Open' }).click()]);
    await app.getByText('Hello from Wharf').waitFor(); // through the router, with a ticket for bob
    await app.close();
    // the browser logs the refused Open (409) it was meant to get; nothing else
    expect(problems.filter((p) => !/^bob: error: .* 409 \(Conflict\) \(.*\/api\/v1\/apps\/[^/]+\/instances\)$/.test(p))).toEqual([]);
  });
});
