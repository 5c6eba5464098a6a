import { MantineProvider } from '@mantine/core';
import { QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { render, screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it } from 'vitest';
import type { Instance, Schemas } from '../api/client';
import { error, FakeGateway, instance } from '../test/fake-api';
import { theme } from '../theme';
import { SharePanel } from './SharePanel';

type Share = Schemas['InstanceShare'];

const share = (over: Partial<Share> = {}): Share => ({
  id: 'sh_first',
  instanceId: 'inst000001',
  createdBy: { sub: 'sub-alice', name: 'alice' },
  createdAt: '2030-01-01T10:00:00.000Z',
  expiresAt: '2030-01-02T10:00:00.000Z',
  oneTime: false,
  anonymous: false,
  uses: 0,
  lastUsedAt: null,
  revokedAt: null,
  revokedReason: null,
  state: 'ACTIVE',
  ...over,
});

function setup(i: Instance, initial: Share[] = [], anonymousAllowed = true) {
  let list = [...initial];
  const gateway = new FakeGateway()
    .on('GET', /^\/api\/v1\/instances\/inst000001\/shares$/, () => ({ status: 200, body: { items: list, anonymousAllowed } }))
    .on('DELETE', /^\/api\/v1\/instances\/inst000001\/shares\/(\w+)$/, (_req, m) => {
      list = list.map((s) => (s.id === m[1] ? { ...s, state: 'REVOKED' as const, revokedAt: '2030-01-01T11:00:00.000Z', revokedReason: 'REVOKED by alice' } : s));
      return { status: 200, body: list.find((s) => s.id === m[1]) };
    })
    .install();
  const client = new QueryClient({ defaultOptions: { queries: { retry: false } } });
  render(
    <MantineProvider {...theme} env="test">
      <QueryClientProvider client={client}>
        <SharePanel instance={i} />
      </QueryClientProvider>
    </MantineProvider>,
  );
  return Object.assign(gateway, { add: (s: Share) => (list = [s, ...list]) });
}

describe('share panel', () => {
  const running = instance({ id: 'inst000001', status: 'RUNNING', visibility: 'PRIVATE' });

  it('makes a link with the chosen lifetime, once-only and guest choices, and shows it once, to copy', async () => {
    const gateway = setup(running);
    gateway.on('POST', /^\/api\/v1\/instances\/inst000001\/shares$/, ({ body }) => {
      const b = body as { expiresIn: string; oneTime: boolean; anonymous: boolean };
      const made = share({ id: 'sh_new', oneTime: b.oneTime, anonymous: b.anonymous });
      gateway.add(made);
      return { status: 201, body: { share: made, url: 'http://wharf.test/share/wsh_secret' } };
    });
    await userEvent.click(screen.getByRole('textbox', { name: 'Link opens for' }));
    await userEvent.click(await screen.findByRole('option', { name: '7 days' }));
    await userEvent.click(screen.getByRole('checkbox', { name: 'Once only' }));
    await userEvent.click(screen.getByRole('button', { name: 'Create link' }));
    await waitFor(() => expect(gateway.requests('POST', /shares$/)).toHaveLength(1));
    expect(gateway.requests('POST', /shares$/)[0]!.body).toEqual({ expiresIn: '7d', oneTime: true, anonymous: false });
    const shown = await screen.findByTestId('new-share-link');
    expect(within(shown).getByRole('textbox', { name: 'Share link' })).toHaveValue('http://wharf.test/share/wsh_secret');
    expect(within(shown).getByText(/shown only this once/)).toBeInTheDocument();
    expect(within(shown).getByRole('button', { name: 'Copy' })).toBeInTheDocument();
    // the list that follows never holds the link itself
    const table = await screen.findByRole('table', { name: 'Share links' });
    expect(within(table).getByText('sh_new')).toBeInTheDocument();
    expect(within(table).getByText('once only')).toBeInTheDocument();
    expect(table.textContent).not.toContain('wsh_secret');
    await userEvent.click(within(shown).getByRole('button', { name: 'Done' }));
    expect(screen.queryByTestId('new-share-link')).not.toBeInTheDocument();
    expect(screen.queryByDisplayValue('http://wharf.test/share/wsh_secret')).not.toBeInTheDocument();
  });

  it('lists links with their state and uses, and revokes one', async () => {
    const gateway = setup(running, [share({ id: 'sh_live', uses: 3 }), share({ id: 'sh_old', state: 'EXPIRED' })]);
    const table = await screen.findByRole('table', { name: 'Share links' });
    const live = within(table).getByText('sh_live').closest('tr')!;
    expect(within(live).getByText('active')).toBeInTheDocument();
    expect(within(live).getByText('3')).toBeInTheDocument();
    const old = within(table).getByText('sh_old').closest('tr')!;
    expect(within(old).getByText('expired')).toBeInTheDocument();
    expect(within(old).queryByRole('button', { name: /Revoke/ })).not.toBeInTheDocument();
    await userEvent.click(within(live).getByRole('button', { name: 'Revoke sh_live' }));
    await waitFor(() => expect(gateway.requests('DELETE', '/api/v1/instances/inst000001/shares/sh_live')).toHaveLength(1));
    expect(await within(live).findByText('revoked')).toBeInTheDocument();
  });

  it('offers links for guests only where the platform allows them', async () => {
    const gateway = setup(running, [], false);
    await waitFor(() => expect(gateway.requests('GET', /shares$/)).toHaveLength(1));
    await screen.findByRole('button', { name: 'Create link' });
    expect(screen.queryByRole('checkbox', { name: 'Guests too (no sign-in)' })).not.toBeInTheDocument();
    gateway.on('POST', /shares$/, () => ({ status: 201, body: { url: 'http://127.0.0.1:8080/share/wsh_x', share: share({ id: 'sh_new' }) } }));
    await userEvent.click(screen.getByRole('button', { name: 'Create link' }));
    await screen.findByTestId('new-share-link');
    expect(gateway.requests('POST', /shares$/)[0]!.body).toEqual({ expiresIn: '24h', oneTime: false, anonymous: false });
  });

  it('says why no link was made (guests turned off since the page was loaded)', async () => {
    const gateway = setup(running);
    gateway.on('POST', /shares$/, () => error(403, 'FORBIDDEN', 'anonymous share links are turned off on this platform (Gateway.AllowAnonymousShares = false)'));
    await userEvent.click(await screen.findByRole('checkbox', { name: 'Guests too (no sign-in)' }));
    await userEvent.click(screen.getByRole('button', { name: 'Create link' }));
    expect(await screen.findByText(/Gateway.AllowAnonymousShares = false/)).toBeInTheDocument();
    expect(screen.queryByTestId('new-share-link')).not.toBeInTheDocument();
  });
});
