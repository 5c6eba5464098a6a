import { screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it } from 'vitest';
import type { AuditEvent } from '../../api/admin-queries';
import { error, FakeGateway } from '../../test/fake-api';
import { AdminAuditPage, localToIso } from './AuditPage';
import { renderPage } from './test-page';

const event = (id: string, over: Partial<AuditEvent> = {}): AuditEvent => ({
  id,
  at: '2026-03-01T10:00:00.000Z',
  actor: { sub: 'svc:alice', name: 'alice', kind: 'token' },
  action: 'app.delete',
  target: 'hello@1.0.0',
  outcome: 'success',
  status: 200,
  requestId: `req-${id}`,
  ip: '10.0.0.1',
  details: null,
  ...over,
});

describe('the admin Audit log tab', () => {
  it('lists events newest first and filters them on the server', async () => {
    const user = userEvent.setup();
    const gw = new FakeGateway()
      .on('GET', /^\/api\/v1\/audit$/, ({ query }) => ({
        status: 200,
        body: { items: query.get('outcome') === 'denied' ? [event('e2', { outcome: 'denied', status: 403, actor: { sub: null, name: null, kind: 'anonymous' } })] : [event('e1')], nextCursor: null },
      }))
      .install();
    renderPage(<AdminAuditPage />);
    const table = await screen.findByRole('table', { name: 'Audit events' });
    expect(within(table.querySelector('tr[data-event="e1"]') as HTMLElement).getAllByRole('cell').map((c) => c.textContent)).toEqual([
      new Date('2026-03-01T10:00:00.000Z').toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' }),
      'alicetoken',
      'app.delete',
      'hello@1.0.0',
      'success (200)',
      '10.0.0.1req-e1',
    ]);
    const search = screen.getByRole('search', { name: 'Filter the audit log' });
    await user.type(within(search).getByRole('textbox', { name: /Actor/ }), 'alice');
    await user.type(within(search).getByRole('textbox', { name: /Action/ }), 'app.*');
    await user.type(within(search).getByRole('textbox', { name: 'Target' }), 'hello');
    await user.click(within(search).getByRole('textbox', { name: 'Outcome' }));
    await user.click(await screen.findByRole('option', { name: 'denied' }));
    await user.type(within(search).getByLabelText('Since'), '2026-03-01T09:30');
    // nothing is asked until the filters are applied
    expect(gw.requests('GET', '/api/v1/audit')).toHaveLength(1);
    await user.click(within(search).getByRole('button', { name: 'Apply filters' }));
    await waitFor(() => expect(document.querySelector('tr[data-event="e2"]')).not.toBeNull());
    expect(document.querySelector('tr[data-event="e2"]')).toHaveTextContent('anonymousanonymous');
    expect(document.querySelector('tr[data-event="e2"]')).toHaveTextContent('denied (403)');
    const q = gw.requests('GET', '/api/v1/audit').at(-1)!.query;
    expect(Object.fromEntries(q)).toEqual({ limit: '50', actor: 'alice', action: 'app.*', target: 'hello', outcome: 'denied', since: new Date('2026-03-01T09:30').toISOString() });
    await user.click(within(search).getByRole('button', { name: 'Clear' }));
    await waitFor(() => expect(Object.fromEntries(gw.requests('GET', '/api/v1/audit').at(-1)!.query)).toEqual({ limit: '50' }));
    expect(within(search).getByRole('textbox', { name: /Actor/ })).toHaveValue('');
  });

  it('reads older events with the cursor, and shows a bad filter as a readable message', async () => {
    const user = userEvent.setup();
    const gw = new FakeGateway()
      .on('GET', /^\/api\/v1\/audit$/, ({ query }) => {
        if (query.get('action')) return error(400, 'INVALID', 'invalid audit query', { problems: [{ path: 'action', message: 'only one * at the end' }] });
        return { status: 200, body: query.get('cursor') === 'older' ? { items: [event('e0')], nextCursor: null } : { items: [event('e1')], nextCursor: 'older' } };
      })
      .install();
    renderPage(<AdminAuditPage />);
    await user.click(await screen.findByRole('button', { name: 'Show more audit events' }));
    await waitFor(() => expect(screen.getByRole('table', { name: 'Audit events' }).querySelectorAll('tbody tr')).toHaveLength(2));
    expect(gw.requests('GET', '/api/v1/audit')[1]!.query.get('cursor')).toBe('older');
    await user.type(screen.getByRole('textbox', { name: /Action/ }), '*.*');
    await user.click(screen.getByRole('button', { name: 'Apply filters' }));
    const alert = await screen.findByRole('alert');
    expect(alert).toHaveTextContent('The audit events could not be loaded');
    expect(alert).toHaveTextContent('invalid audit query');
    expect(alert.textContent).not.toContain('{');
  });

  it('turns the local date-time of the inputs into an ISO time with an offset', () => {
    expect(localToIso('')).toBe('');
    expect(localToIso('nonsense')).toBe('');
    expect(localToIso('2026-03-01T09:30')).toBe(new Date(2026, 2, 1, 9, 30).toISOString());
  });
});
