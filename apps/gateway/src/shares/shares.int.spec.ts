import type { INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { IdentityContracts, ShareContracts, ShareRevokedEvent, WharfError, type Caller } from '@wharf/contracts';
import { connectNats } from '@wharf/nats';
import { buildBundle, validManifest } from '@wharf/testing';
import { connect, type NatsConnection } from 'nats';
// The scheduler is another app: this spec runs its instance subjects over memory, in-process
// behind the gateway and a real repository, over real NATS.
import { loadSchedulerSettings } from '../../../scheduler/src/scheduler.config';
import { INSTANCE_DRIVER } from '../../../scheduler/src/drivers/instance-driver';
import { MemoryDriver, MemorySchedulerModule } from '../../../scheduler/src/test-support/memory-instances';
import { instanceRecordFixture } from '../../../scheduler/src/test-support/instance-record';
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

/** The router's redeem of the ticket in `location` for `site` (whatever the location says). */
function redeemAt(h: Harness, location: string, site: string) {
  return h.rpc.rpc(IdentityContracts.redeemTicket, { ticket: new URL(location).searchParams.get('t')!, host: site }, null);
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
  /** alice's instance of an app that asks to be served at /instance/<id>/ ([Runtime] RoutingMode = "BASE_URL"). */
  let baseUrlId = '';

  beforeAll(async () => {
    sys = await startGatewayWithRepository('wharf_gw_shares', { AllowAnonymousShares: true, ShareMaxHours: 48 });
    h = sys.h;
    const { platform } = h.app.get<GatewaySettings>(GATEWAY_SETTINGS);
    // DOMAIN by default, BASE_URL for apps that ask for it
    const { scheduler: schedulerConfig } = loadSchedulerSettings({ WHARF_PLATFORM_INTERNAL_SECRET: platform.InternalSecret, WHARF_SCHEDULER_ROUTING_MODES: '["DOMAIN", "BASE_URL"]' });
    expect(schedulerConfig).toMatchObject({ RoutingMode: 'DOMAIN', RoutingModes: ['DOMAIN', 'BASE_URL'] });
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
    const based = validManifest({ name: 'based', version: '1.0.0' }).replace('[Runtime]\n', '[Runtime]\nRoutingMode = "BASE_URL"\n');
    for (const bundle of [{ app: { name: 'hello', version: '1.0.0' } }, { manifest: based }]) {
      const res = await fetch(`${h.url}/api/v1/bundles`, {
        method: 'POST',
        headers: { authorization: `Bearer ${tokens.alice}`, 'content-type': 'application/zip' },
        body: new Uint8Array(await buildBundle(bundle)),
      });
      expect(res.status).toBe(201);
    }
    const run = await api(h, 'POST', '/api/v1/apps/hello/instances', { token: tokens.alice, body: { visibility: 'PRIVATE' } });
    expect(run.status).toBe(201);
    expect(run.body).toMatchObject({ routingMode: 'DOMAIN', basePath: '/' });
    instanceId = run.body.id;
    const runBased = await api(h, 'POST', '/api/v1/apps/based/instances', { token: tokens.alice, body: { visibility: 'PRIVATE' } });
    expect(runBased.status).toBe(201);
    expect(runBased.body).toMatchObject({ routingMode: 'BASE_URL', basePath: `/instance/${runBased.body.id}/` });
    baseUrlId = runBased.body.id;
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
    expect(list.body.anonymousAllowed).toBe(true); // clients offer links for guests only then
    expect(JSON.stringify(list.body)).not.toContain(secret);

    const bob = await browser(h, users.bob);
    const used = await open(url, { cookie: bob.cookie });
    expect(used.status).toBe(303);
    expect(used.headers.get('referrer-policy')).toBe('no-referrer');
    expect(new URL(used.location!).host).toBe(`${instanceId}.${APPS}`);
    // a DOMAIN instance: its own host, its start page `/`
    expect(used.location).toMatch(new RegExp(`^http://${instanceId}\\.apps\\.localhost:8081/\\.wharf/ticket\\?t=[^&]+&next=%2F$`));
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

  it('sends a link of a BASE_URL instance to /instance/<id>/ on the apps host, with a ticket for that site alone (signed in or guest, one-time too)', async () => {
    const site = `${APPS}/instance/${baseUrlId}`;
    const made = await api(h, 'POST', shares(baseUrlId), { token: tokens.alice, body: {} });
    expect(made.status).toBe(201);
    const bob = await browser(h, users.bob);
    const used = await open(made.body.url, { cookie: bob.cookie });
    expect(used.status).toBe(303);
    expect(used.location).toMatch(new RegExp(`^http://apps\\.localhost:8081/instance/${baseUrlId}/\\.wharf/ticket\\?t=[^&]+&next=%2Finstance%2F${baseUrlId}%2F$`));
    // not at the instance's DOMAIN host (which does not serve it), nor at the bare apps host every
    // BASE_URL instance shares, nor at another instance's site: only at its own
    for (const other of [`${baseUrlId}.${APPS}`, APPS, `${APPS}/instance/${instanceId}`, `${APPS}/instance/${baseUrlId}/`]) {
      expect([other, await refusal(redeemAt(h, used.location!, other))]).toEqual([other, 'UNAUTHENTICATED']);
    }
    expect(await redeemAt(h, used.location!, site)).toMatchObject({ caller: { sub: 'svc:bob', name: 'bob' }, host: site, share: { id: made.body.share.id, instanceId: baseUrlId } });
    const audited = await h.prisma.auditEvent.findFirst({ where: { action: 'share.use', target: made.body.share.id, actorSub: 'svc:bob' } });
    expect(audited).toMatchObject({ outcome: 'success', status: 303, details: expect.objectContaining({ instanceId: baseUrlId, guest: false, uses: 1 }) });

    // a guest's one-time link: the Open page first, then the same site
    const once = await api(h, 'POST', shares(baseUrlId), { token: tokens.alice, body: { anonymous: true, oneTime: true } });
    expect((await open(once.body.url)).text).toContain('opens <b>once</b>');
    const guest = await open(once.body.url, { method: 'POST', form: {} });
    expect(guest.status).toBe(303);
    expect(new URL(guest.location!).pathname).toBe(`/instance/${baseUrlId}/.wharf/ticket`);
    expect(new URL(guest.location!).searchParams.get('next')).toBe(`/instance/${baseUrlId}/`);
    expect(await redeemAt(h, guest.location!, site)).toMatchObject({ session: null, caller: { sub: expect.stringMatching(/^guest:/) }, host: site, share: { id: once.body.share.id } });
  });

  it('answers 410 for a link whose instance the scheduler no longer has (before any Open page or use), and ends its links', async () => {
    // as after a termination whose event the gateway missed: the share is still open, the instance gone
    const secret = `wsh_${'g'.repeat(43)}`;
    await h.prisma.instanceShare.create({
      data: { id: 'sh_gone', instanceId: 'gone123456', secretHash: hashShareSecret(secret), createdBySub: 'svc:alice', createdByName: 'alice', expiresAt: new Date(Date.now() + 3600_000), oneTime: true },
    });
    const gone = await open(`${h.url}/share/${secret}`, { cookie: (await browser(h, users.bob)).cookie });
    expect(gone.status).toBe(410);
    expect(gone.text).toContain('The instance it shared was terminated.');
    expect(gone.text).not.toContain('opens <b>once</b>');
    expect(await h.prisma.instanceShare.findUniqueOrThrow({ where: { id: 'sh_gone' } })).toMatchObject({ uses: 0, revokedReason: 'TERMINATED', revokedAt: expect.any(Date) });
    await watcher.flush();
    expect(revoked).toContainEqual(expect.objectContaining({ shareId: 'sh_gone', instanceId: 'gone123456', reason: 'TERMINATED' }));
    expect(await refusal(h.rpc.rpc(ShareContracts.check, { share: 'sh_gone' }, null))).toBe('UNAUTHENTICATED');
    expect(await h.prisma.auditEvent.findFirst({ where: { action: 'share.use', target: 'sh_gone' } })).toMatchObject({
      outcome: 'denied',
      status: 410,
      actorSub: 'svc:bob',
      details: expect.objectContaining({ instanceId: 'gone123456', reason: 'instance gone' }),
    });
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
  let scheduler: INestApplication | undefined;
  beforeAll(async () => {
    h = await startHarness({ LoginRatePerMinute: 1000 });
    // a memory scheduler that has instance abcde12345 (a DOMAIN one), whose links these specs make
    const { platform } = h.app.get<GatewaySettings>(GATEWAY_SETTINGS);
    const { scheduler: schedulerConfig } = loadSchedulerSettings({ WHARF_PLATFORM_INTERNAL_SECRET: platform.InternalSecret });
    scheduler = await NestFactory.create(MemorySchedulerModule.forRoot({ platform, scheduler: schedulerConfig }), { logger: ['error'] });
    scheduler.get<MemoryDriver>(INSTANCE_DRIVER).records.set('abcde12345', instanceRecordFixture({ id: 'abcde12345' }));
    await connectNats(scheduler);
    await scheduler.init();
  });
  afterAll(async () => {
    await scheduler?.close();
    await h?.close();
  });

  it('refuses anonymous links with a 403 naming Gateway.AllowAnonymousShares, and ends those made before it was turned off', async () => {
    const r = await api(h, 'POST', '/api/v1/instances/abcde12345/shares', { token: h.adminToken, body: { anonymous: true } });
    expect(r.status).toBe(403);
    expect(r.body.error.message).toContain('Gateway.AllowAnonymousShares');
    expect((await api(h, 'GET', '/api/v1/instances/abcde12345/shares', { token: h.adminToken })).body).toMatchObject({ anonymousAllowed: false });
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
    expect(new URL(used.headers.get('location')!).host).toBe(`abcde12345.${APPS}`);
  });

  it('answers the usual 503 while the scheduler does not answer where the instance is served, and leaves the link unused', async () => {
    const secret = `wsh_${'d'.repeat(43)}`;
    await h.prisma.instanceShare.create({
      data: { id: 'sh_nosched', instanceId: 'abcde12345', secretHash: hashShareSecret(secret), createdBySub: 'alice', createdByName: 'alice', expiresAt: new Date(Date.now() + 3600_000) },
    });
    await scheduler!.close();
    scheduler = undefined;
    const res = await open(`${h.url}/share/${secret}`, { cookie: (await browser(h, { sub: 'svc:bob', name: 'bob', roles: ['full-access'] })).cookie });
    expect(res.status).toBe(503);
    expect(JSON.parse(res.text)).toMatchObject({ error: { code: 'UNAVAILABLE', message: expect.stringContaining('scheduler.instance.locate.v1') } });
    expect((await h.prisma.instanceShare.findUniqueOrThrow({ where: { id: 'sh_nosched' } })).uses).toBe(0);
    expect(await h.prisma.instanceTicket.count({ where: { shareId: 'sh_nosched' } })).toBe(0);
  });
});
