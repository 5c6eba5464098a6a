import type { Schemas } from '@wharf/api';
import YAML from 'yaml';
import { print } from './output';
import type { Term } from './term';
import { allPages } from './pages';
import { appColumns, appPairs, detailLines, idleText, instanceColumns, instancePairs, type App } from './views';
import { intOf, onOff, sinceOf, visibilityOf } from './args';

function fakeTerm(): Term & { stdout: string[]; stderr: string[] } {
  const stdout: string[] = [];
  const stderr: string[] = [];
  const id = (s: string) => s;
  return {
    tty: false,
    interactive: false,
    color: false,
    c: new Proxy({}, { get: () => id }) as Term['c'],
    out: (l) => void stdout.push(l),
    note: (l) => void stderr.push(l),
    progress: () => ({ update: () => undefined, stop: () => undefined }),
    spinner: () => ({ text: () => undefined, succeed: () => undefined, fail: () => undefined, stop: () => undefined }),
    stdout,
    stderr,
  };
}

const instance = (id: string, status: Schemas['Instance']['status']): Schemas['Instance'] => ({
  id,
  appName: 'sales',
  appVersion: '1.2.0',
  appVersionId: 'v1',
  appOwner: { name: 'alice', sub: 'a' },
  owner: { name: 'bob', sub: 'b' },
  createdAt: new Date(Date.now() - 3 * 3600_000).toISOString(),
  lastActivityAt: new Date().toISOString(),
  lifecycle: 'ON_DEMAND',
  idle: { timeoutMinutes: 60, disabledByAdmin: false, keepAliveUntil: null },
  runtime: 'python-3.12',
  status,
  statusReason: null,
  url: `http://${id}.apps.localhost`,
  routingMode: 'DOMAIN',
  basePath: '/',
  aliases: [],
  primaryAlias: null,
  visibility: 'ALL_USERS',
  warnings: [],
});

describe('list output', () => {
  const rows = [instance('i-1', 'RUNNING'), instance('i-22', 'SUSPENDED')];

  it('prints a kubectl-like table: upper-case headers, aligned columns, no borders', () => {
    const t = fakeTerm();
    print(t, 'table', rows, instanceColumns);
    const lines = t.stdout.join('\n').split('\n');
    expect(lines[0]).toMatch(/^ID\s+APP\s+VERSION\s+STATUS\s+OWNER\s+VISIBILITY\s+RUNTIME\s+AGE$/);
    expect(lines[1]).toMatch(/^i-1\s+sales\s+1\.2\.0\s+RUNNING\s+bob\s+all-users\s+python-3\.12\s+3h$/);
    expect(lines[2]!.indexOf('sales')).toBe(lines[1]!.indexOf('sales'));
    expect(t.stdout.join('')).not.toMatch(/[│─┌]/);
  });

  it('prints the API objects as JSON or YAML', () => {
    const t = fakeTerm();
    print(t, 'json', rows, instanceColumns);
    expect(JSON.parse(t.stdout.join('\n'))).toEqual(rows);
    const y = fakeTerm();
    print(y, 'yaml', rows, instanceColumns);
    expect(YAML.parse(y.stdout.join('\n'))).toEqual(rows);
  });

  it('says an empty table on stderr and prints nothing on stdout', () => {
    const t = fakeTerm();
    print(t, 'table', [], appColumns, { empty: 'no apps found' });
    expect(t.stdout).toEqual([]);
    expect(t.stderr).toEqual(['no apps found']);
  });

  it('prints a detail view as aligned key/value lines', () => {
    const t = fakeTerm();
    expect(detailLines([['ID', 'x'], ['Last activity', null]], t)).toBe('ID:            x\nLast activity: -');
  });
});

describe('pages', () => {
  const pager = (total: number) => {
    const calls: { cursor?: string; size: number }[] = [];
    const page = async (cursor: string | undefined, size: number) => {
      calls.push({ cursor, size });
      const from = cursor ? Number(cursor) : 0;
      const to = Math.min(total, from + size);
      return { items: Array.from({ length: to - from }, (_, i) => from + i), nextCursor: to < total ? String(to) : null };
    };
    return { page, calls };
  };

  it('follows nextCursor to the end', async () => {
    const p = pager(450);
    const { items, more } = await allPages(p.page);
    expect(items).toHaveLength(450);
    expect(more).toBe(false);
    expect(p.calls.map((c) => c.cursor)).toEqual([undefined, '200', '400']);
  });

  it('stops at --limit and says there is more', async () => {
    const p = pager(450);
    const { items, more } = await allPages(p.page, 250);
    expect(items).toEqual(Array.from({ length: 250 }, (_, i) => i));
    expect(more).toBe(true);
    expect(p.calls.map((c) => c.size)).toEqual([200, 50]);
    expect((await allPages(pager(3).page, 3)).more).toBe(false);
  });
});

describe('arguments', () => {
  it('reads visibilities, numbers and times', () => {
    expect(visibilityOf('all-users')).toBe('ALL_USERS');
    expect(visibilityOf('PUBLIC')).toBe('PUBLIC');
    expect(() => visibilityOf('friends')).toThrow(/not one of private, all-users, public/);
    expect(intOf('20', '--limit')).toBe(20);
    expect(() => intOf('2x', '--limit')).toThrow(/--limit/);
    expect(sinceOf('2h', '--since', Date.parse('2024-05-01T12:00:00Z'))).toBe('2024-05-01T10:00:00.000Z');
    expect(sinceOf('2024-05-01', '--since')).toBe('2024-05-01T00:00:00.000Z');
    expect(() => sinceOf('yesterday', '--since')).toThrow(/neither a time/);
    expect(onOff('OFF', '--idle-suspend')).toBe(false);
    expect(onOff('on', '--idle-suspend')).toBe(true);
    expect(() => onOff('maybe', '--idle-suspend')).toThrow(/--idle-suspend: "maybe" is neither on nor off/);
  });
});

describe('idle suspension in words', () => {
  it('says after how long, never, or that an admin turned it off', () => {
    expect(idleText({ timeoutMinutes: 30, disabledByAdmin: false, keepAliveUntil: null })).toBe('after 30 min without traffic');
    expect(idleText({ timeoutMinutes: null, disabledByAdmin: false, keepAliveUntil: null })).toBe('never');
    expect(idleText({ timeoutMinutes: null, disabledByAdmin: true, keepAliveUntil: null })).toBe('never (turned off by an admin)');
  });
});

describe('app details', () => {
  const app = (files?: App['files']): App => ({
    id: 'av1',
    name: 'hello',
    version: '1.0.0',
    title: 'Hello',
    description: '',
    longDescription: null,
    categories: [],
    keywords: [],
    owner: { sub: 'svc:alice', name: 'alice' },
    visibility: 'PRIVATE',
    tags: [],
    runtime: { module: 'hello.app', runtimeVersion: null, memoryLimit: null, memoryReservation: null, volumeMount: null, volumeSize: null, gpuCount: 0, gpuType: null, instanceTimeoutMinutes: null, lifecycle: 'ON_DEMAND', linkAddress: null, routingMode: null },
    env: [],
    files,
    sha256: 'a'.repeat(64),
    size: 1,
    hasIcon: false,
    screenshotCount: 0,
    createdAt: '2026-12-01T00:00:00.000Z',
  });
  const filesRow = (a: App) => appPairs(a).find(([k]) => k === 'Files')?.[1];

  it('lists [[File]] paths, with the secret a file reads when the API shows it', () => {
    expect(filesRow(app([{ path: '/etc/hello/a.ini', value: 'x' }, { path: '/srv/key.pem', secret: 'tls', secretKey: 'tls.key' }]))).toBe(
      '/etc/hello/a.ini, /srv/key.pem (secret tls/tls.key)',
    );
    expect(filesRow(app([{ path: '/srv/key.pem', secret: null, secretKey: null }]))).toBe('/srv/key.pem (secret -/-)');
    expect(filesRow(app(undefined))).toBe('');
  });

  it('says how the app runs: its own instance per user, one shared, or a link with its address', () => {
    const row = (a: App, key: string) => appPairs(a).find(([k]) => k === key)?.[1];
    const base = app([]);
    expect(row(base, 'Lifecycle')).toMatch(/^ON_DEMAND/);
    expect(row(base, 'Link')).toBeUndefined();
    expect(row({ ...base, runtime: { ...base.runtime, lifecycle: 'MANAGED' } }, 'Lifecycle')).toMatch(/^MANAGED \(one shared instance/);
    const link = { ...base, runtime: { ...base.runtime, module: '', lifecycle: 'LINK' as const, linkAddress: 'https://wiki.example.com/' } };
    expect(row(link, 'Lifecycle')).toMatch(/^LINK \(no instance/);
    expect(row(link, 'Link')).toBe('https://wiki.example.com/');
  });

  it("says where its instances are served: the mode app.toml sets, else the platform's default; a LINK app has none", () => {
    const t = fakeTerm();
    const base = app([]);
    const shown = (a: App) => detailLines(appPairs(a), t).split('\n').map((l) => l.replace(/:\s+/, ': '));
    expect(shown(base)).toContain('Routing: platform default');
    const lines = shown({ ...base, runtime: { ...base.runtime, routingMode: 'BASE_URL' } });
    // next to Lifecycle, as app.toml groups them
    expect(lines[lines.findIndex((l) => l.startsWith('Lifecycle:')) + 1]).toBe('Routing: BASE_URL (under /instance/<id>/ on the apps domain, a host shared with the other BASE_URL instances)');
    expect(shown({ ...base, runtime: { ...base.runtime, routingMode: 'DOMAIN' } })).toContain('Routing: DOMAIN (at <id>.<apps domain>, an origin of its own)');
    const link = { ...base, runtime: { ...base.runtime, module: '', lifecycle: 'LINK' as const, linkAddress: 'https://wiki.example.com/' } };
    expect(shown(link).some((l) => l.startsWith('Routing:'))).toBe(false);
  });
});

describe('instance details', () => {
  it('shows the routing mode and the base path the app is served under, after its URL', () => {
    const t = fakeTerm();
    const shown = (i: Schemas['Instance']) => detailLines(instancePairs(i), t).split('\n').map((l) => l.replace(/:\s+/, ': '));
    const domain = shown(instance('i-1', 'RUNNING'));
    const url = domain.findIndex((l) => l.startsWith('URL:'));
    expect(domain.slice(url, url + 3)).toEqual([
      'URL: http://i-1.apps.localhost',
      'Routing: DOMAIN (at <id>.<apps domain>, an origin of its own)',
      'Base path: /',
    ]);
    const based = shown({ ...instance('i-2', 'RUNNING'), url: 'http://apps.localhost/instance/i-2/', routingMode: 'BASE_URL', basePath: '/instance/i-2/' });
    expect(based).toEqual(
      expect.arrayContaining(['Routing: BASE_URL (under /instance/<id>/ on the apps domain, a host shared with the other BASE_URL instances)', 'Base path: /instance/i-2/']),
    );
  });
});
