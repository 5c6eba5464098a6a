import { screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import type { MyUsage, TokenInfo } from '../api/admin-queries';
import { browser, setCsrfToken } from '../api/client';
import { alice, error, FakeGateway } from '../test/fake-api';
import { MePage } from './MePage';
import { renderPage } from './admin/test-page';

const token = (id: string, over: Partial<TokenInfo> = {}): TokenInfo => ({
  id,
  name: `token ${id}`,
  hint: `ab${id}`,
  user: { sub: alice.user.sub, name: 'alice' },
  roles: ['full-access'],
  readOnly: false,
  expiresAt: '2030-01-01T00:00:00.000Z',
  createdAt: '2026-01-01T00:00:00.000Z',
  createdBy: alice.user.sub,
  lastUsedAt: null,
  revokedAt: null,
  ...over,
});

const usage: MyUsage = {
  user: { sub: alice.user.sub, name: 'alice', roles: ['full-access'] },
  instances: {
    live: 8,
    limit: { max: 10, setting: 'Scheduler.MaxInstancesFullAccess', reason: 'full-access users' },
    memoryLimitBytes: 3 * 1024 ** 3,
    memoryReservationBytes: 512 * 1024 ** 2,
    gpus: 0,
  },
  versions: { count: 2, limit: { max: 10, setting: 'Repository.MaxVersionsPerUser', reason: 'full-access users' } },
  ceilings: { maxMemoryLimit: '4Gi', maxMemoryReservation: '2Gi', maxGpus: 0 },
};

function setup(tokens: TokenInfo[]) {
  const list = [...tokens];
  const gateway = new FakeGateway()
    .on('GET', /^\/api\/v1\/me\/usage$/, () => ({ status: 200, body: usage }))
    .on('GET', /^\/api\/v1\/tokens$/, () => ({ status: 200, body: { items: list, nextCursor: null } }))
    .on('POST', /^\/api\/v1\/tokens$/, ({ body }) => {
      const b = body as { name: string; readOnly: boolean; expiresInDays?: number };
      const t = token(`n${list.length}`, { name: b.name, readOnly: b.readOnly });
      list.unshift(t);
      return { status: 201, body: { ...t, token: 'wharf_pat_secret-shown-once' } };
    })
    .on('DELETE', /^\/api\/v1\/tokens\/([^/]+)$/, (_r, m) => {
      const at = list.findIndex((t) => t.id === m[1]);
      list[at] = { ...list[at]!, revokedAt: '2026-02-01T00:00:00.000Z' };
      return { status: 200, body: list[at] };
    })
    .install();
  renderPage(<MePage session={alice} />);
  return { gateway, list };
}

describe('the Me page', () => {
  beforeEach(() => setCsrfToken(alice.csrfToken));

  it('shows who is signed in and their usage against their limits', async () => {
    setup([]);
    expect(screen.getByRole('heading', { level: 1, name: 'alice' })).toBeInTheDocument();
    expect(within(screen.getByLabelText('Roles')).getByText('full-access')).toBeInTheDocument();
    const panel = screen.getByRole('region', { name: 'Your usage' });
    expect(await within(panel).findByText('8 of 10')).toBeInTheDocument();
    expect(within(panel).getByRole('progressbar', { name: 'Live instances: 8 of 10' })).toBeInTheDocument();
    expect(within(panel).getByText('2 of 10')).toBeInTheDocument();
    expect(panel).toHaveTextContent('full-access users · Scheduler.MaxInstancesFullAccess');
    expect(panel).toHaveTextContent('Repository.MaxVersionsPerUser');
    expect(panel).toHaveTextContent('3 GiB memory limit, 512 MiB reserved');
    expect(within(panel).getByTestId('ceilings')).toHaveTextContent('at most 4Gi of memory (2Gi reserved) and 0 GPUs');
  });

  it('creates a token and shows it once, with a copy button', async () => {
    const user = userEvent.setup();
    const { gateway } = setup([token('t1')]);
    await screen.findByRole('table', { name: 'Your tokens' });
    await user.type(screen.getByRole('textbox', { name: 'Token name' }), 'laptop');
    await user.type(screen.getByRole('textbox', { name: /Expires in/ }), '30');
    await user.click(screen.getByRole('checkbox', { name: /Read-only/ }));
    await user.click(screen.getByRole('button', { name: 'Create token' }));
    const shown = await screen.findByTestId('new-token');
    expect(shown).toHaveTextContent('wharf_pat_secret-shown-once');
    const [post] = gateway.requests('POST', '/api/v1/tokens');
    expect(post!.body).toEqual({ name: 'laptop', readOnly: true, expiresInDays: 30 });
    expect(post!.headers.get('x-csrf-token')).toBe(alice.csrfToken);
    await user.click(screen.getByRole('button', { name: 'Copy token' }));
    expect(await navigator.clipboard.readText()).toBe('wharf_pat_secret-shown-once');
    expect(await screen.findByRole('button', { name: 'Copied' })).toBeInTheDocument();
    // the list is read again: the new token is there, without its secret
    const table = screen.getByRole('table', { name: 'Your tokens' });
    await waitFor(() => expect(within(table).getByText('laptop')).toBeInTheDocument());
    expect(table).not.toHaveTextContent('secret-shown-once');
    await user.click(screen.getByRole('button', { name: 'Hide the token' }));
    expect(screen.queryByText('wharf_pat_secret-shown-once')).toBeNull();
  });

  it('revokes a token only after confirmation', async () => {
    const user = userEvent.setup();
    const { gateway } = setup([token('t1', { name: 'ci' }), token('t2', { name: 'old', revokedAt: '2026-01-02T00:00:00.000Z' })]);
    const table = await screen.findByRole('table', { name: 'Your tokens' });
    expect(within(table).queryByRole('button', { name: 'Revoke old' })).toBeNull();
    await user.click(within(table).getByRole('button', { name: 'Revoke ci' }));
    let dialog = await screen.findByRole('dialog', { name: 'Revoke the token ci?' });
    await user.click(within(dialog).getByRole('button', { name: 'Cancel' }));
    expect(gateway.requests('DELETE', /tokens/)).toHaveLength(0);
    await user.click(within(table).getByRole('button', { name: 'Revoke ci' }));
    dialog = await screen.findByRole('dialog', { name: 'Revoke the token ci?' });
    await user.click(within(dialog).getByRole('button', { name: 'Revoke' }));
    await waitFor(() => expect(gateway.requests('DELETE', '/api/v1/tokens/t1')).toHaveLength(1));
    await waitFor(() => expect(within(table).queryByRole('button', { name: 'Revoke ci' })).toBeNull());
    expect(within(table).getAllByText(/^Revoked/)).toHaveLength(2);
  });

  it('shows why a token was not created, as a sentence', async () => {
    const user = userEvent.setup();
    const { gateway } = setup([]);
    gateway.on('POST', /^\/api\/v1\/tokens$/, () =>
      error(400, 'INVALID', 'invalid body', { problems: [{ path: 'expiresInDays', message: 'at most 90 days (Gateway.TokenMaxTtlDays)' }, { path: 'name', message: 'too long' }] }),
    );
    await user.type(screen.getByRole('textbox', { name: /Expires in/ }), '400');
    await user.click(screen.getByRole('button', { name: 'Create token' }));
    const alert = await screen.findByRole('alert');
    expect(alert).toHaveTextContent('The token was not created');
    expect(alert).toHaveTextContent('expiresInDays: at most 90 days (Gateway.TokenMaxTtlDays)');
    expect(alert.textContent).not.toContain('{');
    expect(screen.queryByTestId('new-token')).toBeNull();
  });

  it('signs out here and at the provider', async () => {
    const user = userEvent.setup();
    const { gateway } = setup([]);
    const assign = vi.spyOn(browser, 'assign').mockImplementation(() => {});
    gateway.on('POST', /^\/auth\/logout$/, () => ({ status: 200, body: { logoutUrl: 'http://idp.example/logout?x=1' } }));
    await user.click(screen.getByRole('button', { name: 'Sign out' }));
    await waitFor(() => expect(assign).toHaveBeenCalledWith('http://idp.example/logout?x=1'));
    expect(gateway.requests('POST', '/auth/logout')[0]!.headers.get('x-csrf-token')).toBe(alice.csrfToken);
  });
});
