import { randomBytes } from 'node:crypto';
import { Controller, Module, type INestApplication } from '@nestjs/common';
import { Payload } from '@nestjs/microservices';
import { Test } from '@nestjs/testing';
import {
  IdentityContracts,
  InstanceActivityEvent,
  InstanceChangedEvent,
  natsServerAuthorization,
  PLATFORM_SERVICES,
  signCallerAssertion,
  signInternalToken,
  WharfError,
  type PlatformService,
} from '@wharf/contracts';
import { startNatsServer, type NatsServer } from '@wharf/testing';
import { connect, JSONCodec, type NatsConnection } from 'nats';
import { connectNats, Handle, NatsModule, RpcClient, type Msg } from './index';

/**
 * NATS with the generated authorization (one user per service, permissions from SERVICE_ROLES),
 * a real handler, and the real `nats` client trying what an app that reached NATS would try.
 */
const SECRET = 'nats-auth-spec-internal-secret-0123456789';
const passwords = Object.fromEntries(PLATFORM_SERVICES.map((s) => [s, randomBytes(24).toString('hex')])) as Record<PlatformService, string>;
const json = JSONCodec<Record<string, unknown>>();
const admin = { sub: 'root', name: 'Root', roles: ['admin' as const] };
const alice = { sub: 'alice', name: 'Alice', roles: ['full-access' as const] };
const platformOf = (nats: NatsServer, service: PlatformService) => ({
  NatsUrl: nats.url,
  RequestTimeoutMs: 2000,
  InternalSecret: SECRET,
  NatsUser: service,
  NatsPassword: passwords[service],
});

const seen: { caller: unknown }[] = [];

@Controller()
class FakeGateway {
  @Handle(IdentityContracts.verifyToken)
  verify(@Payload() msg: Msg<typeof IdentityContracts.verifyToken>) {
    seen.push({ caller: msg.caller });
    return { caller: msg.caller ?? alice, kind: 'pat' as const, readOnly: false, expiresAt: null };
  }
}

describe('NATS authentication, subject permissions and signed caller assertions', () => {
  let nats: NatsServer;
  let gateway: INestApplication;
  let router: INestApplication;
  const conns: NatsConnection[] = [];
  const as = async (service: PlatformService) => {
    const nc = await connect({ servers: nats.url, user: service, pass: passwords[service], inboxPrefix: `_INBOX.${service}` });
    conns.push(nc);
    return nc;
  };

  beforeAll(async () => {
    nats = await startNatsServer({ config: natsServerAuthorization(passwords) });
    @Module({ imports: [NatsModule.forService('gateway', platformOf(nats, 'gateway'))], controllers: [FakeGateway] })
    class GatewayModule {}
    gateway = (await Test.createTestingModule({ imports: [GatewayModule] }).compile()).createNestApplication({ logger: false });
    await connectNats(gateway);
    await gateway.init();
    @Module({ imports: [NatsModule.forService('router', platformOf(nats, 'router'))] })
    class RouterModule {}
    router = (await Test.createTestingModule({ imports: [RouterModule] }).compile()).createNestApplication({ logger: false });
    await router.init();
    await router.get(RpcClient).connect();
  });
  afterAll(async () => {
    for (const nc of conns) await nc.close();
    await router?.close();
    await gateway?.close();
    await nats?.stop();
  });

  it('serves a signed request from a service with its own credentials', async () => {
    const rpc = router.get(RpcClient);
    await expect(rpc.rpc(IdentityContracts.verifyToken, { token: 't' }, alice)).resolves.toMatchObject({ caller: alice, kind: 'pat' });
    await expect(rpc.rpc(IdentityContracts.verifyToken, { token: 't' }, null)).resolves.toMatchObject({ caller: alice });
    expect(seen.slice(-2)).toEqual([{ caller: alice }, { caller: null }]);
  });

  it('refuses a client without or with wrong credentials', async () => {
    await expect(connect({ servers: nats.url })).rejects.toMatchObject({ code: 'AUTHORIZATION_VIOLATION' });
    await expect(connect({ servers: nats.url, user: 'gateway', pass: passwords.router })).rejects.toMatchObject({ code: 'AUTHORIZATION_VIOLATION' });
    await expect(connect({ servers: nats.url, user: 'app', pass: passwords.gateway })).rejects.toMatchObject({ code: 'AUTHORIZATION_VIOLATION' });
  });

  async function refusedSubscription(nc: NatsConnection, subject: string): Promise<string> {
    const sub = nc.subscribe(subject);
    try {
      for await (const m of sub) void m;
      return 'ended';
    } catch (e) {
      return (e as { code?: string }).code ?? String(e);
    }
  }

  it("lets no service subscribe to another's requests, replies or events it does not listen to", async () => {
    const router = await as('router');
    expect(await refusedSubscription(router, IdentityContracts.verifyToken.subject)).toBe('PERMISSIONS_VIOLATION'); // collect tokens, answer first
    expect(await refusedSubscription(router, 'gateway.>')).toBe('PERMISSIONS_VIOLATION');
    expect(await refusedSubscription(router, '_INBOX.>')).toBe('PERMISSIONS_VIOLATION'); // read others' answers
    expect(await refusedSubscription(router, '_INBOX.gateway.>')).toBe('PERMISSIONS_VIOLATION');
    const scheduler = await as('scheduler');
    expect(await refusedSubscription(scheduler, '>')).toBe('PERMISSIONS_VIOLATION');
    const gw = await as('gateway');
    expect(await refusedSubscription(gw, InstanceChangedEvent.subject)).toBe('PERMISSIONS_VIOLATION'); // internal addresses
  });

  /** Publishes `subject` as `from`, then the same as `owner`; returns which of the two `to` received. */
  async function deliveredFrom(from: PlatformService, owner: PlatformService, to: PlatformService, subject: string): Promise<string[]> {
    const [listener, intruder, legit] = [await as(to), await as(from), await as(owner)];
    const errors: string[] = [];
    void (async () => {
      for await (const s of intruder.status()) if (s.type === 'error') errors.push(String(s.data));
    })();
    const got: string[] = [];
    const sub = listener.subscribe(subject, { callback: (_e, m) => got.push(String(json.decode(m.data).from)) });
    await listener.flush();
    intruder.publish(subject, json.encode({ from }));
    await intruder.flush(); // processed (and refused) before the owner's message is sent
    legit.publish(subject, json.encode({ from: owner }));
    for (let i = 0; i < 100 && !got.includes(owner); i++) await new Promise((r) => setTimeout(r, 20));
    sub.unsubscribe();
    expect(errors.join()).toMatch(/PERMISSIONS_VIOLATION/);
    return got;
  }

  it('delivers events only from their owner', async () => {
    expect(await deliveredFrom('router', 'scheduler', 'router', InstanceChangedEvent.subject)).toEqual(['scheduler']);
    expect(await deliveredFrom('gateway', 'router', 'scheduler', InstanceActivityEvent.subject)).toEqual(['router']);
  });

  describe('forged envelopes sent to a real handler over real NATS', () => {
    const subject = IdentityContracts.verifyToken.subject;
    const body = { token: 'stolen' };
    let id = 0;
    async function send(envelope: Record<string, unknown>, to = subject): Promise<Record<string, unknown>> {
      const nc = await as('router'); // a client that got onto NATS (even with a service's credentials)
      const m = await nc.request(to, json.encode({ pattern: to, data: envelope, id: `forged-${++id}` }), { timeout: 3000 });
      return json.decode(m.data);
    }
    const refused = { err: { code: 'UNAUTHENTICATED', message: 'the caller assertion is missing or invalid' } };

    it('answers a correctly signed raw envelope (the control)', async () => {
      const answer = await send({ caller: alice, body, assertion: signCallerAssertion(SECRET, subject, alice, body) });
      expect(answer).toMatchObject({ response: { caller: alice } });
    });

    it.each([
      ['an admin caller without assertion', () => ({ caller: admin, body })],
      ['the platform (caller null) without assertion', () => ({ caller: null, body })],
      ['an assertion signed with another key', () => ({ caller: admin, body, assertion: signCallerAssertion('not-the-secret-0123456789', subject, admin, body) })],
      ['an expired assertion', () => ({ caller: admin, body, assertion: signCallerAssertion(SECRET, subject, admin, body, -1) })],
      ['an assertion for another subject', () => ({ caller: admin, body, assertion: signCallerAssertion(SECRET, IdentityContracts.checkSession.subject, admin, body) })],
      ['a swapped body', () => ({ caller: alice, body: { token: 'other' }, assertion: signCallerAssertion(SECRET, subject, alice, body) })],
      ['a swapped caller', () => ({ caller: admin, body, assertion: signCallerAssertion(SECRET, subject, alice, body) })],
      ['an internal HTTP token', () => ({ caller: admin, body, assertion: signInternalToken(SECRET, admin, subject) })],
      ['garbage', () => ({ caller: admin, body, assertion: 'a.b' })],
    ])('refuses %s with UNAUTHENTICATED, before the handler', async (_what, envelope) => {
      const before = seen.length;
      const answer = await send(envelope());
      expect(answer).toMatchObject(refused);
      expect(JSON.stringify(answer)).not.toContain(SECRET);
      expect(seen.length).toBe(before);
    });

    it('refuses through RpcClient too when the secrets differ', async () => {
      @Module({ imports: [NatsModule.forService('router', { ...platformOf(nats, 'router'), InternalSecret: 'some-other-secret-0123456789' })] })
      class OtherModule {}
      const other = (await Test.createTestingModule({ imports: [OtherModule] }).compile()).createNestApplication({ logger: false });
      await other.init();
      try {
        const e = (await other.get(RpcClient).rpc(IdentityContracts.verifyToken, body, admin).catch((x: unknown) => x)) as WharfError;
        expect(e).toBeInstanceOf(WharfError);
        expect(e.toWire()).toEqual({ code: 'UNAUTHENTICATED', message: 'the caller assertion is missing or invalid' });
      } finally {
        await other.close();
      }
    });
  });
});
