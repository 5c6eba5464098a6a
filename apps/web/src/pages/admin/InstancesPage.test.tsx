import { screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it } from 'vitest';
import { error, FakeGateway, instance } from '../../test/fake-api';
import { AdminInstancesPage } from './InstancesPage';
import { renderPage } from './test-page';

const bob = { sub: 'svc:bob', name: 'bob' };
const all = [
  instance({ id: 'aaaaaaaaa1', appName: 'hello', status: 'RUNNING' }),
  instance({ id: 'aaaaaaaaa2', appName: 'dash', status: 'FAILED', statusReason: 'ModuleNotFoundError: no module named x', owner: bob }),
  instance({ id: 'aaaaaaaaa3', appName: 'hello', status: 'SUSPENDED', owner: bob }),
];

describe('the admin Instances tab', () => {
  it('lists every instance and filters by owner, app and status on the server', async () => {
    const user = userEvent.setup();
    const gw = new FakeGateway()
      .on('GET', /^\/api\/v1\/instances$/, ({ query }) => ({
        status: 200,
        body: {
          items: all
            .filter((i) => !query.get('user') || i.owner.sub === query.get('user'))
            .filter((i) => !query.get('appName') || i.appName === query.get('appName'))
            .filter((i) => !query.get('status') || i.status === query.get('status')),
          nextCursor: null,
        },
      }))
      .install();
    renderPage(<AdminInstancesPage />);
    const table = await screen.findByRole('table', { name: 'Every instance' });
    expect(table.querySelectorAll('tbody tr')).toHaveLength(3);
    expect(gw.seen[0]!.query.get('scope')).toBe('all');
    const failed = table.querySelector('tr[data-instance="aaaaaaaaa2"]') as HTMLElement;
    expect(failed).toHaveTextContent('ModuleNotFoundError');
    expect(within(failed).getByRole('link', { name: 'aaaaaaaaa2' })).toHaveAttribute('href', '/instances/aaaaaaaaa2');

    await user.type(screen.getByRole('textbox', { name: /Owner/ }), 'svc:bob');
    await waitFor(() => expect(screen.getByRole('table', { name: 'Every instance' }).querySelectorAll('tbody tr')).toHaveLength(2));
    await user.type(screen.getByRole('textbox', { name: /^App/ }), 'hello');
    await waitFor(() => expect(screen.getByRole('table', { name: 'Every instance' }).querySelectorAll('tbody tr')).toHaveLength(1));
    await user.click(screen.getByRole('textbox', { name: /Status/ }));
    await user.click(await screen.findByRole('option', { name: 'RUNNING' }));
    expect(await screen.findByText('No instance matches.')).toBeInTheDocument();
    const last = gw.requests('GET', '/api/v1/instances').at(-1)!.query;
    expect([last.get('scope'), last.get('user'), last.get('appName'), last.get('status')]).toEqual(['all', 'svc:bob', 'hello', 'RUNNING']);
  });

  it('reads the next page with the cursor the API gave', async () => {
    const user = userEvent.setup();
    const gw = new FakeGateway()
      .on('GET', /^\/api\/v1\/instances$/, ({ query }) => ({
        status: 200,
        body: query.get('cursor') === 'next' ? { items: [all[2]], nextCursor: null } : { items: all.slice(0, 2), nextCursor: 'next' },
      }))
      .install();
    renderPage(<AdminInstancesPage />);
    await screen.findByRole('table', { name: 'Every instance' });
    await user.click(screen.getByRole('button', { name: 'Show more instances' }));
    await waitFor(() => expect(screen.getByRole('table', { name: 'Every instance' }).querySelectorAll('tbody tr')).toHaveLength(3));
    expect(gw.requests('GET', '/api/v1/instances')[1]!.query.get('cursor')).toBe('next');
  });

  it('shows a refusal as a readable message', async () => {
    new FakeGateway().on('GET', /^\/api\/v1\/instances$/, () => error(403, 'FORBIDDEN', 'only admins list every instance (scope all)')).install();
    renderPage(<AdminInstancesPage />);
    const alert = await screen.findByRole('alert');
    expect(alert).toHaveTextContent('The instances could not be loaded');
    expect(alert).toHaveTextContent('only admins list every instance (scope all)');
  });
});
