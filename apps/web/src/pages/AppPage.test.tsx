import { screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { beforeEach, describe, expect, it } from 'vitest';
import type { AppVersion } from '../api/client';
import { alice, appVersion, error, gatewayWith, instance, runtime, tag } from '../test/fake-api';
import { renderApp } from '../test/render';

const LONG = `# Hello app

Says **hello** to [the docs](https://example.com/docs).

<script>window.pwned = true</script>
<img src="x" onerror="window.pwned = true">

[click me](javascript:window.pwned=true)
`;

function gatewayFor(app: AppVersion, versions: AppVersion[] = [app], opts: { session?: typeof alice } = {}) {
  return gatewayWith([app], { session: opts.session })
    .on('GET', /^\/api\/v1\/apps\/([^/]+)$/, (_r, m) => {
      const ref = decodeURIComponent(m[1]!);
      const found = versions.find((v) => v.id === ref || v.name === ref || `${v.name}@${v.version}` === ref);
      return found ? { status: 200, body: found } : error(404, 'NOT_FOUND', `app ${ref} not found`);
    })
    .on('GET', /^\/api\/v1\/apps\/([^/]+)\/versions$/, () => ({ status: 200, body: { items: versions, nextCursor: null } }))
    .on('GET', /^\/api\/v1\/runtimes$/, () => ({
      status: 200,
      body: {
        items: [
          runtime('python-3.12', 'ACTIVE', { default: true }),
          runtime('python-3.10', 'DEPRECATED', { stateReason: 'end of life in June' }),
          runtime('python-3.8', 'DISABLED', { stateReason: 'unsafe' }),
        ],
        nextCursor: null,
      },
    }));
}

describe('the app page', () => {
  beforeEach(() => window.history.replaceState(null, '', '/'));

  const hello = appVersion({
    name: 'hello',
    version: '1.2.0',
    title: 'Hello',
    description: 'Says hello',
    longDescription: LONG,
    screenshotCount: 2,
    tags: [tag('certified', 'Certified', '#1c3d5a')],
    runtime: { module: 'hello_app', runtimeVersion: null, memoryLimit: '512Mi', memoryReservation: '256Mi', volumeMount: '/data', volumeSize: '1Gi', gpuCount: 0, gpuType: null, instanceTimeoutMinutes: null, lifecycle: 'ON_DEMAND', linkAddress: null, routingMode: null },
    createdAt: '2026-03-04T10:00:00.000Z',
  });
  const older = appVersion({ name: 'hello', version: '1.1.0', title: 'Hello', owner: { sub: 'sub-bob', name: 'bob' }, createdAt: '2025-12-24T10:00:00.000Z', visibility: 'ALL_USERS' });

  it('renders the long description as markdown, without running or showing its HTML', async () => {
    gatewayFor(hello);
    renderApp('/apps/hello');
    expect(await screen.findByRole('heading', { level: 1, name: 'Hello' })).toBeInTheDocument();
    const about = screen.getByRole('region', { name: 'About' });
    expect(within(about).getByRole('heading', { name: 'Hello app' })).toBeInTheDocument();
    expect(within(about).getByText('hello').tagName).toBe('STRONG');
    expect(within(about).getByRole('link', { name: 'the docs' })).toHaveAttribute('href', 'https://example.com/docs');
    expect(about.querySelector('script, [onerror]')).toBeNull();
    expect(about.innerHTML).not.toContain('<img');
    expect(within(about).getByText('click me').getAttribute('href') ?? '').not.toMatch(/javascript/i);
    expect((window as { pwned?: boolean }).pwned).toBeUndefined();
  });

  it('shows screenshots, runtime and resources, the bundle download and every version with its date and owner', async () => {
    gatewayFor(hello, [hello, older]);
    renderApp('/apps/hello');
    await screen.findByRole('heading', { level: 1, name: 'Hello' });
    const shots = within(screen.getByRole('region', { name: 'Screenshots' })).getAllByRole('img');
    expect(shots.map((i) => i.getAttribute('src'))).toEqual([`/api/v1/apps/${hello.id}/screenshots/0`, `/api/v1/apps/${hello.id}/screenshots/1`]);
    expect(shots[0]).toHaveAccessibleName('Screenshot 1 of 2 of Hello');
    const runtimePanel = screen.getByRole('region', { name: 'Runtime and resources' });
    expect(runtimePanel).toHaveTextContent('hello_app');
    expect(runtimePanel).toHaveTextContent('256Mi reserved, 512Mi limit');
    expect(runtimePanel).toHaveTextContent('1Gi at /data');
    // app.toml sets no RoutingMode: the platform's applies, and nothing is said
    expect(within(runtimePanel).queryByText('Routing')).toBeNull();
    expect(within(runtimePanel).getByRole('link', { name: 'Download (2 KiB)' })).toHaveAttribute('href', `/api/v1/apps/${hello.id}/bundle`);
    const rows = within(await screen.findByRole('table', { name: 'Versions' })).getAllByRole('row').slice(1);
    expect(rows.map((r) => within(r).getAllByRole('cell').map((c) => c.textContent))).toEqual([
      ['1.2.0 (this one)', new Date(hello.createdAt).toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' }), 'alice', 'Private'],
      ['1.1.0', new Date(older.createdAt).toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' }), 'bob', 'All users'],
    ]);
    expect(within(rows[1]!).getByRole('link', { name: '1.1.0' })).toHaveAttribute('href', '/apps/hello%401.1.0');
  });

  it('shows the routing mode when the version sets one', async () => {
    gatewayFor({ ...hello, runtime: { ...hello.runtime, routingMode: 'BASE_URL' } });
    renderApp('/apps/hello');
    const runtimePanel = await screen.findByRole('region', { name: 'Runtime and resources' });
    expect(within(runtimePanel).getByText('Routing').nextElementSibling).toHaveTextContent('BASE_URL: each instance under /instance/<id>/ on the shared apps host');
  });

  it('runs the app: visibility and runtime chosen, deprecated runtimes warned, disabled ones not offered; then shows the instance', async () => {
    const gw = gatewayFor(hello);
    gw.on('POST', /^\/api\/v1\/apps\/([^/]+)\/instances$/, () => ({ status: 201, body: instance({ appName: 'hello', appVersion: '1.2.0', runtime: 'python-3.10', visibility: 'ALL_USERS' }) }));
    gw.on('GET', /^\/api\/v1\/instances\/abcde12345$/, () => ({ status: 200, body: instance({ status: 'RUNNING', runtime: 'python-3.10' }) }));
    renderApp('/apps/hello');
    const run = await screen.findByRole('region', { name: 'Run' });
    const select = await within(run).findByRole('textbox', { name: 'Runtime' });
    expect(select).toHaveValue('python-3.12 (default)');
    await userEvent.click(select);
    const options = screen.getAllByRole('option').map((o) => o.textContent);
    expect(options).toEqual(['python-3.12 (default)', 'python-3.10 — deprecated']);
    await userEvent.click(screen.getByRole('option', { name: 'python-3.10 — deprecated' }));
    expect(within(run).getByRole('status')).toHaveTextContent('python-3.10 is deprecated: end of life in June');
    await userEvent.click(within(run).getByRole('radio', { name: /All users/ }));
    await userEvent.click(within(run).getByRole('button', { name: 'Run Hello' }));
    expect(await screen.findByTestId('instance-created')).toHaveTextContent('Instance abcde12345 created.');
    const [post] = gw.requests('POST', `/api/v1/apps/${hello.id}/instances`);
    expect(post!.body).toEqual({ visibility: 'ALL_USERS', runtime: 'python-3.10' });
    expect(post!.headers.get('x-csrf-token')).toBe(alice.csrfToken);
    await waitFor(() => expect(screen.getByTestId('instance-status')).toHaveTextContent('RUNNING'));
    expect(screen.getByRole('link', { name: 'Open' })).toHaveAttribute('href', 'http://abcde12345.apps.localhost:8081');
  });

  it('opens the shared instance of a MANAGED app (no visibility to choose), and says who starts it when it is not running', async () => {
    const board = appVersion({ name: 'board', version: '1.0.0', title: 'Board', owner: { sub: 'sub-bob', name: 'bob' }, runtime: { ...hello.runtime, lifecycle: 'MANAGED' } });
    const gw = gatewayFor(board);
    let running = false;
    gw.on('POST', /^\/api\/v1\/apps\/([^/]+)\/instances$/, () =>
      running
        ? { status: 201, body: instance({ id: 'shared0001', lifecycle: 'MANAGED', status: 'RUNNING' }) }
        : error(409, 'CONFLICT', 'Board runs as one shared instance, which its owner (bob) or an admin starts; it is not running now: ask them to start it'),
    );
    gw.on('GET', /^\/api\/v1\/instances\/shared0001$/, () => ({ status: 200, body: instance({ id: 'shared0001', lifecycle: 'MANAGED', status: 'RUNNING' }) }));
    renderApp('/apps/board');
    const panel = await screen.findByRole('region', { name: 'Shared instance' });
    expect(within(panel).getByText(/Everyone who can see Board opens the same instance of this version\. Its owner \(bob\) or an admin starts it\./)).toBeInTheDocument();
    expect(within(panel).queryByRole('radio')).toBeNull();
    await userEvent.click(within(panel).getByRole('button', { name: 'Open Board' }));
    const alert = await within(panel).findByRole('alert');
    expect(alert).toHaveTextContent('Could not open the shared instance');
    expect(alert).toHaveTextContent('ask them to start it');
    running = true;
    await userEvent.click(within(panel).getByRole('button', { name: 'Open Board' }));
    await waitFor(() => expect(screen.getByTestId('instance-status')).toHaveTextContent('RUNNING'));
    expect(screen.queryByTestId('instance-created')).toBeNull(); // opened, not created
    expect(gw.requests('POST', `/api/v1/apps/${board.id}/instances`)[1]!.body).toEqual({ visibility: 'PRIVATE', runtime: 'python-3.12' });
  });

  it('offers a LINK app as a link to its site, with nothing to run', async () => {
    const wiki = appVersion({ name: 'wiki', title: 'Wiki', runtime: { ...hello.runtime, module: '', lifecycle: 'LINK', linkAddress: 'https://wiki.example.com/start' } });
    gatewayFor(wiki);
    renderApp('/apps/wiki');
    const panel = await screen.findByRole('region', { name: 'Open' });
    expect(within(panel).getByRole('link', { name: 'Open Wiki' })).toHaveAttribute('href', 'https://wiki.example.com/start');
    expect(within(panel).getByRole('link', { name: 'Open Wiki' })).toHaveAttribute('rel', 'noopener noreferrer');
    expect(screen.queryByRole('button', { name: /Run/ })).toBeNull();
    expect(screen.queryByRole('region', { name: 'Runtime and resources' })).toBeNull();
  });

  it('shows why a run was refused', async () => {
    const gw = gatewayFor(hello);
    gw.on('POST', /^\/api\/v1\/apps\/([^/]+)\/instances$/, () => error(429, 'LIMIT_EXCEEDED', 'You already have 10 live instances (Scheduler.MaxInstancesFullAccess)'));
    renderApp('/apps/hello');
    await userEvent.click(await screen.findByRole('button', { name: 'Run Hello' }));
    const alert = await screen.findByRole('alert');
    expect(alert).toHaveTextContent('Could not run the app');
    expect(alert).toHaveTextContent('You already have 10 live instances');
  });

  it('lets the owner change the visibility', async () => {
    const gw = gatewayFor(hello);
    gw.on('PATCH', /^\/api\/v1\/apps\/([^/]+)$/, (r) => ({ status: 200, body: { ...hello, visibility: (r.body as { visibility: string }).visibility } }));
    renderApp('/apps/hello');
    const manage = await screen.findByRole('region', { name: 'Manage this version' });
    const save = within(manage).getByRole('button', { name: 'Save visibility' });
    expect(save).toBeDisabled();
    await userEvent.click(within(manage).getByRole('radio', { name: 'All users' }));
    await userEvent.click(save);
    await waitFor(() => expect(gw.requests('PATCH', `/api/v1/apps/${hello.id}`)).toHaveLength(1));
    expect(gw.requests('PATCH', `/api/v1/apps/${hello.id}`)[0]!.body).toEqual({ visibility: 'ALL_USERS' });
    expect(gw.requests('PATCH', `/api/v1/apps/${hello.id}`)[0]!.headers.get('x-csrf-token')).toBe(alice.csrfToken);
  });

  it('deletes only after confirmation, and shows the 409 reason while instances exist', async () => {
    const gw = gatewayFor(hello);
    let instances = 1;
    gw.on('DELETE', /^\/api\/v1\/apps\/([^/]+)$/, () => (instances ? error(409, 'CONFLICT', 'hello@1.2.0 has 1 instance; terminate it first') : { status: 200, body: { deleted: true } }));
    renderApp('/apps/hello');
    const manage = await screen.findByRole('region', { name: 'Manage this version' });
    await userEvent.click(within(manage).getByRole('button', { name: 'Delete version 1.2.0' }));
    const dialog = await screen.findByRole('dialog', { name: 'Delete hello 1.2.0?' });
    expect(gw.requests('DELETE', /apps/)).toHaveLength(0);
    await userEvent.click(within(dialog).getByRole('button', { name: 'Delete' }));
    expect(await within(dialog).findByRole('alert')).toHaveTextContent('hello@1.2.0 has 1 instance; terminate it first');
    instances = 0;
    await userEvent.click(within(dialog).getByRole('button', { name: 'Delete' }));
    expect(await screen.findByRole('heading', { level: 1, name: 'Catalog' })).toBeInTheDocument();
    expect(gw.requests('DELETE', `/api/v1/apps/${hello.id}`)).toHaveLength(2);
  });

  it('offers other users no visibility change or delete', async () => {
    gatewayFor(older);
    renderApp('/apps/hello@1.1.0');
    await screen.findByRole('heading', { level: 1, name: 'Hello' });
    expect(screen.getByRole('region', { name: 'Run' })).toBeInTheDocument();
    expect(screen.queryByRole('region', { name: 'Manage this version' })).toBeNull();
  });

  it('lets an admin manage anyone’s version', async () => {
    gatewayFor(older, [older], { session: { ...alice, user: { sub: 'sub-admin', name: 'admin', roles: ['admin'] } } });
    renderApp('/apps/hello@1.1.0');
    expect(await screen.findByRole('region', { name: 'Manage this version' })).toBeInTheDocument();
  });

  it('lets an admin tag and untag the version with the platform’s tags; others see no tag panel', async () => {
    const certified = tag('certified', 'Certified', '#1c3d5a');
    const forVisitors = { ...tag('demo', 'Demo', '#ffd43b'), visitorRoles: ['visitor' as const] };
    let tagged = [certified];
    const admin = { ...alice, user: { sub: 'sub-admin', name: 'admin', roles: ['admin' as const] } };
    const gw = gatewayFor(older, [older], { session: admin })
      .on('GET', /^\/api\/v1\/tags$/, () => ({ status: 200, body: { items: [certified, forVisitors], nextCursor: null } }))
      .on('GET', /^\/api\/v1\/apps\/([^/]+)$/, () => ({ status: 200, body: { ...older, tags: tagged } }))
      .on('PUT', /^\/api\/v1\/apps\/([^/]+)\/tags\/([^/]+)$/, (_r, m) => {
        tagged = [...tagged, m[2] === 'demo' ? forVisitors : certified];
        return { status: 200, body: { ...older, tags: tagged } };
      })
      .on('DELETE', /^\/api\/v1\/apps\/([^/]+)\/tags\/([^/]+)$/, (_r, m) => {
        tagged = tagged.filter((t) => t.name !== m[2]);
        return { status: 200, body: { ...older, tags: tagged } };
      });
    renderApp('/apps/hello@1.1.0');
    const panel = await screen.findByRole('region', { name: 'Tags' });
    const certifiedBox = await within(panel).findByRole('checkbox', { name: /Certified/ });
    const demoBox = within(panel).getByRole('checkbox', { name: /Demo/ });
    expect([certifiedBox, demoBox].map((b) => (b as HTMLInputElement).checked)).toEqual([true, false]);
    expect(panel).toHaveTextContent('shows it to visitor');
    await userEvent.click(demoBox);
    await waitFor(() => expect(gw.requests('PUT', `/api/v1/apps/${older.id}/tags/demo`)).toHaveLength(1));
    await waitFor(() => expect(within(panel).getByRole('checkbox', { name: /Demo/ })).toBeChecked());
    await userEvent.click(within(panel).getByRole('checkbox', { name: /Certified/ }));
    await waitFor(() => expect(gw.requests('DELETE', `/api/v1/apps/${older.id}/tags/certified`)).toHaveLength(1));
    await waitFor(() => expect(within(panel).getByRole('checkbox', { name: /Certified/ })).not.toBeChecked());
  });

  it('shows no tag panel to an owner who is not an admin', async () => {
    gatewayFor(hello);
    renderApp('/apps/hello');
    expect(await screen.findByRole('region', { name: 'Manage this version' })).toBeInTheDocument();
    expect(screen.queryByRole('region', { name: 'Tags' })).toBeNull();
  });

  it('says when the app does not exist or is not visible', async () => {
    gatewayFor(hello);
    renderApp('/apps/nope');
    const alert = await screen.findByRole('alert');
    expect(alert).toHaveTextContent('No such app, or you may not see it');
    expect(alert).toHaveTextContent('app nope not found');
  });
});
