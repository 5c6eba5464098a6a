import { MantineProvider } from '@mantine/core';
import { QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { render, screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { MemoryRouter } from 'react-router';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import type { Instance } from '../api/client';
import { alice, error, FakeGateway, instance } from '../test/fake-api';
import { FakeEventSource } from '../test/fake-events';
import { theme } from '../theme';
import { MyInstancesPage } from './MyInstancesPage';

/**
 * The live list against the REST API and the event stream at the network boundary: fetch is the
 * fake gateway, EventSource a fake that the test feeds with the events GET /api/v1/events sends.
 */
const bob = { sub: 'sub-bob', name: 'bob' };

function setup(mine: Instance[], ofMyApps: Instance[] = []) {
  const gateway = new FakeGateway()
    .on('GET', /^\/auth\/session$/, () => ({ status: 200, body: alice }))
    .on('GET', /^\/api\/v1\/instances$/, ({ query }) => ({ status: 200, body: { items: query.get('scope') === 'app-owner' ? ofMyApps : mine, nextCursor: null } }))
    .install();
  const client = new QueryClient({ defaultOptions: { queries: { retry: false } } });
  render(
    <MantineProvider {...theme} env="test">
      <QueryClientProvider client={client}>
        <MemoryRouter>
          <MyInstancesPage session={alice} />
        </MemoryRouter>
      </QueryClientProvider>
    </MantineProvider>,
  );
  return { gateway, client };
}

const row = (id: string) => document.querySelector(`tr[data-instance="${id}"]`) as HTMLElement;

describe('my instances', () => {
  beforeEach(() => {
    FakeEventSource.open = [];
    vi.stubGlobal('EventSource', FakeEventSource);
  });

  it('follows a starting instance live from the event stream, without reading the list again', async () => {
    const starting = instance({ id: 'inst000001', status: 'PROVISIONING', statusReason: 'Creating the pod' });
    const { gateway } = setup([starting]);
    expect(await screen.findByText('Creating the pod')).toBeInTheDocument();
    const [source] = FakeEventSource.open;
    expect([source!.url, source!.init?.withCredentials]).toEqual(['/api/v1/events', true]);
    source!.emit('open');

    source!.emit('instance', { ...starting, status: 'INSTALLING', statusReason: 'Installing 3 wheels' });
    expect(await screen.findByText('Installing 3 wheels')).toBeInTheDocument();
    source!.emit('instance', { ...starting, status: 'RUNNING', statusReason: null });
    expect(await within(row('inst000001')).findByRole('link', { name: 'Open hello inst000001' })).toHaveAttribute('href', starting.url);
    expect(within(row('inst000001')).getByTestId('instance-status')).toHaveTextContent('RUNNING');

    // an instance started elsewhere (another tab, the CLI) appears; someone else's does not
    source!.emit('instance', instance({ id: 'inst000002', appName: 'other', status: 'QUEUED' }));
    source!.emit('instance', instance({ id: 'inst000003', owner: bob, appName: 'bobs', status: 'RUNNING', visibility: 'ALL_USERS' }));
    expect(await screen.findByText('other 1.0.0')).toBeInTheDocument();
    expect(screen.queryByText('bobs 1.0.0')).not.toBeInTheDocument();
    // terminated and no-longer-visible instances leave the list
    source!.emit('instance', { ...starting, status: 'TERMINATED' });
    source!.emit('gone', { id: 'inst000002' });
    await waitFor(() => expect(screen.getByText('You have no instances.', { exact: false })).toBeInTheDocument());
    expect(gateway.requests('GET', '/api/v1/instances')).toHaveLength(1);

    // a reconnect reads the list again (events sent meanwhile are not replayed)
    source!.emit('open');
    await waitFor(() => expect(gateway.requests('GET', '/api/v1/instances')).toHaveLength(2));
  });

  it('suspends, shows why a resume was refused, and terminates only after confirming', async () => {
    const running = instance({ id: 'inst000010', status: 'RUNNING' });
    const { gateway } = setup([running]);
    gateway
      .on('POST', /^\/api\/v1\/instances\/([^/]+)\/suspend$/, () => ({ status: 200, body: { ...running, status: 'SUSPENDED' } }))
      .on('POST', /^\/api\/v1\/instances\/([^/]+)\/resume$/, () => error(429, 'LIMIT_EXCEEDED', 'you have 5 running instances, the most Scheduler.MaxInstancesPerUser allows'))
      .on('DELETE', /^\/api\/v1\/instances\/([^/]+)$/, () => ({ status: 200, body: { ...running, status: 'TERMINATED' } }));
    await userEvent.click(await screen.findByRole('button', { name: 'Suspend inst000010' }));
    await waitFor(() => expect(within(row('inst000010')).getByTestId('instance-status')).toHaveTextContent('SUSPENDED'));

    await userEvent.click(screen.getByRole('button', { name: 'Resume inst000010' }));
    expect(await screen.findByRole('alert')).toHaveTextContent('you have 5 running instances');

    await userEvent.click(screen.getByRole('button', { name: 'Terminate inst000010' }));
    const dialog = await screen.findByRole('dialog');
    expect(gateway.requests('DELETE', /instances/)).toHaveLength(0);
    await userEvent.click(within(dialog).getByRole('button', { name: 'Terminate' }));
    await waitFor(() => expect(screen.getByText('You have no instances.', { exact: false })).toBeInTheDocument());
    expect(gateway.requests('POST', /suspend$/)).toHaveLength(1);
  });

  it("shows the instances of the caller's apps, with their owners and no lifecycle buttons", async () => {
    setup([], [instance({ id: 'inst000020', owner: bob, status: 'RUNNING' })]);
    expect(await screen.findByText('You have no instances.', { exact: false })).toBeInTheDocument();
    await userEvent.click(screen.getByText('Of my apps'));
    expect(await screen.findByRole('heading', { name: 'Instances of my apps' })).toBeInTheDocument();
    const r = await waitFor(() => row('inst000020'));
    expect(within(r).getByText('bob')).toBeInTheDocument();
    expect(within(r).queryByRole('button', { name: /Suspend|Terminate/ })).not.toBeInTheDocument();
  });

  it('closes the stream when the sign-in ends', async () => {
    setup([]);
    await screen.findByText('You have no instances.', { exact: false });
    const [source] = FakeEventSource.open;
    expect(source!.closed).toBe(false);
    source!.emit('end', { code: 'UNAUTHENTICATED', message: 'the session ended' });
    expect(source!.closed).toBe(true);
  });
});
