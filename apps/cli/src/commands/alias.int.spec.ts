import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { buildBundle } from '@wharf/testing';
// The platform the command talks to: a gateway with a real repository and a real scheduler, over real NATS and HTTP.
import { api, type Harness } from '../../../gateway/src/testing/identity.harness';
import { startGatewayWithScheduler, type GatewayWithScheduler } from '../../../gateway/src/testing/scheduler.harness';

jest.setTimeout(90_000);

const CLI = path.resolve(__dirname, '../../dist/wharf.cjs');

/** `wharf alias …`, the built command against a running platform. */
describe('wharf alias (built CLI, real gateway and scheduler)', () => {
  let sys: GatewayWithScheduler;
  let h: Harness;
  let dir: string;
  let alice = '';
  let blue = '';
  let green = '';

  const wharf = (token: string, args: string[]) =>
    new Promise<{ code: number | null; out: string; err: string }>((resolve) => {
      const child = spawn(process.execPath, [CLI, ...args], {
        cwd: dir,
        env: { PATH: process.env.PATH, WHARF_URL: h.url, WHARF_TOKEN: token, WHARF_CONFIG: path.join(dir, 'config.json'), NO_COLOR: '1' },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let out = '';
      let err = '';
      child.stdout.setEncoding('utf8').on('data', (c: string) => (out += c));
      child.stderr.setEncoding('utf8').on('data', (c: string) => (err += c));
      child.on('close', (code) => resolve({ code, out, err }));
    });

  beforeAll(async () => {
    if (!existsSync(CLI)) throw new Error(`${CLI} is missing: build the CLI first (pnpm --filter @wharf/cli build)`);
    dir = mkdtempSync(path.join(os.tmpdir(), 'wharf-cli-alias-'));
    sys = await startGatewayWithScheduler('wharf_cli_aliases');
    h = sys.h;
    alice = (await api(h, 'POST', '/api/v1/tokens', { token: h.adminToken, body: { user: 'alice', name: 'alice', roles: ['full-access'] } })).body.token;
    const imported = await fetch(`${h.url}/api/v1/bundles`, {
      method: 'POST',
      headers: { authorization: `Bearer ${alice}`, 'content-type': 'application/zip' },
      body: new Uint8Array(await buildBundle({ app: { name: 'site', version: '1.0.0' } })),
    });
    expect(imported.status).toBe(201);
    blue = (await api(h, 'POST', '/api/v1/apps/site@1.0.0/instances', { token: alice, body: {} })).body.id;
    green = (await api(h, 'POST', '/api/v1/apps/site@1.0.0/instances', { token: alice, body: {} })).body.id;
  }, 90_000);

  afterAll(async () => {
    await sys?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('creates, lists, moves, promotes and deletes aliases; refuses bad input with the reason', async () => {
    const created = await wharf(h.adminToken, ['alias', 'create', 'shop', blue, '--primary', '-o', 'json']);
    expect(created.code).toBe(0);
    expect(JSON.parse(created.out)).toMatchObject({ name: 'shop', instanceId: blue, primary: true });
    expect((await wharf(h.adminToken, ['alias', 'create', 'docs', blue])).code).toBe(0);

    const table = await wharf(h.adminToken, ['alias', 'list']);
    expect(table.code).toBe(0);
    expect(table.out).toMatch(/NAME\s+INSTANCE\s+PRIMARY\s+URL/);
    expect(table.out).toMatch(new RegExp(`shop\\s+${blue}\\s+\\*`));

    const moved = await wharf(h.adminToken, ['alias', 'assign', 'shop', green, '-o', 'yaml']);
    expect(moved.code).toBe(0);
    expect(moved.out).toContain(`instanceId: ${green}`);
    expect(moved.out).toContain('primary: true');
    expect((await wharf(h.adminToken, ['alias', 'assign', 'docs', green])).code).toBe(0);
    expect(JSON.parse((await wharf(h.adminToken, ['alias', 'promote', 'docs', '-o', 'json'])).out)).toMatchObject({ instanceId: green, primary: true });
    const unassigned = await wharf(h.adminToken, ['alias', 'assign', 'shop', '--none', '-o', 'json']);
    expect(JSON.parse(unassigned.out)).toMatchObject({ instanceId: null, primary: false });

    const idLike = await wharf(h.adminToken, ['alias', 'create', 'abcdefghij']);
    expect(idLike.code).not.toBe(0);
    expect(idLike.err).toMatch(/looks like an instance id/);
    const both = await wharf(h.adminToken, ['alias', 'assign', 'shop']);
    expect(both.code).not.toBe(0);
    expect(both.err).toMatch(/name an instance, or give --none/);
    const notAdmin = await wharf(alice, ['alias', 'list']);
    expect(notAdmin.code).not.toBe(0);
    expect(notAdmin.err).toMatch(/only admins manage aliases/);

    expect((await wharf(h.adminToken, ['alias', 'delete', 'shop'])).code).toBe(0);
    expect(JSON.parse((await wharf(h.adminToken, ['alias', 'list', '-o', 'json'])).out).map((a: { name: string }) => a.name)).toEqual(['docs']);
  });
});
