import { QueryClient } from '@tanstack/react-query';
import { screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { browser } from '../api/client';
import { catalogQuery, CATALOG_FIRST_PAGE, CATALOG_PAGE } from '../api/queries';
import { alice, appVersion, error, FakeGateway, gatewayWith, tag } from '../test/fake-api';
import { renderApp } from '../test/render';
import { CARDS_PER_PAGE, catalogFilterOf } from './CatalogPage';

const gpu = tag('gpu', 'GPU', '#ffd43b');
const certified = tag('certified', 'Certified', '#1c3d5a');

const apps = [
  appVersion({ name: 'hello', title: 'Hello', description: 'Says hello', categories: ['All', 'Data Science'], tags: [certified], hasIcon: true, createdAt: '2026-01-03T00:00:00.000Z' }),
  appVersion({ name: 'echo-ws', title: 'Echo', description: 'Echoes over a websocket', categories: ['Other'], tags: [gpu], createdAt: '2026-02-01T00:00:00.000Z' }),
  appVersion({ name: 'wheel-app', title: 'Wheel app', description: 'Installs from wheels', categories: ['Healthcare'], createdAt: '2026-03-01T00:00:00.000Z' }),
];

const cardTitles = () => within(screen.getByRole('list', { name: 'Apps' })).getAllByRole('heading', { level: 2 }).map((h) => h.textContent);

describe('the catalog', () => {
  beforeEach(() => {
    window.history.replaceState(null, '', '/');
  });

  it('shows a card per app: icon, title, short description, categories and tags in their colours', async () => {
    gatewayWith(apps, { tags: [gpu, certified] });
    renderApp('/');
    expect(await screen.findByRole('link', { name: 'Hello' })).toHaveAttribute('href', '/apps/hello');
    expect(cardTitles()).toEqual(['Echo', 'Hello', 'Wheel app']); // by name (the server's order)
    const hello = screen.getByRole('link', { name: 'Hello' }).closest('li')!;
    expect(within(hello).getByText('Says hello')).toBeInTheDocument();
    expect(within(hello).getByText('Data Science')).toBeInTheDocument();
    expect(within(hello).queryByText('All')).toBeNull(); // "All" says nothing on a card
    expect(hello.querySelector('img')).toHaveAttribute('src', `/api/v1/apps/${apps[0]!.id}/icon`);
    const badge = within(hello).getByText('Certified').closest('[data-tag]') as HTMLElement;
    expect(badge.style.backgroundColor).toBe('rgb(28, 61, 90)');
    expect(badge.style.color).toBe('rgb(255, 255, 255)'); // white on a dark tag
    const gpuBadge = within(screen.getByRole('link', { name: 'Echo' }).closest('li')!).getByText('GPU').closest('[data-tag]') as HTMLElement;
    expect(gpuBadge.style.color).toBe('rgb(0, 0, 0)'); // black on a light one
    expect(screen.getByTestId('catalog-count')).toHaveTextContent('3 apps');
    // the navigation, the user (a link to their page), and the way out
    const nav = screen.getByRole('navigation', { name: 'Main' });
    expect(within(nav).getAllByRole('link').map((a) => [a.textContent, a.getAttribute('href')])).toEqual([
      ['Catalog', '/'],
      ['My instances', '/instances'],
      ['Import', '/import'],
      ['Secrets', '/secrets'],
    ]);
    expect(within(nav).getByRole('link', { name: 'Catalog' })).toHaveAttribute('aria-current', 'page');
    expect(within(screen.getByRole('banner')).getByText('alice').closest('a')).toHaveAttribute('href', '/me');
    expect(screen.getByRole('button', { name: 'Sign out' })).toBeInTheDocument();
  });

  it('opens a LINK app\'s site from its card, and marks shared (MANAGED) apps', async () => {
    const base = apps[0]!;
    gatewayWith([
      appVersion({ name: 'wiki', title: 'Wiki', runtime: { ...base.runtime, lifecycle: 'LINK', linkAddress: 'https://wiki.example.com/start' } }),
      appVersion({ name: 'board', title: 'Board', runtime: { ...base.runtime, lifecycle: 'MANAGED' } }),
    ]);
    renderApp('/');
    const wiki = await screen.findByRole('link', { name: /^Wiki/ });
    expect(wiki).toHaveAttribute('href', 'https://wiki.example.com/start');
    expect(wiki).toHaveAttribute('target', '_blank');
    expect(wiki).toHaveTextContent('(opens wiki.example.com in a new tab)'); // said to screen readers, hidden from sight
    expect(within(wiki.closest('li')!).getByText('Link')).toBeInTheDocument();
    const board = screen.getByRole('link', { name: 'Board' });
    expect(board).toHaveAttribute('href', '/apps/board');
    expect(within(board.closest('li')!).getByText('Shared instance')).toBeInTheDocument();
  });

  it('offers an admin the Admin pages', async () => {
    gatewayWith(apps, { session: { ...alice, user: { sub: 'sub-admin', name: 'admin', roles: ['admin'] } } });
    renderApp('/');
    const nav = await screen.findByRole('navigation', { name: 'Main' });
    expect(within(nav).getAllByRole('link').map((a) => a.textContent)).toEqual(['Catalog', 'My instances', 'Import', 'Secrets', 'Admin']);
  });

  it('offers a visitor no Import and no Secrets', async () => {
    gatewayWith(apps, { session: { ...alice, user: { sub: 'sub-vic', name: 'vic', roles: ['visitor'] } } });
    renderApp('/');
    const nav = await screen.findByRole('navigation', { name: 'Main' });
    expect(within(nav).getAllByRole('link').map((a) => a.textContent)).toEqual(['Catalog', 'My instances']);
  });

  it('searches on the server as the user types, once typing pauses', async () => {
    const gw = gatewayWith(apps);
    renderApp('/');
    await screen.findByRole('link', { name: 'Hello' });
    await userEvent.type(screen.getByRole('searchbox', { name: 'Search' }), 'echo');
    await waitFor(() => expect(cardTitles()).toEqual(['Echo']));
    const searches = gw.requests('GET', '/api/v1/apps').map((r) => r.query.get('q'));
    expect(searches).toEqual([null, 'echo']); // not one request per key
    expect(screen.getByTestId('catalog-count')).toHaveTextContent('1 app found');
  });

  it('filters by category and tag (server filters, kept in the URL)', async () => {
    const gw = gatewayWith(apps, { tags: [gpu, certified] });
    renderApp('/?category=Healthcare');
    await waitFor(() => expect(cardTitles()).toEqual(['Wheel app']));
    expect(gw.requests('GET', '/api/v1/apps').at(-1)!.query.get('category')).toBe('Healthcare');
    expect(screen.getByRole('combobox', { name: 'Category' })).toHaveValue('Healthcare');
  });

  it('filters by tag from the tag list', async () => {
    const gw = gatewayWith(apps, { tags: [gpu, certified] });
    renderApp('/');
    await screen.findByRole('link', { name: 'Hello' });
    await userEvent.selectOptions(await screen.findByRole('combobox', { name: 'Tag' }), 'GPU');
    await waitFor(() => expect(cardTitles()).toEqual(['Echo']));
    expect(gw.requests('GET', '/api/v1/apps').at(-1)!.query.get('tag')).toBe('gpu');
  });

  it('sorts by name or newest first, in the order the server answers', async () => {
    const gw = gatewayWith(apps);
    renderApp('/');
    await screen.findByRole('link', { name: 'Hello' });
    expect(gw.requests('GET', '/api/v1/apps').map((r) => `${r.path}?${r.query}`)).toEqual([`/api/v1/apps?limit=${CATALOG_FIRST_PAGE}`]);
    await userEvent.click(screen.getByRole('radio', { name: 'Newest' }));
    await waitFor(() => expect(cardTitles()).toEqual(['Wheel app', 'Echo', 'Hello'])); // 2026-03-01, 2026-02-01, 2026-01-03
    expect(gw.requests('GET', '/api/v1/apps').at(-1)!.query.get('sort')).toBe('newest');
    await userEvent.click(screen.getByRole('radio', { name: 'Name' }));
    await waitFor(() => expect(cardTitles()).toEqual(['Echo', 'Hello', 'Wheel app']));
    expect(gw.requests('GET', '/api/v1/apps').every((r) => r.query.get('sort') !== 'name')).toBe(true);
  });

  it('shows the newest apps in the order the server gives, without sorting them again', async () => {
    const gw = gatewayWith(apps);
    // a server whose newest order is not the one createdAt would give: the page must keep it
    const answer = [apps[0]!, apps[2]!, apps[1]!];
    gw.on('GET', /^\/api\/v1\/apps$/, ({ query }) => ({ status: 200, body: { items: query.get('sort') === 'newest' ? answer : apps, nextCursor: null } }));
    renderApp('/?sort=newest');
    await waitFor(() => expect(cardTitles()).toEqual(['Hello', 'Wheel app', 'Echo']));
    expect(gw.requests('GET', '/api/v1/apps').map((r) => `${r.path}?${r.query}`)).toEqual([`/api/v1/apps?limit=${CATALOG_FIRST_PAGE}&sort=newest`]);
  });

  it('keeps 1 000 apps usable: shows the first, small page at once, reads the rest in pages of 200 behind it, shows cards in pages', async () => {
    const many = Array.from({ length: 1000 }, (_, i) => appVersion({ name: `app-${String(i).padStart(4, '0')}`, createdAt: new Date(Date.UTC(2026, 0, 1) + i * 60_000).toISOString() }));
    const gw = gatewayWith(many);
    let release!: () => void;
    const held = new Promise<void>((r) => (release = r));
    // the second page waits: the first cards must not
    gw.on('GET', /^\/api\/v1\/apps$/, async ({ query }) => {
      if (query.get('cursor') === String(CATALOG_FIRST_PAGE)) await held;
      const start = Number(query.get('cursor') ?? 0);
      const limit = Number(query.get('limit'));
      const ordered = query.get('sort') === 'newest' ? [...many].reverse() : many;
      return { status: 200, body: { items: ordered.slice(start, start + limit), nextCursor: start + limit < many.length ? String(start + limit) : null } };
    });
    renderApp('/');
    await screen.findByRole('link', { name: 'App-0000' });
    expect(screen.getByTestId('catalog-count')).toHaveTextContent(`${CATALOG_FIRST_PAGE}+ apps`);
    release();
    await waitFor(() => expect(screen.getByTestId('catalog-count')).toHaveTextContent('1000 apps'));
    expect(gw.requests('GET', '/api/v1/apps').map((r) => [r.query.get('limit'), r.query.get('cursor')])).toEqual([
      [String(CATALOG_FIRST_PAGE), null],
      ...[0, 1, 2, 3, 4].map((n) => [String(CATALOG_PAGE), String(CATALOG_FIRST_PAGE + n * CATALOG_PAGE)]),
    ]);
    expect(cardTitles()).toHaveLength(CARDS_PER_PAGE);
    await userEvent.click(screen.getByRole('button', { name: `Show more (${1000 - CARDS_PER_PAGE} more)` }));
    expect(cardTitles()).toHaveLength(2 * CARDS_PER_PAGE);
    await userEvent.click(screen.getByRole('radio', { name: 'Newest' }));
    await waitFor(() => expect(cardTitles()[0]).toBe('App-0999')); // the server's newest of all 1 000, not of the cards shown
    expect(gw.requests('GET', '/api/v1/apps').at(-1)!.query.get('sort')).toBe('newest');
    expect(cardTitles()).toHaveLength(CARDS_PER_PAGE);
  });

  it('says when nothing matches, and clears the filters', async () => {
    gatewayWith(apps);
    renderApp('/?q=nothing-like-this');
    expect(await screen.findByRole('heading', { name: 'No app matches' })).toBeInTheDocument();
    await userEvent.click(screen.getByRole('button', { name: 'Clear search and filters' }));
    await waitFor(() => expect(cardTitles()).toHaveLength(3));
  });

  it('says when the catalog is empty', async () => {
    gatewayWith([]);
    renderApp('/');
    expect(await screen.findByRole('heading', { name: 'No apps yet' })).toBeInTheDocument();
  });

  it('shows an API error as a readable message, never as JSON, and retries', async () => {
    let fail = true;
    const gw = gatewayWith(apps);
    gw.on('GET', /^\/api\/v1\/apps$/, () => (fail ? error(503, 'UNAVAILABLE', 'The repository is not answering') : { status: 200, body: { items: [apps[0]], nextCursor: null } }));
    renderApp('/');
    const alert = await screen.findByRole('alert');
    expect(alert).toHaveTextContent('The catalog could not be loaded');
    expect(alert).toHaveTextContent('The repository is not answering');
    expect(alert.textContent).not.toMatch(/[{}"]/);
    fail = false;
    await userEvent.click(within(alert).getByRole('button', { name: 'Try again' }));
    expect(await screen.findByRole('link', { name: 'Hello' })).toBeInTheDocument();
  });

  it('says so in words when the answer is not the API’s (a proxy’s 502 page)', async () => {
    const gw = gatewayWith(apps);
    gw.on('GET', /^\/api\/v1\/apps$/, () => ({ status: 502 }));
    renderApp('/');
    expect(await screen.findByRole('alert')).toHaveTextContent('The server could not be reached (bad gateway) (HTTP 502)');
  });

  it('sends an anonymous user to sign-in, to come back to the same page', async () => {
    const assign = vi.spyOn(browser, 'assign').mockImplementation(() => {});
    window.history.replaceState(null, '', '/?q=hello');
    gatewayWith(apps, { session: { authenticated: false, loginUrl: '/auth/login', loginConfigured: true } });
    renderApp('/?q=hello');
    await waitFor(() => expect(assign).toHaveBeenCalledWith('/auth/login?next=%2F%3Fq%3Dhello'));
    expect(screen.getByRole('button', { name: 'Sign in' })).toBeInTheDocument();
  });

  it('says sign-in is not configured rather than looping', async () => {
    const assign = vi.spyOn(browser, 'assign').mockImplementation(() => {});
    gatewayWith(apps, { session: { authenticated: false, loginUrl: '/auth/login', loginConfigured: false } });
    renderApp('/');
    expect(await screen.findByText(/Sign-in is not configured/)).toBeInTheDocument();
    expect(assign).not.toHaveBeenCalled();
  });

  it('sends the user through sign-in when the session ends (a 401 from the API)', async () => {
    const assign = vi.spyOn(browser, 'assign').mockImplementation(() => {});
    window.history.replaceState(null, '', '/?category=Other');
    const gw: FakeGateway = gatewayWith(apps);
    gw.on('GET', /^\/api\/v1\/apps$/, () => error(401, 'UNAUTHENTICATED', 'Sign in first'));
    renderApp('/?category=Other');
    await waitFor(() => expect(assign).toHaveBeenCalledWith('/auth/login?next=%2F%3Fcategory%3DOther'));
  });

  it('signs out with the CSRF token and follows the logout URL', async () => {
    const assign = vi.spyOn(browser, 'assign').mockImplementation(() => {});
    const gw = gatewayWith(apps);
    gw.on('POST', /^\/auth\/logout$/, () => ({ status: 200, body: { logoutUrl: 'http://idp.example/logout' } }));
    renderApp('/');
    await userEvent.click(await screen.findByRole('button', { name: 'Sign out' }));
    await waitFor(() => expect(assign).toHaveBeenCalledWith('http://idp.example/logout'));
    expect(gw.requests('POST', '/auth/logout')[0]!.headers.get('x-csrf-token')).toBe(alice.csrfToken);
  });

  it('reads the catalog beside the session when prefetched, and a 401 then does not leave the page (the page reads it again once signed in)', async () => {
    const assign = vi.spyOn(browser, 'assign').mockImplementation(() => {});
    new FakeGateway().on('GET', /^\/api\/v1\/apps$/, () => error(401, 'UNAUTHENTICATED', 'sign in first')).install();
    const qc = new QueryClient({ defaultOptions: { queries: { retry: false } } });
    await qc.prefetchQuery(catalogQuery(catalogFilterOf(new URLSearchParams('?q=%20hello%20&category=Retail&tag=x')), { prefetch: true }));
    expect(qc.getQueryState(['catalog', { q: 'hello', category: 'Retail', tag: 'x' }])?.status).toBe('error');
    expect(assign).not.toHaveBeenCalled();
    await qc.fetchQuery(catalogQuery({})).catch(() => undefined);
    expect(assign).toHaveBeenCalledWith(expect.stringMatching(/^\/auth\/login\?next=/));
  });
});
