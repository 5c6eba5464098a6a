import { Controller, Module } from '@nestjs/common';
import { Payload } from '@nestjs/microservices';
import { Test } from '@nestjs/testing';
import { defineEvent, defineRequest, notFound, WharfError } from '@wharf/contracts';
import { z } from 'zod';
import { connectNats, currentRequestId, Handle, NatsModule, OnEvent, RpcClient, withRequestId, type Msg } from './index';

const NATS = process.env.NATS_URL ?? 'nats://127.0.0.1:4222';
const ns = `t${(process.pid * 100000 + (Date.now() % 100000)).toString(36).replace(/[0-9]/g, (d) => "abcdefghij"[Number(d)]!)}`;

const Echo = defineRequest(`test.${ns}.echo.v1`, z.object({ text: z.string().min(1), n: z.number().default(1) }), z.object({ text: z.string(), who: z.string().nullable() }));
const Fail = defineRequest(`test.${ns}.fail.v1`, z.object({ kind: z.enum(['domain', 'crash', 'bad-response']) }), z.object({ ok: z.boolean() }));
const Slow = defineRequest(`test.${ns}.slow.v1`, z.object({}), z.object({}));
const Who = defineRequest(`test.${ns}.who.v1`, z.object({}), z.object({ requestId: z.string().nullable() }));
const Nobody = defineRequest(`test.${ns}.nobody.v1`, z.object({}), z.object({}));
const Happened = defineEvent(`events.${ns}.happened.v1`, z.object({ n: z.number() }));

const Broadcast = defineEvent(`events.${ns}.broadcast.v1`, z.object({ n: z.number() }));
const seen: number[] = [];
const broadcastSeen: number[] = [];
let handled = 0;

@Controller()
class TestHandlers {
  @Handle(Echo)
  echo(@Payload() msg: Msg<typeof Echo>) {
    handled++;
    return { text: msg.body.text.repeat(msg.body.n), who: msg.caller?.name ?? null };
  }
  @Handle(Fail)
  fail(@Payload() msg: Msg<typeof Fail>) {
    if (msg.body.kind === 'domain') throw notFound('thing 42 not found', { id: 42 });
    if (msg.body.kind === 'crash') throw new Error('boom');
    return { ok: 'not a boolean' };
  }
  @Handle(Who)
  async who() {
    await new Promise((r) => setTimeout(r, 5));
    return { requestId: currentRequestId() ?? null };
  }
  @Handle(Slow)
  async slow() {
    await new Promise((r) => setTimeout(r, 1500));
    return {};
  }
  @OnEvent(Broadcast, { broadcast: true })
  everyReplica(@Payload() p: { n: number }) {
    broadcastSeen.push(p.n);
  }

  @OnEvent(Happened)
  happened(@Payload() p: { n: number }) {
    seen.push(p.n);
  }
}

async function startApp(queue: string) {
  @Module({ imports: [NatsModule.forService(queue, { NatsUrl: NATS, RequestTimeoutMs: 500, InternalSecret: 'nats-spec-internal-secret-0123' })], controllers: [TestHandlers] })
  class AppModule {}
  const mod = await Test.createTestingModule({ imports: [AppModule] }).compile();
  const app = mod.createNestApplication({ logger: false });
  await connectNats(app, { queue: `${queue}-${ns}` });
  await app.init();
  return app;
}

describe('libs/nats over a real NATS server', () => {
  let a: Awaited<ReturnType<typeof startApp>>;
  let b: Awaited<ReturnType<typeof startApp>>;
  let client: RpcClient;
  const caller = { sub: 'u1', name: 'ada', roles: ['full-access' as const] };

  beforeAll(async () => {
    a = await startApp('svc');
    b = await startApp('svc');
    client = a.get(RpcClient);
    await client.connect();
  });
  afterAll(async () => {
    await a?.close();
    await b?.close();
  });

  it('round-trips a typed request with defaults applied and the caller attached', async () => {
    await expect(client.rpc(Echo, { text: 'ab', n: 2 }, caller)).resolves.toEqual({ text: 'abab', who: 'ada' });
    await expect(client.rpc(Echo, { text: 'x' }, null)).resolves.toEqual({ text: 'x', who: null });
  });

  it("handles a request as part of the sender's request: its id, through the handler's awaits", async () => {
    await expect(withRequestId('trace-7', () => client.rpc(Who, {}, caller))).resolves.toEqual({ requestId: 'trace-7' });
    // none sent (outside any request): the handler still runs under an id of its own
    const { requestId } = await client.rpc(Who, {}, caller);
    expect(requestId).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('validates on the client side with field paths', async () => {
    const e = await client.rpc(Echo, { text: '' }, caller).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(WharfError);
    expect((e as WharfError).code).toBe('INVALID');
    expect((e as WharfError).message).toMatch(/text/);
  });

  it('validates on the server side too', async () => {
    const raw = await client.rpc({ ...Echo, envelope: z.any() } as unknown as typeof Echo, { text: 5 } as never, caller).catch((x: unknown) => x);
    expect((raw as WharfError).code).toBe('INVALID');
    expect((raw as WharfError).message).toMatch(/text/);
  });

  it('carries domain errors across the wire with code, message and details', async () => {
    const e = (await client.rpc(Fail, { kind: 'domain' }, caller).catch((x: unknown) => x)) as WharfError;
    expect(e).toBeInstanceOf(WharfError);
    expect(e.toWire()).toEqual({ code: 'NOT_FOUND', message: 'thing 42 not found', details: { id: 42 } });
  });

  it('maps crashes and invalid responses to INTERNAL', async () => {
    expect(((await client.rpc(Fail, { kind: 'crash' }, caller).catch((x) => x)) as WharfError).code).toBe('INTERNAL');
    expect(((await client.rpc(Fail, { kind: 'bad-response' }, caller).catch((x) => x)) as WharfError).code).toBe('INTERNAL');
  });

  it('times out with UNAVAILABLE instead of hanging', async () => {
    const e = (await client.rpc(Slow, {}, caller).catch((x) => x)) as WharfError;
    expect(e.code).toBe('UNAVAILABLE');
    expect(e.message).toMatch(/did not answer within 500 ms/);
  });

  it('reports a subject nobody serves as UNAVAILABLE with reason NO_RESPONDERS', async () => {
    const e = (await client.rpc(Nobody, {}, caller).catch((x) => x)) as WharfError;
    expect(e.message).toMatch(/no service answers/); // not the timeout's message
    expect(e.code).toBe('UNAVAILABLE');
    expect(e.details).toMatchObject({ reason: 'NO_RESPONDERS' });
  });

  it('shares requests between replicas in the queue group, each handled once', async () => {
    handled = 0;
    await Promise.all(Array.from({ length: 40 }, (_, i) => client.rpc(Echo, { text: String(i) }, caller)));
    expect(handled).toBe(40);
  });

  it('delivers events once per service (queue group)', async () => {
    seen.length = 0;
    await client.emit(Happened, { n: 7 });
    for (let i = 0; i < 50 && seen.length === 0; i++) await new Promise((r) => setTimeout(r, 20));
    await new Promise((r) => setTimeout(r, 100));
    expect(seen).toEqual([7]);
  });

  it('delivers broadcast events to every replica', async () => {
    await client.emit(Broadcast, { n: 3 });
    for (let i = 0; i < 50 && broadcastSeen.length < 2; i++) await new Promise((r) => setTimeout(r, 20));
    await new Promise((r) => setTimeout(r, 100));
    expect(broadcastSeen).toEqual([3, 3]);
  });
});
