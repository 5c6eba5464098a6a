import type { INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { Caller, Instance } from '@wharf/contracts';
import { connectNats, Shutdown } from '@wharf/nats';
import { buildBundle, freePort } from '@wharf/testing';
// The scheduler is another app: this spec runs its real instance handlers, service and supervisor
// over memory, in-process behind the gateway and a real repository, over real NATS.
import { INSTANCE_DRIVER } from '../../../scheduler/src/drivers/instance-driver';
import { InstanceSupervisor } from '../../../scheduler/src/instances/instance.supervisor';
import { loadSchedulerSettings } from '../../../scheduler/src/scheduler.config';
import { MemorySchedulerModule, type MemoryDriver } from '../../../scheduler/src/test-support/memory-instances';
import { startGateway } from '../bootstrap';
import { GATEWAY_SETTINGS, type GatewaySettings } from '../gateway.config';
import { sha256 } from '../identity/cookies';
import { SessionService } from '../identity/session/session.service';
import { api, type Harness } from '../testing/identity.harness';
import { startGatewayWithRepository, type GatewayWithRepository } from '../testing/repository.harness';
import { InstanceEventsHub } from './instance-events.hub';

jest.setTimeout(60_000);

interface Frame {
  event: string;
  id: string | null;
  data: unknown;
}

/**
 * A client of GET /api/v1/events over real HTTP: keeps every frame and comment, and waits for
 * what it is told to (never for a time: jest's timeout bounds every wait).
 */
class SseClient {
  readonly frames: Frame[] = [];
  readonly comments: string[] = [];
  headers!: Headers;
  private readonly abort = new AbortController();
  private waiters: (() => void)[] = [];
  private done = false;
  /** Resolves when the server ends the stream. */
  ended!: Promise<void>;

  static async open(base: string, auth: { token?: string; cookie?: string }, query = ''): Promise<SseClient> {
    const c = new SseClient();
    const res = await fetch(`${base}/api/v1/events${query}`, {
      headers: { ...(auth.token ? { authorization: `Bearer ${auth.token}` } : {}), ...(auth.cookie ? { cookie: auth.cookie } : {}) },
      signal: c.abort.signal,
    });
    if (res.status !== 200) throw new Error(`GET /api/v1/events answered ${res.status}: ${await res.text()}`);
    c.headers = res.headers;
    c.ended = c.read(res.body!);
    await c.until(() => c.comments.includes('ready'));
    return c;
  }

  private async read(body: ReadableStream<Uint8Array>): Promise<void> {
    const decoder = new TextDecoder();
    let buffer = '';
    try {
      for await (const chunk of body) {
        buffer += decoder.decode(chunk, { stream: true });
        let cut: number;
        while ((cut = buffer.indexOf('\n\n')) >= 0) {
          this.parse(buffer.slice(0, cut));
          buffer = buffer.slice(cut + 2);
        }
        this.wake();
      }
    } catch {
      // aborted by the test
    }
    this.done = true;
    this.wake();
  }

  private parse(block: string): void {
    const fields: Record<string, string> = {};
    for (const line of block.split('\n')) {
      if (line.startsWith(':')) this.comments.push(line.slice(1).trim());
      else if (line.includes(':')) fields[line.slice(0, line.indexOf(':'))] = line.slice(line.indexOf(':') + 1).trimStart();
    }
    if (fields.event) this.frames.push({ event: fields.event, id: fields.id ?? null, data: fields.data ? JSON.parse(fields.data) : null });
  }

  private wake(): void {
    const w = this.waiters;
    this.waiters = [];
    for (const f of w) f();
  }

  /** Waits until `ok()` holds (checked at each chunk received). */
  async until(ok: () => boolean): Promise<void> {
    while (!ok()) {
      if (this.done) throw new Error('the stream ended');
      await new Promise<void>((r) => this.waiters.push(r));
    }
  }

  /** The first frame from `from` on that `match`es, once it came. */
  async next(match: (f: Frame) => boolean, from = 0): Promise<Frame> {
    let found: Frame | undefined;
    await this.until(() => !!(found = this.frames.slice(from).find(match)));
    return found!;
  }

  instances(id: string): Instance[] {
    return this.frames.filter((f) => f.event === 'instance' && (f.data as Instance).id === id).map((f) => f.data as Instance);
  }

  close(): void {
    this.abort.abort();
  }
}

const isInstance = (id: string, status?: string, reason?: string) => (f: Frame) =>
  f.event === 'instance' &&
  (f.data as Instance).id === id &&
  (status === undefined || (f.data as Instance).status === status) &&
  (reason === undefined || (f.data as Instance).statusReason === reason);

describe('GET /api/v1/events: live instance events, filtered to what the caller may see', () => {
  let sys: GatewayWithRepository;
  let h: Harness;
  let scheduler: INestApplication;
  let hub: InstanceEventsHub;
  const tokens: Record<'alice' | 'bob' | 'vic', string> = { alice: '', bob: '', vic: '' };
  let appVersionId = '';
  let guestVersionId = '';
  const open: SseClient[] = [];
  const sse = async (base: string, auth: { token?: string; cookie?: string }, query = '') => {
    const c = await SseClient.open(base, auth, query);
    open.push(c);
    return c;
  };

  beforeAll(async () => {
    sys = await startGatewayWithRepository('wharf_gw_events', { EventsHeartbeatSeconds: 1, EventsRevalidateSeconds: 1, EventsMaxStreamsPerUser: 5 });
    h = sys.h;
    hub = h.app.get(InstanceEventsHub);
    const { platform } = h.app.get<GatewaySettings>(GATEWAY_SETTINGS);
    const { scheduler: schedulerConfig } = loadSchedulerSettings({ WHARF_PLATFORM_INTERNAL_SECRET: platform.InternalSecret });
    scheduler = await NestFactory.create(MemorySchedulerModule.forRoot({ platform, scheduler: schedulerConfig }), { logger: ['error'] });
    await connectNats(scheduler);
    await scheduler.init();
    tokens.alice = (await api(h, 'POST', '/api/v1/tokens', { token: h.adminToken, body: { user: 'alice', name: 'alice' } })).body.token;
    tokens.bob = (await api(h, 'POST', '/api/v1/tokens', { token: h.adminToken, body: { user: 'bob', name: 'bob' } })).body.token;
    tokens.vic = (await api(h, 'POST', '/api/v1/tokens', { token: h.adminToken, body: { user: 'vic', name: 'vic', roles: ['visitor'] } })).body.token;
    const res = await fetch(`${h.url}/api/v1/bundles`, {
      method: 'POST',
      headers: { authorization: `Bearer ${tokens.alice}`, 'content-type': 'application/zip' },
      body: new Uint8Array(await buildBundle({ app: { name: 'hello', version: '1.0.0' } })),
    });
    expect(res.status).toBe(201);
    appVersionId = ((await res.json()) as { id: string }).id;
    expect((await api(h, 'PATCH', `/api/v1/apps/${appVersionId}`, { token: tokens.alice, body: { visibility: 'ALL_USERS' } })).status).toBe(200);
    // an app a tag lets visitors run, for vic's own instances
    const guest = await fetch(`${h.url}/api/v1/bundles`, {
      method: 'POST',
      headers: { authorization: `Bearer ${h.adminToken}`, 'content-type': 'application/zip' },
      body: new Uint8Array(await buildBundle({ app: { name: 'guest', version: '1.0.0' } })),
    });
    expect(guest.status).toBe(201);
    guestVersionId = ((await guest.json()) as { id: string }).id;
    expect((await api(h, 'PATCH', `/api/v1/apps/${guestVersionId}`, { token: h.adminToken, body: { visibility: 'ALL_USERS' } })).status).toBe(200);
    expect((await api(h, 'POST', '/api/v1/tags', { token: h.adminToken, body: { name: 'demo', title: 'Demo', visitorRoles: ['visitor'] } })).status).toBe(201);
    expect((await api(h, 'PUT', `/api/v1/apps/${guestVersionId}/tags/demo`, { token: h.adminToken })).status).toBe(200);
  }, 60_000);

  afterEach(async () => {
    for (const c of open.splice(0)) c.close();
    while (hub.size > 0) await new Promise((r) => setTimeout(r, 20));
  });

  afterAll(async () => {
    await scheduler?.close();
    await sys?.close();
  });

  const run = async (token: string, visibility = 'PRIVATE', app = appVersionId): Promise<Instance> => {
    const r = await api(h, 'POST', `/api/v1/apps/${app}/instances`, { token, body: { visibility } });
    expect(r.status).toBe(201);
    return r.body as Instance;
  };
  /** vic's own instance (of the guest app a tag grants visitors). */
  const runAsVic = () => run(tokens.vic, 'PRIVATE', guestVersionId);
  /** A launcher's report, through the scheduler's real supervisor (which publishes the events). */
  const report = async (id: string, status: 'INSTALLING' | 'STARTING' | 'RUNNING', reason: string | null) => {
    const generation = scheduler.get<MemoryDriver>(INSTANCE_DRIVER).records.get(id)!.generation;
    await scheduler.get(InstanceSupervisor).reportStatus(id, { generation, status, reason });
  };
  const get = async (token: string, id: string) => (await api(h, 'GET', `/api/v1/instances/${id}`, { token })).body as Instance;

  it('streams with the SSE headers, a first comment and heartbeats', async () => {
    const c = await sse(h.url, { token: tokens.alice });
    expect(c.headers.get('content-type')).toBe('text/event-stream; charset=utf-8');
    expect(c.headers.get('cache-control')).toBe('no-store');
    expect(c.headers.get('x-accel-buffering')).toBe('no');
    await c.until(() => c.comments.includes('heartbeat'));
  });

  it('refuses callers without credentials or with a bad token, and bad filters', async () => {
    expect((await api(h, 'GET', '/api/v1/events')).status).toBe(401);
    expect((await api(h, 'GET', '/api/v1/events', { token: 'wharf_pat_nope0000000000000000000000' })).status).toBe(401);
    const bad = await api(h, 'GET', '/api/v1/events?instance=NOT-AN-ID', { token: tokens.alice });
    expect(bad).toMatchObject({ status: 400, body: { error: { code: 'INVALID' } } });
  });

  it("gives the owner and admins a private instance's every change, the launcher's steps included, as GET answers it; nobody else", async () => {
    const [alice, bob, admin, vic] = [
      await sse(h.url, { token: tokens.alice }),
      await sse(h.url, { token: tokens.bob }),
      await sse(h.url, { token: h.adminToken }),
      await sse(h.url, { token: tokens.vic }),
    ];
    const mine = await run(tokens.alice);
    await alice.next(isInstance(mine.id, 'PROVISIONING'));
    await report(mine.id, 'INSTALLING', 'Fetching the bundle');
    const step = await alice.next(isInstance(mine.id, 'INSTALLING'));
    expect(step.data).toEqual(await get(tokens.alice, mine.id)); // exactly what the REST API says
    expect(step.data).toMatchObject({ statusReason: 'Fetching the bundle' });
    expect(step.data).not.toHaveProperty('address');
    expect((await admin.next(isInstance(mine.id, 'INSTALLING'))).data).toEqual(await get(h.adminToken, mine.id));

    // bob's own instance comes after alice's on the bus: once bob has it, he would have had hers
    const his = await run(tokens.bob);
    await bob.next(isInstance(his.id, 'PROVISIONING'));
    expect(bob.instances(mine.id)).toEqual([]);
    const vics = await runAsVic();
    await vic.next(isInstance(vics.id, 'PROVISIONING'));
    expect(vic.instances(mine.id)).toEqual([]);
    expect(vic.instances(his.id)).toEqual([]);
    // alice owns the app: she reads status and logs of every instance of it, bob's too
    expect((await alice.next(isInstance(his.id))).data).toEqual(await get(tokens.alice, his.id));
    expect((await admin.next(isInstance(vics.id))).data).toEqual(vics); // as the Run answered it

    // ids increase along a stream
    const ids = alice.frames.map((f) => Number(f.id));
    expect(ids.length).toBeGreaterThan(1);
    expect([...ids].sort((a, b) => a - b)).toEqual(ids);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('shows a shared instance to other users with the generic reason, a visitor only with a tag that grants the role, and says gone when it is private again', async () => {
    const [bob, vic] = [await sse(h.url, { token: tokens.bob }), await sse(h.url, { token: tokens.vic })];
    const shared = await run(tokens.alice, 'ALL_USERS');
    await report(shared.id, 'INSTALLING', 'Installing requirements.txt');
    const seen = await bob.next(isInstance(shared.id, 'INSTALLING'));
    expect(seen.data).toEqual(await get(tokens.bob, shared.id));
    expect(seen.data).toMatchObject({ statusReason: 'Starting' }); // the step is for those who read the logs
    // no tag grants visitors this app yet: vic's own instance comes after, and nothing of alice's before
    const vics = await runAsVic();
    await vic.next(isInstance(vics.id));
    expect(vic.instances(shared.id)).toEqual([]);
    expect((await api(h, 'GET', `/api/v1/instances/${shared.id}`, { token: tokens.vic })).status).toBe(404);

    expect((await api(h, 'PUT', `/api/v1/apps/${appVersionId}/tags/demo`, { token: h.adminToken })).status).toBe(200);
    await report(shared.id, 'STARTING', 'Starting hello.app');
    const granted = await vic.next(isInstance(shared.id, 'STARTING'));
    expect(granted.data).toEqual(await get(tokens.vic, shared.id));

    expect((await api(h, 'PATCH', `/api/v1/instances/${shared.id}`, { token: tokens.alice, body: { visibility: 'PRIVATE' } })).status).toBe(200);
    for (const c of [bob, vic]) expect((await c.next((f) => f.event === 'gone')).data).toEqual({ id: shared.id });
    expect((await api(h, 'DELETE', `/api/v1/apps/${appVersionId}/tags/demo`, { token: h.adminToken })).status).toBe(200);
  });

  it('sends a terminated instance a last time, and filters by instance, app and owner', async () => {
    const a = await run(tokens.alice);
    const b = await run(tokens.alice);
    const bobSub = (await api(h, 'GET', '/api/v1/me', { token: tokens.bob })).body.sub as string;
    const [all, onlyA, byApp, byOwner] = [
      await sse(h.url, { token: tokens.alice }),
      await sse(h.url, { token: tokens.alice }, `?instance=${a.id}`),
      await sse(h.url, { token: h.adminToken }, '?app=hello'),
      await sse(h.url, { token: h.adminToken }, `?owner=${encodeURIComponent(bobSub)}`),
    ];
    await report(b.id, 'RUNNING', null);
    await report(a.id, 'RUNNING', null);
    expect((await api(h, 'DELETE', `/api/v1/instances/${a.id}`, { token: tokens.alice })).status).toBe(200);
    const last = await all.next(isInstance(a.id, 'TERMINATED'));
    expect(last.data).toMatchObject({ id: a.id, status: 'TERMINATED' });
    await onlyA.next(isInstance(a.id, 'TERMINATED'));
    expect(onlyA.frames.filter((f) => (f.data as Instance).id !== a.id)).toEqual([]);
    await byApp.next(isInstance(a.id, 'TERMINATED'));
    const bobs = await run(tokens.bob);
    await byOwner.next(isInstance(bobs.id));
    await byApp.next(isInstance(bobs.id));
    expect(byOwner.frames.map((f) => (f.data as Instance).owner.sub)).toEqual([bobSub]);
  });

  it('shares one subscription per replica between all its streams, and every replica gets every event', async () => {
    const settings = h.app.get<GatewaySettings>(GATEWAY_SETTINGS);
    const port = await freePort();
    const second = await startGateway({ ...settings, gateway: { ...settings.gateway, Port: port } }, { quiet: true });
    try {
      const url2 = `http://127.0.0.1:${port}`;
      const hub2 = second.app.get(InstanceEventsHub);
      const here = [await sse(h.url, { token: tokens.alice }), await sse(h.url, { token: tokens.alice }), await sse(h.url, { token: h.adminToken })];
      const there = [await sse(url2, { token: tokens.alice }), await sse(url2, { token: h.adminToken })];
      const before = [hub.received, hub2.received];
      const i = await run(tokens.alice);
      for (const c of [...here, ...there]) await c.next(isInstance(i.id, 'PROVISIONING'));
      // one event (CREATED) reached each replica once, not once per stream nor once per service
      expect([hub.received - before[0]!, hub2.received - before[1]!]).toEqual([1, 1]);
    } finally {
      await second.app.close();
    }
  });

  it('ends the streams of a replica that stops taking work, and only those', async () => {
    const settings = h.app.get<GatewaySettings>(GATEWAY_SETTINGS);
    const port = await freePort();
    const stopping = await startGateway({ ...settings, gateway: { ...settings.gateway, Port: port } }, { quiet: true });
    try {
      const there = await sse(`http://127.0.0.1:${port}`, { token: tokens.alice });
      const here = await sse(h.url, { token: tokens.alice });
      await stopping.app.get(Shutdown).drain({ ShutdownDelaySeconds: 0, ShutdownGraceSeconds: 5 });
      await there.ended; // the client reconnects, to a replica that is not stopping
      expect(stopping.app.get(InstanceEventsHub).size).toBe(0);
      const i = await run(tokens.alice);
      await here.next(isInstance(i.id));
    } finally {
      await stopping.app.close();
    }
  });

  it('removes the stream when the client goes away', async () => {
    const c = await sse(h.url, { token: tokens.bob });
    expect(hub.size).toBe(1);
    c.close();
    await c.ended;
    while (hub.size !== 0) await new Promise((r) => setTimeout(r, 20));
    // and the events after it go to the streams still open only
    const i = await run(tokens.bob);
    const other = await sse(h.url, { token: tokens.bob }, `?instance=${i.id}`);
    await report(i.id, 'RUNNING', null);
    await other.next(isInstance(i.id, 'RUNNING'));
    expect(hub.size).toBe(1);
  });

  it('limits the streams one user holds open', async () => {
    for (let n = 0; n < 5; n++) await sse(h.url, { token: tokens.vic }); // EventsMaxStreamsPerUser
    const refused = await api(h, 'GET', '/api/v1/events', { token: tokens.vic });
    expect(refused).toMatchObject({ status: 429, body: { error: { code: 'LIMIT_EXCEEDED' } } });
    await sse(h.url, { token: tokens.bob }); // per user
  });

  it("ends the stream of a revoked token at once, and of an ended session at the next check, with an end event", async () => {
    const created = await api(h, 'POST', '/api/v1/tokens', { token: tokens.alice, body: { name: 'events' } });
    const c = await sse(h.url, { token: created.body.token });
    expect((await api(h, 'DELETE', `/api/v1/tokens/${created.body.id}`, { token: tokens.alice })).status).toBe(200);
    await c.ended;
    expect(c.frames[c.frames.length - 1]).toMatchObject({ event: 'end', data: { code: 'UNAUTHENTICATED' } });

    const sessions = h.app.get(SessionService);
    const me = (await api(h, 'GET', '/api/v1/me', { token: tokens.alice })).body as Caller;
    const alice: Caller = { sub: me.sub, name: me.name, roles: me.roles }; // the same user, signed in with a browser
    const { setCookie } = await sessions.create(alice, null, null);
    const cookie = setCookie.split(';')[0]!;
    const s = await sse(h.url, { cookie });
    const i = await run(tokens.alice);
    await s.next(isInstance(i.id)); // the session sees alice's instances
    await sessions.destroy(sha256(cookie.slice(cookie.indexOf('=') + 1))); // signed out (on any replica)
    await s.ended;
    expect(s.frames[s.frames.length - 1]).toMatchObject({ event: 'end', data: { code: 'UNAUTHENTICATED' } });
    expect((await api(h, 'GET', '/api/v1/events', { cookie })).status).toBe(401);
  });
});
