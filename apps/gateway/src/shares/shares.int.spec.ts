import type { INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { IdentityContracts, ShareContracts, ShareRevokedEvent, WharfError, type Caller } from '@wharf/contracts';
import { connectNats } from '@wharf/nats';
import { buildBundle } from '@wharf/testing';
import { connect, type NatsConnection } from 'nats';
// The scheduler is another app: this spec runs its instance subjects over memory, in-process
// behind the gateway and a real repository, over real NATS.
import { loadSchedulerSettings } from '../../../scheduler/src/scheduler.config';
import { MemorySchedulerModule } from '../../../scheduler/src/test-support/memory-instances';
import { GATEWAY_SETTINGS, type GatewaySettings } from '../gateway.config';
import { SessionService } from '../identity/session/session.service';
import { api, NodeBrowser, startHarness, type Harness } from '../testing/identity.harness';
import { startGatewayWithRepository, type GatewayWithRepository } from '../testing/repository.harness';
import { hashShareSecret } from './share-state';

jest.setTimeout(90_000);

const APPS = 'apps.localhost:8081';

/** A browser session of `user` (as the OIDC callback makes it; that flow has its own specs), with its CSRF token. */
async function browser(h: Harness, user: Caller): Promise<{ cookie: string; csrf: string }> {
  const s = await h.app.get(SessionService).create(user, null, '127.0.0.1');
  return { cookie: s.setCookie.split(';')[0]!, csrf: s.csrfToken };
}

/** Opens a share link as a browser would (no redirects followed). */
async function open(url: string, opts: { cookie?: string; method?: string; form?: Record<string, string> } = {}) {
  const res = await fetch(url, {
    method: opts.method ?? 'GET',
    redirect: 'manual',
    headers: { accept: 'text/html', ...(opts.cookie ? { cookie: opts.cookie } : {}), ...(opts.form ? { 'content-type': 'application/x-www-form-urlencoded' } : {}) },
    body: opts.form ? new URLSearchParams(opts.form).toString() : undefined,
  });
  return { status: res.status, location: res.headers.get('location'), text: await res.text(), headers: res.headers };
}

/** What the router does with the redirect: redeems the ticket over NATS at the instance host. */
async function redeem(h: Harness, location: string) {
  const u = new URL(location);
  expect(u.pathname).toBe('/.wharf/ticket');
  return h.rpc.rpc(IdentityContracts.redeemTicket, { ticket: u.searchParams.get('t')!, host: u.host }, null);
}

async function refusal(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (e) {
    if (WharfError.is(e)) return e.code;
    throw e;
  }
  throw new Error('not refused');
}

describe('share links: make, list, use, revoke (real gateway, repository and PostgreSQL, memory scheduler, real NATS)', () => {
  let sys: GatewayWithRepository;
  let h: Harness;
  let scheduler: INestApplication;
  let watcher: NatsConnection;
  const revoked: { shareId: string; instanceId: string; reason: string }[] = [];
  const tokens: Record<'alice' | 'bob', string> = { alice: '', bob: '' };
  const users: Record<'alice' | 'bob', Caller> = { alice: { sub: 'svc:alice', name: 'alice', roles: ['full-access'] }, bob: { sub: 'svc:bob', name: 'bob', roles: ['full-access'] } };
  let instanceId = '';

  beforeAll(async () => {
    sys = await startGatewayWithRepository('wharf_gw_shares', { AllowAnonymousShares: true, ShareMaxHours: 48 });
    h = sys.h;
    const { platform } = h.app.get<GatewaySettings>(GATEWAY_SETTINGS);
    const { scheduler: schedulerConfig } = loadSchedulerSettings({ WHARF_PLATFORM_INTERNAL_SECRET: platform.InternalSecret });
    scheduler = await NestFactory.create(MemorySchedulerModule.forRoot({ platform, scheduler: schedulerConfig }), { logger: ['error'] });
    await connectNats(scheduler);
    await scheduler.init();
    watcher = await connect({ servers: platform.NatsUrl });
    watcher.subscribe(ShareRevokedEvent.subject, {
      callback: (_e, m) => {
        const sent = JSON.parse(new TextDecoder().decode(m.data)) as { data: (typeof revoked)[number] };
        revoked.push(sent.data);
      },
    });
    await watcher.flush();
    for (const user of ['alice', 'bob'] as const) {
      tokens[user] = (await api(h, 'POST', '/api/v1/tokens', { token: h.adminToken, body: { user, name: user } })).body.token;
    }
    const res = await fetch(`${h.url}/api/v1/bundles`, {
      method: 'POST',
      headers: { authorization: `Bearer ${tokens.alice}`, 'content-type': 'application/zip' },
      body: new Uint8Array(await buildBundle({ app: { name: 'hello', version: '1.0.0' } })),
    });
    expect(res.status).toBe(201);
    const run = await api(h, 'POST', '/api/v1/apps/hello/instances', { token: tokens.alice, body: { visibility: 'PRIVATE' } });
    expect(run.status).toBe(201);
    instanceId = run.body.id;
  });

  afterAll(async () => {
    await watcher?.close();
    await scheduler?.close();
    await sys?.close();
  });

  const shares = (id = instanceId) => `/api/v1/instances/${id}/shares`;

  it('lets only the owner and admins share, and refuses bad lifetimes with a clear 400, leaving nothing behind', async () => {
    const before = await h.prisma.instanceShare.count();
    // bob cannot see alice's PRIVATE instance: it does not exist for him
    expect((await api(h, 'POST', shares(), { token: tokens.bob, body: {} })).status).toBe(404);
    expect((await api(h, 'GET', shares(), { token: tokens.bob })).status).toBe(404);
    const cases: [unknown, RegExp][] = [
      [{ expiresIn: '49h' }, /at most 48 h on this platform \(Gateway\.ShareMaxHours\)/],
      [{ expiresIn: '3d' }, /Gateway\.ShareMaxHours/],
      [{ expiresIn: 'soon' }, /expiresIn: a number and a unit: m, h or d/],
      [{ expiresIn: '1h', expiresAt: new Date(Date.now() + 3600_000).toISOString() }, /give expiresIn or expiresAt, not both/],
      [{ expiresAt: new Date(Date.now() - 1000).toISOString() }, /is in the past/],
      [{ oneTime: 'yes' }, /oneTime/],
      [{ password: 'x' }, /password/],
    ];
    for (const [body, message] of cases) {
      const r = await api(h, 'POST', shares(), { token: tokens.alice, body });
      expect([JSON.stringify(body), r.status]).toEqual([JSON.stringify(body), 400]);
      expect(r.body.error.message).toMatch(message);
    }
    expect(await h.prisma.instanceShare.count()).toBe(before);
    expect((await api(h, 'POST', shares(), { token: h.adminToken, body: { expiresIn: '30m' } })).status).toBe(201);
  });

  it('shows the link once, keeps only its hash, and lets a signed-in user view through it as themselves (audited with who, what and where from)', async () => {
    const made = await api(h, 'POST', shares(), { token: tokens.alice, body: { expiresIn: '24h' } });
    expect(made.status).toBe(201);
    const url: string = made.body.url;
    expect(url).toMatch(new RegExp(`^${h.url}/share/wsh_[A-Za-z0-9_-]{43}$`));
    const secret = url.split('/').pop()!;
    const id: string = made.body.share.id;
    expect(made.body.share).toMatchObject({ instanceId, oneTime: false, anonymous: false, uses: 0, state: 'ACTIVE', createdBy: { name: 'alice' } });
    expect(Date.parse(made.body.share.expiresAt) - Date.now()).toBeGreaterThan(23.9 * 3600_000);
    const row = await h.prisma.instanceShare.findUniqueOrThrow({ where: { id } });
    expect(row.secretHash).toBe(hashShareSecret(secret));
    expect(JSON.stringify(row)).not.toContain(secret);
    const list = await api(h, 'GET', shares(), { token: tokens.alice });
    expect(list.status).toBe(200);
    expect(list.body.items.find((s: { id: string }) => s.id === id)).toMatchObject({ id, uses: 0, state: 'ACTIVE', revokedAt: null });
    expect(JSON.stringify(list.body)).not.toContain(secret);

    const bob = await browser(h, users.bob);
    const used = await open(url, { cookie: bob.cookie });
    expect(used.status).toBe(303);
    expect(used.headers.get('referrer-policy')).toBe('no-referrer');
    expect(new URL(used.location!).host).toBe(`${instanceId}.${APPS}`);
    const ticket = await redeem(h, used.location!);
    expect(ticket).toMatchObject({ caller: { sub: 'svc:bob', name: 'bob' }, host: `${instanceId}.${APPS}`, share: { id, instanceId } });
    expect(ticket.session).toEqual(expect.any(String));
    expect(await h.rpc.rpc(ShareContracts.check, { share: id }, null)).toMatchObject({ instanceId, anonymous: false });
    // used again, by the same or another user: a link that is not one-time opens until it expires
    expect((await open(url, { cookie: (await browser(h, users.alice)).cookie })).status).toBe(303);
    expect((await api(h, 'GET', shares(), { token: tokens.alice })).body.items.find((s: { id: string }) => s.id === id)).toMatchObject({ uses: 2 });

    const audit = await h.prisma.auditEvent.findMany({ where: { action: { startsWith: 'share.' } }, orderBy: { at: 'asc' } });
    expect(audit.find((a) => a.action === 'share.use' && a.actorSub === 'svc:bob')).toMatchObject({
      outcome: 'success',
      target: id,
      ip: expect.stringMatching(/127\.0\.0\.1/),
      details: expect.objectContaining({ instanceId, shareId: id, guest: false }),
    });
    expect(audit.filter((a) => a.action === 'share.create' && a.actorSub === 'svc:alice').map((a) => [a.outcome, a.target, a.status])).toContainEqual(['success', instanceId, 201]);
    expect(audit.filter((a) => a.action === 'share.create' && a.outcome === 'failure').length).toBeGreaterThanOrEqual(7); // the refused ones too
    const everything = JSON.stringify(await h.prisma.auditEvent.findMany());
    expect(everything).not.toContain(secret);
    expect(everything).not.toContain(new URL(used.location!).searchParams.get('t')!);
  });

  it('makes one-time links open once, behind an Open button (a link preview does not use them up)', async () => {
    const made = await api(h, 'POST', shares(), { token: tokens.alice, body: { oneTime: true, expiresIn: '1h' } });
    const bob = await browser(h, users.bob);
    const page = await open(made.body.url, { cookie: bob.cookie });
    expect(page.status).toBe(200);
    expect(page.text).toContain('opens <b>once</b>');
    expect((await h.prisma.instanceShare.findUniqueOrThrow({ where: { id: made.body.share.id } })).uses).toBe(0);
    // the form carries the session's CSRF token: another site (or an app on an instance) cannot use the link for bob
    expect((await open(made.body.url, { cookie: bob.cookie, method: 'POST', form: {} })).status).toBe(403);
    const first = await open(made.body.url, { cookie: bob.cookie, method: 'POST', form: { csrf: bob.csrf } });
    expect(first.status).toBe(303);
    expect((await redeem(h, first.location!)).caller.name).toBe('bob');
    const alice = await browser(h, users.alice);
    const again = await open(made.body.url, { cookie: alice.cookie, method: 'POST', form: { csrf: alice.csrf } });
    expect(again.status).toBe(410);
    expect(again.text).toContain('This share link was already used');
    expect((await open(made.body.url, { cookie: alice.cookie })).status).toBe(410);
    const listed = (await api(h, 'GET', shares(), { token: tokens.alice })).body.items.find((s: { id: string }) => s.id === made.body.share.id);
    expect(listed).toMatchObject({ uses: 1, state: 'USED' });
    // bob, who used it, keeps his access until it expires or is revoked
    expect(await h.rpc.rpc(ShareContracts.check, { share: made.body.share.id }, null)).toMatchObject({ instanceId });
    const denied = await h.prisma.auditEvent.findFirst({ where: { action: 'share.use', outcome: 'denied', target: made.body.share.id } });
    expect(denied).toMatchObject({ actorSub: 'svc:alice', details: expect.objectContaining({ reason: 'used' }) });
  });

  it('lets anonymous guests in with a guest identity where allowed', async () => {
    const made = await api(h, 'POST', shares(), { token: tokens.alice, body: { anonymous: true } });
    expect(made.status).toBe(201);
    const used = await open(made.body.url);
    expect(used.status).toBe(303);
    const ticket = await redeem(h, used.location!);
    expect(ticket).toMatchObject({ session: null, caller: { sub: expect.stringMatching(/^guest:/), name: 'Guest (share link)', roles: [] }, share: { id: made.body.share.id } });
    const a = await h.prisma.auditEvent.findFirst({ where: { action: 'share.use', target: made.body.share.id } });
    expect(a).toMatchObject({ outcome: 'success', actorKind: 'guest', actorSub: ticket.caller.sub });
    // a link for signed-in users sends a guest to sign in first (here: no provider, so 503 says so)
    const signedInOnly = await api(h, 'POST', shares(), { token: tokens.alice, body: {} });
    expect((await open(signedInOnly.body.url)).status).toBe(503);
  });

  it('revokes: the link answers 410, the routers hear it, the share check and unredeemed tickets fail', async () => {
    const made = await api(h, 'POST', shares(), { token: tokens.alice, body: {} });
    const id: string = made.body.share.id;
    const bob = await browser(h, users.bob);
    const pending = await open(made.body.url, { cookie: bob.cookie });
    expect(pending.status).toBe(303);
    expect((await api(h, 'DELETE', `${shares()}/${id}`, { token: tokens.bob })).status).toBe(404);
    const r = await api(h, 'DELETE', `${shares()}/${id}`, { token: tokens.alice });
    expect(r).toMatchObject({ status: 200, body: { id, state: 'REVOKED', revokedReason: 'REVOKED by alice' } });
    await watcher.flush();
    expect(revoked).toContainEqual(expect.objectContaining({ shareId: id, instanceId, reason: 'REVOKED' }));
    const gone = await open(made.body.url, { cookie: bob.cookie });
    expect(gone.status).toBe(410);
    expect(gone.text).toContain('This share link was revoked');
    expect(await refusal(h.rpc.rpc(ShareContracts.check, { share: id }, null))).toBe('UNAUTHENTICATED');
    expect(await refusal(redeem(h, pending.location!))).toBe('UNAUTHENTICATED');
    expect((await api(h, 'DELETE', `${shares()}/sh_nothing`, { token: tokens.alice })).status).toBe(404);
    expect(await h.prisma.auditEvent.findFirst({ where: { action: 'share.revoke', target: id, actorSub: 'svc:alice' } })).toMatchObject({ outcome: 'success', status: 200 });
    expect(await h.prisma.auditEvent.findFirst({ where: { action: 'share.revoke', target: id, actorSub: 'svc:bob' } })).toMatchObject({ outcome: 'failure', status: 404 });
  });

  it('answers an expired link 410 and an unknown one 404, the same for every unknown or malformed secret', async () => {
    const made = await api(h, 'POST', shares(), { token: tokens.alice, body: { expiresIn: '5m' } });
    await h.prisma.instanceShare.update({ where: { id: made.body.share.id }, data: { expiresAt: new Date(Date.now() - 1000) } });
    const expired = await open(made.body.url, { cookie: (await browser(h, users.bob)).cookie });
    expect(expired.status).toBe(410);
    expect(expired.text).toContain('This share link has expired');
    expect(await refusal(h.rpc.rpc(ShareContracts.check, { share: made.body.share.id }, null))).toBe('UNAUTHENTICATED');
    expect((await api(h, 'GET', shares(), { token: tokens.alice })).body.items.find((s: { id: string }) => s.id === made.body.share.id).state).toBe('EXPIRED');
    const pages = await Promise.all([`wsh_${'A'.repeat(43)}`, 'nonsense', made.body.url.split('/').pop()!.slice(0, -1) + 'x'].map((s) => open(`${h.url}/share/${s}`)));
    for (const p of pages) expect([p.status, p.text]).toEqual([404, pages[0]!.text]);
  });

  it('ends every link of an instance that is terminated, and makes no new ones', async () => {
    const run = await api(h, 'POST', '/api/v1/apps/hello/instances', { token: tokens.alice, body: { visibility: 'PRIVATE' } });
    const id: string = run.body.id;
    const made = await api(h, 'POST', shares(id), { token: tokens.alice, body: {} });
    expect((await api(h, 'DELETE', `/api/v1/instances/${id}`, { token: tokens.alice })).status).toBe(200);
    const end = Date.now() + 10_000;
    while (!revoked.some((e) => e.shareId === made.body.share.id) && Date.now() < end) await new Promise((r) => setTimeout(r, 50));
    expect(revoked).toContainEqual(expect.objectContaining({ shareId: made.body.share.id, instanceId: id, reason: 'TERMINATED' }));
    const gone = await open(made.body.url, { cookie: (await browser(h, users.bob)).cookie });
    expect(gone.status).toBe(410);
    expect(gone.text).toContain('The instance it shared was terminated.');
    // a terminated instance is gone for the API: nothing left to share
    const again = await api(h, 'POST', shares(id), { token: tokens.alice, body: {} });
    expect(again.status).toBe(404);
  });
});

describe('share links where anonymous guests are not allowed (the default), with the OpenID sign-in', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ LoginRatePerMinute: 1000 });
  });
  afterAll(() => h?.close());

  it('refuses anonymous links with a 403 naming Gateway.AllowAnonymousShares, and ends those made before it was turned off', async () => {
    const r = await api(h, 'POST', '/api/v1/instances/abcde12345/shares', { token: h.adminToken, body: { anonymous: true } });
    expect(r.status).toBe(403);
    expect(r.body.error.message).toContain('Gateway.AllowAnonymousShares');
    const secret = `wsh_${'b'.repeat(43)}`;
    await h.prisma.instanceShare.create({
      data: { id: 'sh_anonbefore', instanceId: 'abcde12345', secretHash: hashShareSecret(secret), createdBySub: 'alice', createdByName: 'alice', expiresAt: new Date(Date.now() + 3600_000), anonymous: true },
    });
    expect((await open(`${h.url}/share/${secret}`)).status).toBe(410);
    expect(await refusal(h.rpc.rpc(ShareContracts.check, { share: 'sh_anonbefore' }, null))).toBe('UNAUTHENTICATED');
  });

  it('sends someone not signed in to sign in first, then on to the instance', async () => {
    const secret = `wsh_${'c'.repeat(43)}`;
    await h.prisma.instanceShare.create({
      data: { id: 'sh_signin', instanceId: 'abcde12345', secretHash: hashShareSecret(secret), createdBySub: 'alice', createdByName: 'alice', expiresAt: new Date(Date.now() + 3600_000) },
    });
    const b = new NodeBrowser();
    const first = await b.get(`${h.url}/share/${secret}`);
    expect(first.status).toBe(303);
    expect(first.headers.get('location')).toBe(`/auth/login?next=${encodeURIComponent(`/share/${secret}`)}`);
    expect((await h.prisma.instanceShare.findUniqueOrThrow({ where: { id: 'sh_signin' } })).uses).toBe(0);
    const callback = await b.loginUntilCallback(h, 'bob', 'bob', `/share/${secret}`);
    const back = await b.get(callback);
    expect(back.headers.get('location')).toBe(`/share/${secret}`);
    const used = await b.get(`${h.url}/share/${secret}`);
    expect(used.status).toBe(303);
    const ticket = await redeem(h, used.headers.get('location')!);
    expect(ticket).toMatchObject({ caller: { name: expect.any(String), roles: expect.any(Array) }, share: { id: 'sh_signin', instanceId: 'abcde12345' } });
    expect(ticket.caller.sub).not.toMatch(/^guest:/);
  });
});
