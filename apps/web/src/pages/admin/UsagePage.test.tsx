import { screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it } from 'vitest';
import type { UserUsage } from '../../api/admin-queries';
import { error, FakeGateway } from '../../test/fake-api';
import { AdminUsagePage } from './UsagePage';
import { renderPage } from './test-page';

const full = { max: 10, setting: 'Scheduler.MaxInstancesFullAccess', reason: 'full-access users' };
const versions = { max: 5, setting: 'Repository.MaxVersionsPerUser', reason: 'full-access users' };

function usage(name: string, over: { live?: number; limit?: UserUsage['instances']['limit']; count?: number; roles?: UserUsage['user']['roles']; gpus?: number } = {}): UserUsage {
  return {
    user: { sub: `svc:${name}`, name, roles: over.roles === undefined ? ['full-access'] : over.roles },
    instances: { live: over.live ?? 0, limit: over.limit === undefined ? full : over.limit, memoryLimitBytes: (over.live ?? 0) * 512 * 1024 ** 2, memoryReservationBytes: 0, gpus: over.gpus ?? 0 },
    versions: { count: over.count ?? 0, limit: over.roles === null ? null : versions },
  };
}

const ceilings = { maxMemoryLimit: '4Gi', maxMemoryReservation: '2Gi', maxGpus: 2 };

describe('the admin Usage tab', () => {
  it("shows each user's live instances and versions against their limits, and where each limit comes from", async () => {
    new FakeGateway()
      .on('GET', /^\/api\/v1\/usage$/, () => ({
        status: 200,
        body: {
          items: [
            usage('admin', { roles: ['admin'], live: 3, limit: { max: null, setting: 'Scheduler.MaxInstancesAdmin', reason: 'admins' } }),
            usage('alice', { live: 10, count: 4, gpus: 1 }),
            usage('ghost', { roles: null, live: 1, limit: null }),
          ],
          nextCursor: null,
          ceilings,
        },
      }))
      .install();
    renderPage(<AdminUsagePage />);
    const table = await screen.findByRole('table', { name: 'Usage per user' });
    const cells = (sub: string) => within(table.querySelector(`tr[data-user="${sub}"]`) as HTMLElement).getAllByRole('cell');
    const alice = cells('svc:alice');
    expect(alice[0]).toHaveTextContent('alicesvc:alice');
    expect(alice[2]).toHaveTextContent('10 of 10full-access users · Scheduler.MaxInstancesFullAccess');
    expect(within(alice[2]!).getByRole('progressbar', { name: 'Live instances of alice: 10 of 10' })).toHaveAttribute('aria-valuenow', '100');
    expect(alice[3]).toHaveTextContent('5 GiB memory limit, 1 GPU');
    expect(alice[4]).toHaveTextContent('4 of 5full-access users · Repository.MaxVersionsPerUser');
    expect(cells('svc:admin')[2]).toHaveTextContent('3 (no limit)admins');
    expect(within(cells('svc:admin')[2]!).queryByRole('progressbar')).toBeNull();
    const ghost = cells('svc:ghost');
    expect(ghost[1]).toHaveTextContent('unknown');
    expect(ghost[2]).toHaveTextContent('1 (limit unknown: role not known)');
    expect(screen.getByTestId('ceilings')).toHaveTextContent('at most 4Gi of memory (2Gi reserved) and 2 GPUs');
  });

  it('finds users on the server as you type, and reads further pages on demand', async () => {
    const user = userEvent.setup();
    const gw = new FakeGateway()
      .on('GET', /^\/api\/v1\/usage$/, ({ query }) => {
        const q = query.get('q');
        if (q) return { status: 200, body: { items: [usage('bob')].filter((u) => u.user.name.includes(q)), nextCursor: null, ceilings } };
        return query.get('cursor') === 'p2'
          ? { status: 200, body: { items: [usage('carol')], nextCursor: null, ceilings } }
          : { status: 200, body: { items: [usage('alice'), usage('bob')], nextCursor: 'p2', ceilings } };
      })
      .install();
    renderPage(<AdminUsagePage />);
    const table = await screen.findByRole('table', { name: 'Usage per user' });
    await user.click(screen.getByRole('button', { name: 'Show more users' }));
    await waitFor(() => expect(table.querySelectorAll('tbody tr')).toHaveLength(3));
    expect(screen.queryByRole('button', { name: 'Show more users' })).toBeNull();
    expect(gw.requests('GET', '/api/v1/usage')[1]!.query.get('cursor')).toBe('p2');
    await user.type(screen.getByRole('textbox', { name: /Find a user/ }), 'bo');
    await waitFor(() => expect(screen.getByRole('table', { name: 'Usage per user' }).querySelectorAll('tbody tr')).toHaveLength(1));
    expect(gw.requests('GET', '/api/v1/usage').at(-1)!.query.get('q')).toBe('bo');
  });

  it('shows a refusal as a readable message', async () => {
    new FakeGateway().on('GET', /^\/api\/v1\/usage$/, () => error(503, 'UNAVAILABLE', 'the scheduler did not answer in time')).install();
    renderPage(<AdminUsagePage />);
    const alert = await screen.findByRole('alert');
    expect(alert).toHaveTextContent('The users could not be loaded');
    expect(alert).toHaveTextContent('the scheduler did not answer in time');
    expect(within(alert).getByRole('button', { name: 'Try again' })).toBeInTheDocument();
  });
});
