import { screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { beforeEach, describe, expect, it } from 'vitest';
import type { Secret } from '../../api/admin-queries';
import type { UserSecret } from '../../api/secret-queries';
import { setCsrfToken } from '../../api/client';
import { error, FakeGateway } from '../../test/fake-api';
import { AdminSecretsPage, secretProblems } from './SecretsPage';
import { admin, renderPage } from './test-page';

const openai: Secret = { name: 'openai', keys: ['API_KEY', 'ORG'], grants: { apps: ['chat'], owners: [] }, updatedAt: '2026-01-01T00:00:00.000Z' };

const bobs: UserSecret = {
  owner: { sub: 'sub-bob', name: 'bob' },
  name: 'openai',
  ref: 'sub-bob/openai',
  keys: ['API_KEY'],
  visibility: 'PRIVATE',
  apps: [],
  updatedAt: '2026-01-01T00:00:00.000Z',
};

function setup(secrets: Secret[], userSecrets: UserSecret[] = []) {
  const list = [...secrets];
  const users = [...userSecrets];
  const gw = new FakeGateway()
    .on('GET', /^\/api\/v1\/user-secrets$/, () => ({ status: 200, body: { items: users, nextCursor: null } }))
    .on('DELETE', /^\/api\/v1\/user-secrets\/([^/]+)$/, (r, m) => {
      if (r.query.get('owner') !== 'sub-bob') return error(404, 'NOT_FOUND', 'no such secret');
      users.splice(0, 1);
      return { status: 200, body: { owner: 'sub-bob', name: m[1], ref: `sub-bob/${m[1]}`, deleted: true } };
    })
    .on('GET', /^\/api\/v1\/secrets$/, () => ({ status: 200, body: { items: list, nextCursor: null } }))
    .on('PUT', /^\/api\/v1\/secrets\/([^/]+)$/, (r, m) => {
      const b = r.body as { data: Record<string, string>; grants: Secret['grants'] };
      const s: Secret = { name: m[1]!, keys: Object.keys(b.data).sort(), grants: b.grants, updatedAt: '2026-02-01T00:00:00.000Z' };
      const at = list.findIndex((x) => x.name === s.name);
      if (at < 0) list.push(s);
      else list[at] = s;
      return { status: 200, body: s };
    })
    .on('DELETE', /^\/api\/v1\/secrets\/([^/]+)$/, (_r, m) => {
      list.splice(
        list.findIndex((x) => x.name === m[1]),
        1,
      );
      return { status: 200, body: { name: m[1], deleted: true } };
    })
    .install();
  renderPage(<AdminSecretsPage />);
  return gw;
}

describe('the admin Secrets tab', () => {
  beforeEach(() => setCsrfToken(admin.csrfToken));

  it('lists names, key names and grants, never values', async () => {
    setup([openai]);
    const row = (await screen.findByRole('table', { name: 'Secrets' })).querySelector('tr[data-secret="openai"]') as HTMLElement;
    expect(within(row).getAllByRole('cell').map((c) => c.textContent)).toEqual(['openai', 'API_KEY, ORG', 'apps: chat', expect.any(String), 'ReplaceDelete']);
  });

  it('creates a secret from key/value rows with its grants (values typed as passwords)', async () => {
    const user = userEvent.setup();
    const gw = setup([]);
    await screen.findByText('No secrets yet.');
    const styles = document.querySelectorAll('style').length;
    await user.click(screen.getByRole('button', { name: 'New secret' }));
    const dialog = await screen.findByRole('dialog', { name: 'New secret' });
    // no <style> element comes with the dialog (the gateway's CSP refuses inline styles)
    expect(document.querySelectorAll('style')).toHaveLength(styles);
    expect(within(dialog).getByRole('button', { name: 'Close' })).toBeInTheDocument(); // the dialog's × has a name
    await user.type(within(dialog).getByRole('textbox', { name: 'Name' }), 'db');
    await user.type(within(dialog).getByRole('textbox', { name: 'Key 1' }), 'USER');
    const value1 = within(dialog).getByLabelText('Value 1');
    expect(value1).toHaveAttribute('type', 'password');
    await user.type(value1, 'admin');
    await user.click(within(dialog).getByRole('button', { name: 'Add a key' }));
    await user.type(within(dialog).getByRole('textbox', { name: 'Key 2' }), 'PASSWORD');
    await user.type(within(dialog).getByLabelText('Value 2'), 's3cret');
    await user.type(within(dialog).getByRole('textbox', { name: /Granted to apps/ }), 'reports{Enter}');
    await user.type(within(dialog).getByRole('textbox', { name: /Granted to owners/ }), 'svc:alice{Enter}');
    await user.click(within(dialog).getByRole('button', { name: 'Create secret' }));
    await waitFor(() => expect(screen.queryByRole('dialog')).toBeNull());
    const [put] = gw.requests('PUT', '/api/v1/secrets/db');
    expect(put!.body).toEqual({ data: { USER: 'admin', PASSWORD: 's3cret' }, grants: { apps: ['reports'], owners: ['svc:alice'] } });
    expect(put!.headers.get('x-csrf-token')).toBe(admin.csrfToken);
    const table = await screen.findByRole('table', { name: 'Secrets' });
    expect(table).toHaveTextContent('PASSWORD, USER');
    expect(table).not.toHaveTextContent('s3cret');
  });

  it('checks names and keys before sending, and shows what the API refused', async () => {
    expect(secretProblems('Bad Name', [{ id: 1, key: 'a b', value: 'v' }, { id: 2, key: 'K', value: 'v' }, { id: 3, key: 'K', value: '' }], false)).toEqual({
      name: expect.stringContaining('DNS name'),
      key1: 'letters, digits, dashes, dots or underscores',
      key3: 'K is there twice',
      value3: expect.stringContaining('type the value'),
    });
    expect(secretProblems('x', [], true)).toEqual({ rows: 'add at least one key' });
    const user = userEvent.setup();
    const gw = setup([openai]);
    await user.click(await screen.findByRole('button', { name: 'Replace openai' }));
    const dialog = await screen.findByRole('dialog', { name: 'Replace openai' });
    // the keys are there, the values are not (write-only): replacing means typing them again
    expect(within(dialog).getByRole('textbox', { name: 'Key 1' })).toHaveValue('API_KEY');
    expect(within(dialog).getByLabelText('Value 1')).toHaveValue('');
    await user.clear(within(dialog).getByRole('textbox', { name: 'Key 2' }));
    await user.type(within(dialog).getByRole('textbox', { name: 'Key 2' }), 'bad key');
    await user.click(within(dialog).getByRole('button', { name: 'Replace secret' }));
    expect(within(dialog).getByText('letters, digits, dashes, dots or underscores')).toBeInTheDocument();
    expect(gw.requests('PUT', /secrets/)).toHaveLength(0);
    await user.click(within(dialog).getByRole('button', { name: 'Remove key 2 (bad key)' }));
    await user.click(within(dialog).getByRole('button', { name: 'Replace secret' }));
    expect(within(dialog).getByText(/type the value/)).toBeInTheDocument();
    expect(gw.requests('PUT', /secrets/)).toHaveLength(0);
    await user.type(within(dialog).getByLabelText('Value 1'), 'sk-new');
    gw.on('PUT', /^\/api\/v1\/secrets\/([^/]+)$/, () => error(400, 'INVALID', 'the kubernetes driver refused the secret: too large'));
    await user.click(within(dialog).getByRole('button', { name: 'Replace secret' }));
    const alert = await within(dialog).findByRole('alert');
    expect(alert).toHaveTextContent('The secret was not saved');
    expect(alert).toHaveTextContent('the kubernetes driver refused the secret: too large');
    expect(gw.requests('PUT', '/api/v1/secrets/openai')[0]!.body).toEqual({ data: { API_KEY: 'sk-new' }, grants: { apps: ['chat'], owners: [] } });
  });

  it("lists every user's secrets (never values) and deletes one of them after confirming", async () => {
    const user = userEvent.setup();
    const gw = setup([openai], [bobs]);
    const row = (await screen.findByRole('table', { name: "Users' secrets" })).querySelector('tr[data-user-secret="sub-bob/openai"]') as HTMLElement;
    expect(within(row).getAllByRole('cell').map((c) => c.textContent)).toEqual(['bob', 'openai', 'API_KEY', 'only instances bob runs', expect.any(String), 'Delete']);
    expect(gw.requests('GET', '/api/v1/user-secrets')[0]!.query.get('scope')).toBe('all');
    await user.click(within(row).getByRole('button', { name: 'Delete openai of bob' }));
    const dialog = await screen.findByRole('dialog', { name: "Delete bob's secret openai?" });
    await user.click(within(dialog).getByRole('button', { name: 'Delete' }));
    expect(await screen.findByText('No user has a secret yet.')).toBeInTheDocument();
    expect(gw.requests('DELETE', '/api/v1/user-secrets/openai')[0]!.query.get('owner')).toBe('sub-bob');
    expect(screen.getByRole('table', { name: 'Secrets' })).toBeInTheDocument(); // the platform secret is untouched
  });

  it('deletes only after confirmation', async () => {
    const user = userEvent.setup();
    const gw = setup([openai]);
    await user.click(await screen.findByRole('button', { name: 'Delete openai' }));
    const dialog = await screen.findByRole('dialog', { name: 'Delete the secret openai?' });
    expect(gw.requests('DELETE', /secrets/)).toHaveLength(0);
    await user.click(within(dialog).getByRole('button', { name: 'Delete' }));
    expect(await screen.findByText('No secrets yet.')).toBeInTheDocument();
    expect(gw.requests('DELETE', '/api/v1/secrets/openai')).toHaveLength(1);
  });
});
