import { screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { beforeEach, describe, expect, it } from 'vitest';
import type { Alias } from '../../api/admin-queries';
import { setCsrfToken } from '../../api/client';
import { error, FakeGateway } from '../../test/fake-api';
import { AdminAliasesPage } from './AliasesPage';
import { admin, renderPage } from './test-page';

const BLUE = 'blue000001';
const GREEN = 'green00002';
const by = { sub: 'sub-admin', name: 'admin' };
const alias = (name: string, instanceId: string | null, primary = false): Alias => ({
  name,
  url: `http://${name}.apps.localhost:8081`,
  instanceId,
  primary,
  createdBy: by,
  createdAt: '2026-02-01T00:00:00.000Z',
  updatedBy: by,
  updatedAt: '2026-02-01T00:00:00.000Z',
});

/** A gateway that keeps the alias table as the API does (one primary per instance, blue/green moves). */
function setup(start: Alias[]) {
  const list = [...start];
  const makePrimary = (a: Alias) => {
    for (const o of list) if (o !== a && o.instanceId === a.instanceId) o.primary = false;
    a.primary = true;
  };
  const gw = new FakeGateway()
    .on('GET', /^\/api\/v1\/aliases$/, () => ({ status: 200, body: { items: [...list].sort((a, b) => a.name.localeCompare(b.name)), nextCursor: null } }))
    .on('POST', /^\/api\/v1\/aliases$/, (r) => {
      const b = r.body as { name: string; instanceId?: string; primary?: boolean };
      if (list.some((x) => x.name === b.name)) return error(409, 'CONFLICT', `alias "${b.name}" already exists`);
      const a = alias(b.name, b.instanceId ?? null);
      list.push(a);
      if (b.primary) makePrimary(a);
      return { status: 201, body: a };
    })
    .on('PUT', /^\/api\/v1\/aliases\/([^/]+)$/, (r, m) => {
      const a = list.find((x) => x.name === m[1])!;
      const b = r.body as { instanceId: string | null; primary?: boolean };
      if (b.instanceId === 'gone000001') return error(409, 'CONFLICT', 'instance gone000001 is terminated; point the alias at a live instance');
      const primary = b.instanceId ? (b.primary ?? a.primary) : false;
      Object.assign(a, { instanceId: b.instanceId, primary: false });
      if (primary) makePrimary(a);
      return { status: 200, body: a };
    })
    .on('POST', /^\/api\/v1\/aliases\/([^/]+)\/promote$/, (_r, m) => {
      const a = list.find((x) => x.name === m[1])!;
      makePrimary(a);
      return { status: 200, body: a };
    })
    .on('DELETE', /^\/api\/v1\/aliases\/([^/]+)$/, (_r, m) => {
      list.splice(
        list.findIndex((x) => x.name === m[1]),
        1,
      );
      return { status: 200, body: { name: m[1], deleted: true } };
    })
    .install();
  renderPage(<AdminAliasesPage />);
  return gw;
}

const row = async (name: string) => (await screen.findByRole('table', { name: 'Aliases' })).querySelector(`tr[data-alias-row="${name}"]`) as HTMLElement;

describe('the admin Aliases tab', () => {
  beforeEach(() => setCsrfToken(admin.csrfToken));

  it('lists aliases with their instance and primary, and creates a primary alias', async () => {
    const user = userEvent.setup();
    const gw = setup([alias('parked', null)]);
    expect(await row('parked')).toHaveTextContent('none (404)');
    await user.click(screen.getByRole('button', { name: 'New alias' }));
    const dialog = await screen.findByRole('dialog', { name: 'New alias' });
    await user.type(within(dialog).getByRole('textbox', { name: /^Name/ }), 'shop');
    await user.type(within(dialog).getByRole('textbox', { name: /^Instance/ }), BLUE);
    await user.click(within(dialog).getByRole('checkbox', { name: /Primary/ }));
    await user.click(within(dialog).getByRole('button', { name: 'Create alias' }));
    await waitFor(() => expect(screen.queryByRole('dialog')).toBeNull());
    const [post] = gw.requests('POST', '/api/v1/aliases');
    expect(post!.body).toEqual({ name: 'shop', instanceId: BLUE, primary: true });
    expect(post!.headers.get('x-csrf-token')).toBe(admin.csrfToken);
    await waitFor(async () => expect(await row('shop')).toHaveTextContent(`${BLUE}primary`));
    expect(within(await row('shop')).getByRole('link', { name: 'shop' })).toHaveAttribute('href', 'http://shop.apps.localhost:8081');
  });

  it('checks names before sending (DNS label, not an instance id, not reserved) and shows what the API refused', async () => {
    const user = userEvent.setup();
    const gw = setup([alias('shop', BLUE, true)]);
    await user.click(await screen.findByRole('button', { name: 'New alias' }));
    const dialog = await screen.findByRole('dialog', { name: 'New alias' });
    const name = within(dialog).getByRole('textbox', { name: /^Name/ });
    for (const [bad, message] of [
      ['Bad Name', /DNS label/],
      ['abcdefghij', /looks like an instance id/],
      ['www', /reserved for the platform/],
    ] as const) {
      await user.clear(name);
      await user.type(name, bad);
      await user.click(within(dialog).getByRole('button', { name: 'Create alias' }));
      expect(within(dialog).getByText(message)).toBeInTheDocument();
    }
    expect(gw.requests('POST', /aliases/)).toHaveLength(0);
    await user.clear(name);
    await user.type(name, 'shop');
    await user.click(within(dialog).getByRole('button', { name: 'Create alias' }));
    const alert = await within(dialog).findByRole('alert');
    expect(alert).toHaveTextContent('The alias was not created');
    expect(alert).toHaveTextContent('alias "shop" already exists');
  });

  it('moves a primary alias to another instance (it stays primary), makes another alias primary, and deletes one after confirmation', async () => {
    const user = userEvent.setup();
    const gw = setup([alias('shop', BLUE, true), alias('docs', BLUE)]);
    await user.click(await screen.findByRole('button', { name: 'Move shop' }));
    const dialog = await screen.findByRole('dialog', { name: 'Move shop' });
    const instance = within(dialog).getByRole('textbox', { name: /^Instance/ });
    await user.clear(instance);
    await user.type(instance, 'gone000001');
    await user.click(within(dialog).getByRole('button', { name: 'Move alias' }));
    expect(await within(dialog).findByRole('alert')).toHaveTextContent('instance gone000001 is terminated');
    await user.clear(instance);
    await user.type(instance, GREEN);
    await user.click(within(dialog).getByRole('button', { name: 'Move alias' }));
    await waitFor(() => expect(screen.queryByRole('dialog')).toBeNull());
    expect(gw.requests('PUT', '/api/v1/aliases/shop').at(-1)!.body).toEqual({ instanceId: GREEN, primary: true });
    await waitFor(async () => expect(await row('shop')).toHaveTextContent(`${GREEN}primary`));

    await user.click(screen.getByRole('button', { name: 'Make docs primary' }));
    await waitFor(async () => expect(await row('docs')).toHaveTextContent(`${BLUE}primary`));
    expect(gw.requests('POST', '/api/v1/aliases/docs/promote')).toHaveLength(1);

    await user.click(screen.getByRole('button', { name: 'Delete docs' }));
    const confirm = await screen.findByRole('dialog', { name: 'Delete the alias docs?' });
    expect(confirm).toHaveTextContent('http://docs.apps.localhost:8081');
    expect(gw.requests('DELETE', /aliases/)).toHaveLength(0);
    await user.click(within(confirm).getByRole('button', { name: 'Delete' }));
    await waitFor(() => expect(screen.queryByRole('button', { name: 'Delete docs' })).toBeNull());
    expect(gw.requests('DELETE', '/api/v1/aliases/docs')).toHaveLength(1);
  });
});
