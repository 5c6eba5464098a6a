import { screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it } from 'vitest';
import { alice, FakeGateway, runtime } from '../../test/fake-api';
import { AdminRoutes } from './routes';
import { admin, renderPage } from './test-page';

const empty = { status: 200, body: { items: [], nextCursor: null } };

function gateway() {
  return new FakeGateway()
    .on('GET', /^\/api\/v1\/usage$/, () => ({ status: 200, body: { items: [], nextCursor: null, ceilings: { maxMemoryLimit: '4Gi', maxMemoryReservation: '2Gi', maxGpus: 0 } } }))
    .on('GET', /^\/api\/v1\/instances$/, () => empty)
    .on('GET', /^\/api\/v1\/runtimes$/, () => ({ status: 200, body: { items: [runtime('python-3.12', 'ACTIVE', { default: true })], nextCursor: null } }))
    .install();
}

describe('the admin pages', () => {
  it('tell anyone but an admin that they are for admins only, without asking the API', async () => {
    const gw = gateway();
    renderPage(<AdminRoutes session={alice} />, { path: '/admin/usage', route: '/admin/*' });
    expect(screen.getByRole('heading', { level: 1, name: 'Admins only' })).toBeInTheDocument();
    expect(screen.getByRole('link', { name: 'Go to the catalog' })).toHaveAttribute('href', '/');
    expect(gw.seen).toHaveLength(0);
  });

  it('open on the first tab, and move between tabs with the keyboard', async () => {
    const user = userEvent.setup();
    const gw = gateway();
    renderPage(<AdminRoutes session={admin} />, { path: '/admin', route: '/admin/*' });
    const tabs = await screen.findByRole('tablist', { name: 'Administration' });
    expect(within(tabs).getAllByRole('tab').map((t) => t.textContent)).toEqual(['Usage', 'Instances', 'Runtimes', 'Aliases', 'Secrets', 'Tags', 'Tokens', 'Audit log']);
    expect(within(tabs).getByRole('tab', { name: 'Usage', selected: true })).toBeInTheDocument();
    expect(await screen.findByRole('heading', { level: 2, name: 'Usage' })).toBeInTheDocument();
    within(tabs).getByRole('tab', { name: 'Usage' }).focus();
    await user.keyboard('{ArrowRight}');
    expect(within(tabs).getByRole('tab', { name: 'Instances', selected: true })).toHaveFocus();
    expect(await screen.findByRole('heading', { level: 2, name: 'Instances' })).toBeInTheDocument();
    await waitFor(() => expect(gw.requests('GET', '/api/v1/instances')[0]?.query.get('scope')).toBe('all'));
    await user.keyboard('{ArrowRight}');
    expect(await screen.findByRole('table', { name: 'Runtimes' })).toHaveTextContent('python-3.12default');
  });

  it('say so when the tab does not exist', async () => {
    gateway();
    renderPage(<AdminRoutes session={admin} />, { path: '/admin/nope', route: '/admin/*' });
    expect(await screen.findByRole('alert')).toHaveTextContent('There is no admin page “nope”.');
    expect(screen.getByRole('link', { name: 'Go to Usage' })).toHaveAttribute('href', '/admin/usage');
  });
});
