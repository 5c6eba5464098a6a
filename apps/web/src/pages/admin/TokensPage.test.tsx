import { screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it } from 'vitest';
import type { TokenInfo } from '../../api/admin-queries';
import { error, FakeGateway } from '../../test/fake-api';
import { AdminTokensPage } from './TokensPage';
import { renderPage } from './test-page';

const token = (id: string, user: string, over: Partial<TokenInfo> = {}): TokenInfo => ({
  id,
  name: `${user}'s token`,
  hint: id,
  user: { sub: `svc:${user}`, name: user },
  roles: ['full-access'],
  readOnly: false,
  expiresAt: null,
  createdAt: '2026-01-01T00:00:00.000Z',
  createdBy: 'svc:admin',
  lastUsedAt: '2026-01-05T00:00:00.000Z',
  revokedAt: null,
  ...over,
});

describe('the admin Tokens tab', () => {
  it("lists everyone's tokens and revokes one after confirmation, showing a refusal readably", async () => {
    const user = userEvent.setup();
    let refuse = true;
    const gw = new FakeGateway()
      .on('GET', /^\/api\/v1\/tokens$/, ({ query }) => ({
        status: 200,
        body: query.get('all') === 'true' ? { items: [token('t1', 'alice'), token('t2', 'bob', { readOnly: true, expiresAt: '2020-01-01T00:00:00.000Z' })], nextCursor: null } : { items: [], nextCursor: null },
      }))
      .on('DELETE', /^\/api\/v1\/tokens\/([^/]+)$/, () => (refuse ? error(404, 'NOT_FOUND', 'token t1 not found') : { status: 200, body: token('t1', 'alice', { revokedAt: '2026-02-01T00:00:00.000Z' }) }))
      .install();
    renderPage(<AdminTokensPage />);
    const table = await screen.findByRole('table', { name: 'Everyone’s tokens' });
    const bob = table.querySelector('tr[data-token="t2"]') as HTMLElement;
    expect(bob).toHaveTextContent('read-only');
    expect(bob).toHaveTextContent('bob (svc:bob)');
    expect(bob).toHaveTextContent('Expired');
    await user.click(within(table).getByRole('button', { name: "Revoke alice's token of alice" }));
    const dialog = await screen.findByRole('dialog', { name: "Revoke the token alice's token?" });
    await user.click(within(dialog).getByRole('button', { name: 'Revoke' }));
    expect(await within(dialog).findByRole('alert')).toHaveTextContent('token t1 not found');
    refuse = false;
    await user.click(within(dialog).getByRole('button', { name: 'Revoke' }));
    await waitFor(() => expect(screen.queryByRole('dialog')).toBeNull());
    expect(gw.requests('DELETE', '/api/v1/tokens/t1')).toHaveLength(2);
    expect(gw.requests('GET', '/api/v1/tokens').every((r) => r.query.get('all') === 'true')).toBe(true);
  });
});
