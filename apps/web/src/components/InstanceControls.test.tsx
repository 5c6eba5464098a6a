import { MantineProvider } from '@mantine/core';
import { QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { render, screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { MemoryRouter, Route, Routes } from 'react-router';
import { describe, expect, it } from 'vitest';
import type { Instance } from '../api/client';
import { alice, appVersion, error, FakeGateway, instance, runtime } from '../test/fake-api';
import { theme } from '../theme';
import { InstanceControls } from './InstanceControls';

const v1 = appVersion({ name: 'hello', version: '1.0.0' });
const v2 = appVersion({ name: 'hello', version: '2.0.0' });

function setup(i: Instance, admin = false) {
  const gateway = new FakeGateway()
    .on('GET', /^\/api\/v1\/apps\/hello\/versions$/, () => ({ status: 200, body: { items: [v2, v1], nextCursor: null } }))
    .on('GET', /^\/api\/v1\/runtimes$/, () => ({
      status: 200,
      body: { items: [runtime('python-3.11', 'ACTIVE', { default: true }), runtime('python-3.12', 'DEPRECATED', { stateReason: 'use 3.13' }), runtime('python-3.8', 'DISABLED')], nextCursor: null },
    }))
    .install();
  const client = new QueryClient({ defaultOptions: { queries: { retry: false } } });
  const tree = (shown: Instance) => (
    <MantineProvider {...theme} env="test">
      <QueryClientProvider client={client}>
        <MemoryRouter initialEntries={['/instances/x']}>
          <Routes>
            <Route path="instances/x" element={<InstanceControls instance={shown} me={alice.user.sub} admin={admin} />} />
            <Route path="instances" element={<p>the instances list</p>} />
          </Routes>
        </MemoryRouter>
      </QueryClientProvider>
    </MantineProvider>
  );
  const view = render(tree(i));
  /** the same controls, given the instance as the page's events stream updates it */
  return Object.assign(gateway, { rerender: (shown: Instance) => view.rerender(tree(shown)) });
}

describe('instance controls', () => {
  const running = instance({ id: 'inst000001', appVersionId: v1.id, appVersion: '1.0.0', runtime: 'python-3.11', status: 'RUNNING' });

  it('upgrades to another version explicitly, sending only what changed, and warns of a deprecated runtime', async () => {
    const gateway = setup(running).on('POST', /^\/api\/v1\/instances\/inst000001\/upgrade$/, ({ body }) => ({
      status: 200,
      body: { ...running, appVersionId: (body as { appVersionId: string }).appVersionId, appVersion: '2.0.0', status: 'PROVISIONING' },
    }));
    const submit = screen.getByRole('button', { name: 'Upgrade and restart' });
    expect(submit).toBeDisabled();
    await userEvent.click(await screen.findByRole('textbox', { name: 'Version' }));
    await userEvent.click(await screen.findByRole('option', { name: '2.0.0' }));
    await userEvent.click(screen.getByRole('textbox', { name: 'Runtime' }));
    expect(screen.queryByRole('option', { name: /python-3.8/ })).not.toBeInTheDocument(); // DISABLED: not offered
    await userEvent.click(screen.getByRole('option', { name: 'python-3.12 — deprecated' }));
    expect(await screen.findByText(/python-3.12 is deprecated: use 3.13/)).toBeInTheDocument();
    await userEvent.click(screen.getByRole('textbox', { name: 'Runtime' }));
    await userEvent.click(screen.getByRole('option', { name: 'python-3.11 (running now)' }));
    await userEvent.click(submit);
    await waitFor(() => expect(gateway.requests('POST', /upgrade$/)).toHaveLength(1));
    expect(gateway.requests('POST', /upgrade$/)[0]!.body).toEqual({ appVersionId: v2.id });
  });

  it("keeps a keyboard user's place after an upgrade: the focus goes to the sentence saying it was done", async () => {
    const upgraded = { ...running, appVersionId: v2.id, appVersion: '2.0.0', status: 'PROVISIONING' as const };
    const gateway = setup(running).on('POST', /^\/api\/v1\/instances\/inst000001\/upgrade$/, () => ({ status: 200, body: upgraded }));
    await userEvent.click(await screen.findByRole('textbox', { name: 'Version' }));
    await userEvent.click(await screen.findByRole('option', { name: '2.0.0' }));
    screen.getByRole('button', { name: 'Upgrade and restart' }).focus();
    await userEvent.keyboard('{Enter}');
    await waitFor(() => expect(gateway.requests('POST', /upgrade$/)).toHaveLength(1));
    // the page's events stream brings the instance on its new version: nothing left to upgrade, the button is disabled
    gateway.rerender(upgraded);
    expect(screen.getByRole('button', { name: 'Upgrade and restart' })).toBeDisabled();
    const said = await screen.findByText(/Upgraded: the instance restarts with 2\.0\.0/);
    await waitFor(() => expect(said).toHaveFocus());
  });

  it('changes the visibility, and shows a refusal readably', async () => {
    const gateway = setup(running).on('PATCH', /^\/api\/v1\/instances\/inst000001$/, () => error(403, 'FORBIDDEN', 'PUBLIC instances are not allowed on this platform (Platform.AllowPublic)'));
    await userEvent.click(screen.getByText('Public'));
    expect(await screen.findByRole('alert')).toHaveTextContent('PUBLIC instances are not allowed on this platform');
    expect(gateway.requests('PATCH', /instances/)[0]!.body).toEqual({ visibility: 'PUBLIC' });
  });

  it('terminates after confirming, then goes to the instances list', async () => {
    setup(running).on('DELETE', /^\/api\/v1\/instances\/inst000001$/, () => ({ status: 200, body: { ...running, status: 'TERMINATED' } }));
    await userEvent.click(screen.getByRole('button', { name: 'Terminate' }));
    const dialog = await screen.findByRole('dialog');
    // the theme names every dialog's close button and turns off the scroll lock (its <style> breaks the CSP)
    expect(within(dialog).getByRole('button', { name: 'Close' })).toBeInTheDocument();
    expect(document.querySelectorAll('style[data-mantine-styles], style')).toHaveLength(0);
    // the safe choice has the focus: Enter at once cancels
    await waitFor(() => expect(within(dialog).getByRole('button', { name: 'Cancel' })).toHaveFocus());
    await userEvent.click(within(dialog).getByRole('button', { name: 'Terminate' }));
    expect(await screen.findByText('the instances list')).toBeInTheDocument();
  });

  it('offers Resume, not Suspend, for a suspended instance', async () => {
    setup({ ...running, status: 'SUSPENDED' });
    expect(await screen.findByRole('button', { name: 'Resume' })).toBeInTheDocument();
    expect(screen.queryByRole('button', { name: 'Suspend' })).not.toBeInTheDocument();
  });

  it('lets admins turn idle suspension off and on, saying what it means', async () => {
    const off = { ...running, idle: { timeoutMinutes: null, disabledByAdmin: true, keepAliveUntil: null } };
    const gateway = setup(running, true).on('PATCH', /^\/api\/v1\/instances\/inst000001$/, () => ({ status: 200, body: off }));
    const toggle = screen.getByRole('switch', { name: 'Suspend when idle' });
    expect(toggle).toBeChecked();
    expect(screen.getByText(/Suspended after 60 min without traffic/)).toBeInTheDocument();
    await userEvent.click(toggle);
    await waitFor(() => expect(gateway.requests('PATCH', /instances/)).toHaveLength(1));
    expect(gateway.requests('PATCH', /instances/)[0]!.body).toEqual({ idleSuspend: false });
    gateway.rerender(off);
    expect(screen.getByRole('switch', { name: 'Suspend when idle' })).not.toBeChecked();
    expect(screen.getByText(/An admin turned idle suspension off/)).toBeInTheDocument();
  });

  it('shows no idle switch to owners who are not admins', () => {
    setup(running);
    expect(screen.queryByRole('switch', { name: 'Suspend when idle' })).not.toBeInTheDocument();
  });
});
