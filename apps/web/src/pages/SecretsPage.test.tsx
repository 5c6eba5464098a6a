import { screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { beforeEach, describe, expect, it } from 'vitest';
import { setCsrfToken, type SignedIn } from '../api/client';
import type { UserSecret } from '../api/secret-queries';
import { alice, error, FakeGateway } from '../test/fake-api';
import { renderApp } from '../test/render';
import { renderPage } from './admin/test-page';
import { readersOf, SecretsPage, userSecretProblems } from './SecretsPage';

const secret = (over: Partial<UserSecret> & { name: string }): UserSecret => ({
  owner: { sub: alice.user.sub, name: alice.user.name },
  ref: `${alice.user.sub}/${over.name}`,
  keys: ['API_KEY'],
  visibility: 'PRIVATE',
  apps: [],
  updatedAt: '2026-01-01T00:00:00.000Z',
  ...over,
});

/** The page against the REST API at the network boundary: the fake gateway keeps the secrets as the API does (values in, never out). */
function setup(secrets: UserSecret[], session: SignedIn = alice) {
  const list = [...secrets];
  const values: Record<string, Record<string, string>> = {};
  const keep = (name: string, body: { data?: Record<string, string>; visibility?: UserSecret['visibility']; apps?: string[] }) => {
    const old = list.find((x) => x.name === name);
    if (body.data) values[name] = body.data;
    const s = secret({ name, keys: Object.keys(values[name] ?? {}).sort(), visibility: body.visibility ?? old?.visibility ?? 'PRIVATE', apps: body.apps ?? [], updatedAt: '2026-02-01T00:00:00.000Z' });
    if (old) list.splice(list.indexOf(old), 1, s);
    else list.push(s);
    return s;
  };
  const gw = new FakeGateway()
    .on('GET', /^\/auth\/session$/, () => ({ status: 200, body: session }))
    .on('GET', /^\/api\/v1\/apps$/, () => ({ status: 200, body: { items: [], nextCursor: null } }))
    .on('GET', /^\/api\/v1\/tags$/, () => ({ status: 200, body: { items: [], nextCursor: null } }))
    .on('GET', /^\/api\/v1\/user-secrets$/, () => ({ status: 200, body: { items: list, nextCursor: null } }))
    .on('POST', /^\/api\/v1\/user-secrets$/, (r) => {
      const b = r.body as { name: string; data: Record<string, string> };
      if (list.some((x) => x.name === b.name)) return error(409, 'CONFLICT', `the secret ${b.name} already exists`);
      return { status: 201, body: keep(b.name, b) };
    })
    .on('PUT', /^\/api\/v1\/user-secrets\/([^/]+)$/, (r, m) => ({ status: 200, body: keep(m[1]!, r.body as { data: Record<string, string> }) }))
    .on('PATCH', /^\/api\/v1\/user-secrets\/([^/]+)$/, (r, m) => ({ status: 200, body: keep(m[1]!, r.body as { visibility: UserSecret['visibility'] }) }))
    .on('DELETE', /^\/api\/v1\/user-secrets\/([^/]+)$/, (_r, m) => {
      if (m[1] === 'in-use') {
        return error(409, 'CONFLICT', 'the secret in-use (sub-alice/in-use) is in use by an instance that is not terminated (instance inst000001): terminate those instances first', {
          instances: ['inst000001'],
          count: 1,
        });
      }
      list.splice(
        list.findIndex((x) => x.name === m[1]),
        1,
      );
      return { status: 200, body: { owner: alice.user.sub, name: m[1], ref: `${alice.user.sub}/${m[1]}`, deleted: true } };
    })
    .install();
  return gw;
}

const rowOf = async (name: string) => (await screen.findByRole('table', { name: 'Your secrets' })).querySelector(`tr[data-secret="${name}"]`) as HTMLElement;

describe('the Secrets page', () => {
  beforeEach(() => setCsrfToken(alice.csrfToken));

  it('lists your secrets: key names, who may read them and how apps name them, never values', async () => {
    setup([secret({ name: 'openai', keys: ['API_KEY', 'ORG'] }), secret({ name: 'reports', visibility: 'APP', apps: ['dash', 'forecast'] })]);
    renderPage(<SecretsPage session={alice} />);
    expect(within(await rowOf('openai')).getAllByRole('cell').map((c) => c.textContent)).toEqual([
      'openai',
      'API_KEY, ORG',
      'only instances you run',
      'sub-alice/openai',
      expect.any(String),
      'ReplaceAccessDelete',
    ]);
    expect(within(await rowOf('reports')).getAllByRole('cell')[2]).toHaveTextContent('instances of dash, forecast');
  });

  it('creates a secret from key/value rows (values typed as passwords, sent once, never shown)', async () => {
    const user = userEvent.setup();
    const gw = setup([]);
    renderPage(<SecretsPage session={alice} />);
    await screen.findByText('No secrets yet.');
    await user.click(screen.getByRole('button', { name: 'New secret' }));
    const dialog = await screen.findByRole('dialog', { name: 'New secret' });
    await user.type(within(dialog).getByRole('textbox', { name: 'Name' }), 'openai');
    await user.type(within(dialog).getByRole('textbox', { name: 'Key 1' }), 'API_KEY');
    const value = within(dialog).getByLabelText('Value 1');
    expect(value).toHaveAttribute('type', 'password');
    await user.type(value, 'sk-typed-value');
    expect(within(dialog).getByRole('radio', { name: /Private/ })).toBeChecked();
    await user.click(within(dialog).getByRole('button', { name: 'Create secret' }));
    await waitFor(() => expect(screen.queryByRole('dialog')).toBeNull());
    const [post] = gw.requests('POST', '/api/v1/user-secrets');
    expect(post!.body).toEqual({ name: 'openai', data: { API_KEY: 'sk-typed-value' }, visibility: 'PRIVATE' });
    expect(post!.headers.get('x-csrf-token')).toBe(alice.csrfToken);
    const row = await rowOf('openai');
    expect(row).toHaveTextContent('API_KEY');
    expect(document.body).not.toHaveTextContent('sk-typed-value');
  });

  it('warns before a secret is made readable by every instance, and asks for the apps of APP', async () => {
    const user = userEvent.setup();
    const gw = setup([secret({ name: 'openai' })]);
    renderPage(<SecretsPage session={alice} />);
    await user.click(within(await rowOf('openai')).getByRole('button', { name: 'Who may read openai' }));
    const dialog = await screen.findByRole('dialog', { name: 'Who may read openai' });
    expect(within(dialog).queryByRole('textbox', { name: /Key/ })).toBeNull(); // values stay as they are
    await user.click(within(dialog).getByRole('radio', { name: /All users/ }));
    expect(within(dialog).getByText("Anyone's app can read it")).toBeInTheDocument();
    await user.click(within(dialog).getByRole('radio', { name: /Apps/ }));
    await user.click(within(dialog).getByRole('button', { name: 'Save' }));
    expect(within(dialog).getByText('name at least one app whose instances may read it')).toBeInTheDocument();
    expect(gw.requests('PATCH', /user-secrets/)).toHaveLength(0);
    await user.type(within(dialog).getByRole('textbox', { name: /Apps/ }), 'dash{Enter}');
    await user.click(within(dialog).getByRole('button', { name: 'Save' }));
    await waitFor(() => expect(screen.queryByRole('dialog')).toBeNull());
    expect(gw.requests('PATCH', '/api/v1/user-secrets/openai')[0]!.body).toEqual({ visibility: 'APP', apps: ['dash'] });
    await waitFor(async () => expect(within(await rowOf('openai')).getAllByRole('cell')[2]).toHaveTextContent('instances of dash'));
  });

  it('replaces every value at once, checking each row first', async () => {
    const user = userEvent.setup();
    const gw = setup([secret({ name: 'openai', keys: ['API_KEY'] })]);
    renderPage(<SecretsPage session={alice} />);
    await user.click(within(await rowOf('openai')).getByRole('button', { name: 'Replace openai' }));
    const dialog = await screen.findByRole('dialog', { name: 'Replace openai' });
    expect(within(dialog).getByRole('textbox', { name: 'Key 1' })).toHaveValue('API_KEY');
    await user.click(within(dialog).getByRole('button', { name: 'Replace secret' }));
    expect(within(dialog).getByText(/type the value/)).toBeInTheDocument(); // an empty value would erase the stored one
    await user.type(within(dialog).getByLabelText('Value 1'), 'sk-new');
    await user.click(within(dialog).getByRole('button', { name: 'Replace secret' }));
    await waitFor(() => expect(screen.queryByRole('dialog')).toBeNull());
    expect(gw.requests('PUT', '/api/v1/user-secrets/openai')[0]!.body).toEqual({ data: { API_KEY: 'sk-new' }, visibility: 'PRIVATE' });
  });

  it('shows why a delete was refused (an instance still reads it) and deletes once confirmed', async () => {
    const user = userEvent.setup();
    setup([secret({ name: 'in-use' }), secret({ name: 'old' })]);
    renderPage(<SecretsPage session={alice} />);
    await user.click(within(await rowOf('in-use')).getByRole('button', { name: 'Delete in-use' }));
    let dialog = await screen.findByRole('dialog', { name: 'Delete the secret in-use?' });
    await user.click(within(dialog).getByRole('button', { name: 'Delete' }));
    expect(await within(dialog).findByText(/is in use by an instance that is not terminated \(instance inst000001\): terminate those instances first/)).toBeInTheDocument();
    await user.click(within(dialog).getByRole('button', { name: 'Cancel' }));
    await user.click(within(await rowOf('old')).getByRole('button', { name: 'Delete old' }));
    dialog = await screen.findByRole('dialog', { name: 'Delete the secret old?' });
    expect(within(dialog).queryByText(/inst000001/)).toBeNull(); // the last refusal is gone
    await user.click(within(dialog).getByRole('button', { name: 'Delete' }));
    await waitFor(() => expect(screen.queryByRole('dialog')).toBeNull());
    await waitFor(async () => expect(await rowOf('old')).toBeNull());
  });

  it('checks names, keys and apps before sending', () => {
    const rows = [{ id: 1, key: 'a b', value: 'v' }, { id: 2, key: 'K', value: 'v' }, { id: 3, key: 'K', value: '' }];
    expect(userSecretProblems('new', { name: 'Bad Name', rows, visibility: 'APP', apps: ['Not An App'] })).toEqual({
      name: expect.stringContaining('at most 63 characters'),
      key1: 'letters, digits, dashes, dots or underscores',
      key3: 'K is there twice',
      value3: expect.stringContaining('type the value'),
      apps: 'Not An App is not an app name (lower-case letters, digits, dots and dashes)',
    });
    expect(userSecretProblems('new', { name: 'a'.repeat(64), rows: [], visibility: 'PRIVATE', apps: [] })).toEqual({ name: expect.any(String), rows: 'add at least one key' });
    expect(userSecretProblems('visibility', { name: '', rows: [], visibility: 'ALL_USERS', apps: [] })).toEqual({});
    expect(readersOf({ visibility: 'ALL_USERS', apps: [] })).toBe('every instance that names it');
  });

  it('is in the navigation of full-access users, at /secrets', async () => {
    setup([secret({ name: 'openai' })]);
    renderApp('/secrets');
    expect(await screen.findByRole('heading', { name: 'Secrets', level: 1 })).toBeInTheDocument();
    expect(within(screen.getByRole('navigation', { name: 'Main' })).getByRole('link', { name: 'Secrets' })).toHaveAttribute('aria-current', 'page');
    expect(await rowOf('openai')).not.toBeNull();
  });

  it('tells a visitor that only full-access users keep secrets, without asking the API', async () => {
    const vic: SignedIn = { ...alice, user: { sub: 'sub-vic', name: 'vic', roles: ['visitor'] } };
    const gw = setup([], vic);
    renderApp('/secrets');
    expect(await screen.findByText(/Visitors cannot keep secrets/)).toBeInTheDocument();
    // the page has settled (the navigation of the whole app is there), and asked nothing about secrets
    expect(within(screen.getByRole('navigation', { name: 'Main' })).getAllByRole('link').map((a) => a.textContent)).toEqual(['Catalog', 'My instances']);
    expect(gw.requests('GET', '/api/v1/user-secrets')).toHaveLength(0);
  });
});
