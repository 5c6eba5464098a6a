import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { buildBundle } from '@wharf/testing';
// The platform the command talks to: a gateway with a real repository and a real scheduler
// (process driver, file secret store), over real NATS and HTTP.
import { api, type Harness } from '../../../gateway/src/testing/identity.harness';
import { startGatewayWithScheduler, type GatewayWithScheduler } from '../../../gateway/src/testing/scheduler.harness';

jest.setTimeout(90_000);

const CLI = path.resolve(__dirname, '../../dist/wharf.cjs');
const VALUE = 'sk-cli-7e6d5c4b3a';

/** `wharf secret …` and `wharf platform-secret …`, the built command against a running platform. */
describe('wharf secret (built CLI, real gateway and scheduler)', () => {
  let sys: GatewayWithScheduler;
  let h: Harness;
  let dir: string;
  const tokens: Record<'alice' | 'bob' | 'vic' | 'admin', string> = { alice: '', bob: '', vic: '', admin: '' };
  let aliceSub = '';

  /** Runs the command as `who`, `stdin` piped in; answers its exit code and output. */
  const wharf = (who: keyof typeof tokens, args: string[], stdin = '') =>
    new Promise<{ code: number | null; out: string; err: string }>((resolve) => {
      const child = spawn(process.execPath, [CLI, ...args], {
        cwd: dir,
        env: { PATH: process.env.PATH, WHARF_URL: h.url, WHARF_TOKEN: tokens[who], WHARF_CONFIG: path.join(dir, 'config.json'), NO_COLOR: '1' },
        stdio: ['pipe', 'pipe', 'pipe'],
      });
      let out = '';
      let err = '';
      child.stdout.setEncoding('utf8').on('data', (c: string) => (out += c));
      child.stderr.setEncoding('utf8').on('data', (c: string) => (err += c));
      child.on('close', (code) => resolve({ code, out, err }));
      child.stdin.end(stdin);
    });

  beforeAll(async () => {
    if (!existsSync(CLI)) throw new Error(`${CLI} is missing: build the CLI first (pnpm --filter @wharf/cli build)`);
    dir = mkdtempSync(path.join(os.tmpdir(), 'wharf-cli-secret-'));
    sys = await startGatewayWithScheduler('wharf_cli_secrets');
    h = sys.h;
    tokens.admin = h.adminToken;
    for (const user of ['alice', 'bob', 'vic'] as const) {
      tokens[user] = (await api(h, 'POST', '/api/v1/tokens', { token: h.adminToken, body: { user, name: user, roles: [user === 'vic' ? 'visitor' : 'full-access'] } })).body.token;
    }
    aliceSub = (await api(h, 'GET', '/api/v1/me', { token: tokens.alice })).body.sub;
    const imported = await fetch(`${h.url}/api/v1/bundles`, {
      method: 'POST',
      headers: { authorization: `Bearer ${tokens.alice}`, 'content-type': 'application/zip' },
      body: new Uint8Array(await buildBundle({ app: { name: 'reads-own', version: '1.0.0', env: [{ name: 'API_KEY', secret: '~/openai', secretKey: 'API_KEY' }] } })),
    });
    expect(imported.status).toBe(201);
  }, 90_000);

  afterAll(async () => {
    await sys?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('creates, replaces, re-scopes, lists and reads your own secrets, taking values from stdin or a file only', async () => {
    const created = await wharf('alice', ['secret', 'create', 'openai'], `API_KEY=${VALUE}\n`);
    expect(created).toMatchObject({ code: 0, err: expect.stringContaining(`Created secret openai with 1 key (API_KEY), PRIVATE; apps read it as Secret = "~/openai"`) });
    expect(created.out).toMatch(/openai\s+API_KEY\s+PRIVATE/);
    const again = await wharf('alice', ['secret', 'create', 'openai'], `API_KEY=${VALUE}\n`);
    expect(again.code).toBe(1);
    expect(again.err).toMatch(/already exists; replace it with .*wharf secret set openai/);
    // never from the command line
    const argv = await wharf('alice', ['secret', 'create', 'openai', `API_KEY=${VALUE}`]);
    expect(argv.code).toBe(2);
    expect(argv.err).toMatch(/wharf secret create takes the secret's name only/);
    expect(argv.err).not.toContain(VALUE);
    // platform grants are not for user secrets
    expect(await wharf('alice', ['secret', 'set', 'openai', '--grant-app', 'x'], 'A=b\n')).toMatchObject({ code: 2, err: expect.stringMatching(/--grant-app grants platform secrets \(admins\): use `wharf platform-secret set`/) });
    writeFileSync(path.join(dir, 'openai.json'), JSON.stringify({ API_KEY: VALUE, ORG: 'acme' }));
    const replaced = await wharf('alice', ['secret', 'set', 'openai', '--from-file', 'openai.json', '--app', 'reads-own']);
    expect(replaced).toMatchObject({ code: 0, err: expect.stringContaining('Replaced secret openai with 2 keys (API_KEY, ORG), APP (reads-own)') });
    expect(await wharf('alice', ['secret', 'update', 'openai', '--visibility', 'All-Users'])).toMatchObject({ code: 0, err: expect.stringContaining('Secret openai is ALL_USERS now') });
    expect(await wharf('alice', ['secret', 'update', 'openai'])).toMatchObject({ code: 2, err: expect.stringMatching(/give --visibility private\|all-users\|app/) });
    expect(await wharf('alice', ['secret', 'update', 'openai', '--visibility', 'app'])).toMatchObject({ code: 2, err: expect.stringMatching(/needs the apps that may read it: add --app/) });
    expect(await wharf('alice', ['secret', 'update', 'openai', '--visibility', 'everyone'])).toMatchObject({ code: 2, err: expect.stringMatching(/"everyone" is not one of private/) });
    const listed = await wharf('alice', ['secret', 'list', '-o', 'json']);
    expect(JSON.parse(listed.out)).toEqual([expect.objectContaining({ name: 'openai', ref: `${aliceSub}/openai`, keys: ['API_KEY', 'ORG'], visibility: 'ALL_USERS' })]);
    const got = await wharf('alice', ['secret', 'get', 'openai']);
    expect(got.out).toMatch(/openai\s+API_KEY,ORG\s+ALL_USERS/);
    for (const r of [created, replaced, listed, got]) expect(r.out + r.err).not.toContain(VALUE);
  });

  it("keeps others' secrets away from users and visitors; admins see every user's", async () => {
    const bob = await wharf('bob', ['secret', 'get', 'openai', '--owner', aliceSub]);
    expect(bob.code).toBe(1);
    expect(bob.err).toMatch(/only admins manage other users' secrets/);
    expect((await wharf('bob', ['secret', 'get', 'openai'])).err).toMatch(/you have no secret named openai/);
    expect(await wharf('vic', ['secret', 'list'])).toMatchObject({ code: 1, err: expect.stringMatching(/visitors cannot keep secrets/) });
    const all = await wharf('admin', ['secret', 'list', '--all']);
    expect(all.out).toMatch(/OWNER\s+NAME\s+KEYS/);
    expect(all.out).toMatch(/alice\s+openai\s+API_KEY,ORG/);
    // platform secrets moved to their own command
    expect(await wharf('admin', ['platform-secret', 'set', 'db', '--grant-app', 'reads-own'], 'PASSWORD=pw\n')).toMatchObject({ code: 0, err: expect.stringContaining('Platform secret db set') });
    expect((await wharf('admin', ['platform-secret', 'list'])).out).toMatch(/db\s+PASSWORD\s+reads-own/);
    expect(await wharf('alice', ['platform-secret', 'list'])).toMatchObject({ code: 1 });
    expect((await wharf('admin', ['platform-secret', 'delete', 'db'])).code).toBe(0);
  });

  it('says which instance holds a secret it will not delete, and deletes it once that one is gone', async () => {
    const run = await api(h, 'POST', '/api/v1/apps/reads-own@1.0.0/instances', { token: tokens.alice, body: {} });
    expect(run.status).toBe(201);
    const refused = await wharf('alice', ['secret', 'delete', 'openai']);
    expect(refused.code).toBe(1);
    expect(refused.err).toContain(`is in use by an instance that is not terminated (instance ${run.body.id})`);
    expect(refused.err).toMatch(/wharf instance terminate <id>/);
    expect((await api(h, 'DELETE', `/api/v1/instances/${run.body.id}`, { token: tokens.alice })).status).toBe(200);
    expect(await wharf('alice', ['secret', 'rm', 'openai'])).toMatchObject({ code: 0, err: expect.stringContaining(`Deleted secret openai (${aliceSub}/openai)`) });
    expect((await wharf('alice', ['secret', 'list'])).err).toMatch(/no secrets/);
  });
});
