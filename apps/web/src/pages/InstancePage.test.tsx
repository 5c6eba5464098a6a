import { MantineProvider } from '@mantine/core';
import { QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { render, screen, waitFor } from '@testing-library/react';
import { MemoryRouter, Route, Routes } from 'react-router';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import type { Instance, SignedIn } from '../api/client';
import { alice, FakeGateway, instance } from '../test/fake-api';
import { FakeEventSource } from '../test/fake-events';
import { theme } from '../theme';
import { InstancePage } from './InstancePage';

const bob: SignedIn = { ...alice, user: { ...alice.user, sub: 'sub-bob', name: 'bob' } };

/** The instance page against the REST API and the event stream at the network boundary. */
function setup(i: Instance, session: SignedIn = alice) {
  const gateway = new FakeGateway()
    .on('GET', /^\/api\/v1\/instances\/[a-z0-9]+$/, () => ({ status: 200, body: i }))
    .on('GET', /^\/api\/v1\/instances\/[a-z0-9]+\/logs$/, () => ({ status: 200, body: 'hello: listening on port 8080' }))
    .on('GET', /^\/api\/v1\/(apps\/[^/]+\/versions|runtimes)$/, () => ({ status: 200, body: { items: [], nextCursor: null } }))
    .install();
  const client = new QueryClient({ defaultOptions: { queries: { retry: false } } });
  render(
    <MantineProvider {...theme} env="test">
      <QueryClientProvider client={client}>
        <MemoryRouter initialEntries={[`/instances/${i.id}`]}>
          <Routes>
            <Route path="/instances/:id" element={<InstancePage session={session} />} />
          </Routes>
        </MemoryRouter>
      </QueryClientProvider>
    </MantineProvider>,
  );
  return gateway;
}

describe('the instance page', () => {
  beforeEach(() => {
    FakeEventSource.open = [];
    vi.stubGlobal('EventSource', FakeEventSource);
  });

  it("shows its owner the logs, follows them again once it runs, and offers Open only then", async () => {
    const starting = instance({ status: 'PROVISIONING' });
    const gateway = setup(starting);
    expect(await screen.findByRole('region', { name: 'Logs' })).toBeInTheDocument();
    // not running: a disabled button, not a link that goes nowhere
    expect(screen.getByRole('button', { name: 'Open' })).toBeDisabled();
    expect(screen.queryByRole('link', { name: 'Open' })).not.toBeInTheDocument();
    await waitFor(() => expect(gateway.requests('GET', `/api/v1/instances/${starting.id}/logs`)).toHaveLength(1));

    const [source] = FakeEventSource.open;
    expect(source!.url).toBe(`/api/v1/events?instance=${starting.id}`);
    source!.emit('instance', { ...starting, status: 'RUNNING' });
    expect(await screen.findByRole('link', { name: 'Open' })).toHaveAttribute('href', starting.url);
    // the stream of the run that starts now: followed from its beginning
    await waitFor(() => expect(gateway.requests('GET', `/api/v1/instances/${starting.id}/logs`)).toHaveLength(2));
    expect(gateway.requests('GET', `/api/v1/instances/${starting.id}/logs`)[1]!.query.get('follow')).toBe('1');
    expect(gateway.requests('GET', `/api/v1/instances/${starting.id}`)).toHaveLength(1);
  });

  it('shows no logs nor controls to someone who may open a shared instance but not read its logs', async () => {
    const shared = instance({ status: 'RUNNING', visibility: 'ALL_USERS' });
    const gateway = setup(shared, bob);
    expect(await screen.findByRole('link', { name: 'Open' })).toHaveAttribute('href', shared.url);
    expect(screen.queryByRole('region', { name: 'Logs' })).not.toBeInTheDocument();
    expect(screen.queryByRole('button', { name: 'Terminate' })).not.toBeInTheDocument();
    expect(gateway.requests('GET', `/api/v1/instances/${shared.id}/logs`)).toHaveLength(0);
  });

  it('says why it was suspended and when it would be suspended for idleness, and offers admins the switch, not owners', async () => {
    const idle = instance({ status: 'SUSPENDED', statusReason: 'idle for 30 min', idle: { timeoutMinutes: 30, disabledByAdmin: false, keepAliveUntil: null } });
    setup(idle);
    expect(await screen.findByTestId('status-reason')).toHaveTextContent('Suspended: idle for 30 min');
    expect(screen.getByText(/Suspended after 30 min without traffic/)).toBeInTheDocument();
    expect(screen.queryByRole('switch', { name: 'Suspend when idle' })).not.toBeInTheDocument();
  });

  it("shows an app's keep-alive lease while it lasts", async () => {
    const until = new Date(Date.now() + 3600_000).toISOString();
    setup(instance({ status: 'RUNNING', idle: { timeoutMinutes: 30, disabledByAdmin: false, keepAliveUntil: until } }));
    expect(await screen.findByText(/The app keeps it running until/)).toBeInTheDocument();
  });

  it('shows the URLs of its aliases, the primary one (its address) marked, and opens it there', async () => {
    const shop = 'http://shop.apps.localhost:8081';
    setup(
      instance({
        status: 'RUNNING',
        url: shop,
        primaryAlias: 'shop',
        aliases: [
          { name: 'shop', url: shop, primary: true },
          { name: 'docs', url: 'http://docs.apps.localhost:8081', primary: false },
        ],
      }),
    );
    const list = await screen.findByRole('list', { name: 'Aliases' });
    expect(list).toHaveTextContent(`${shop} (primary: the instance’s other addresses lead here)http://docs.apps.localhost:8081`);
    expect(screen.getByRole('link', { name: 'Open' })).toHaveAttribute('href', shop);
  });

  it('shows no aliases when it has none', async () => {
    setup(instance({ status: 'RUNNING' }));
    expect(await screen.findByText('Address')).toBeInTheDocument();
    expect(screen.queryByRole('list', { name: 'Aliases' })).toBeNull();
  });

  it('says an instance served under a path shares the apps host, and opens it at that path', async () => {
    const url = 'http://apps.localhost:8081/instance/abcde12345/';
    setup(instance({ status: 'RUNNING', url, routingMode: 'BASE_URL', basePath: '/instance/abcde12345/' }));
    expect(await screen.findByTestId('base-path-note')).toHaveTextContent('Served under the path /instance/abcde12345/ of the apps host, a host it shares with the other instances served under a path.');
    expect(screen.getByText(url)).toBeInTheDocument();
    expect(screen.getByRole('link', { name: 'Open' })).toHaveAttribute('href', url);
  });

  it('adds no shared-host note for an instance at its own host', async () => {
    setup(instance({ status: 'RUNNING' }));
    expect(await screen.findByText('http://abcde12345.apps.localhost:8081')).toBeInTheDocument();
    expect(screen.queryByTestId('base-path-note')).toBeNull();
  });
});
