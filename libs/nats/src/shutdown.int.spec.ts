import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Controller, Get, HttpException, Logger, Module, Query, Res } from '@nestjs/common';
import { Payload } from '@nestjs/microservices';
import { Test } from '@nestjs/testing';
import { defineEvent, defineRequest } from '@wharf/contracts';
import type { Response } from 'express';
import { z } from 'zod';
import { connectNats, gracefulShutdown, Handle, NatsModule, natsServersOf, OnEvent, RpcClient, Shutdown, type Msg } from './index';

/**
 * The graceful shutdown of a hybrid Nest app (HTTP + NATS) against a real NATS server and real
 * HTTP: readiness first, requests in flight answered, new NATS requests taken by the other
 * replica, endless streams ended, what outlives the grace period cut. The router's websockets
 * and real SIGTERMs to real service processes: apps/router/src/graceful-shutdown.int.spec.ts.
 */
const NATS = process.env.NATS_URL ?? 'nats://127.0.0.1:4222';
const ns = `s${(process.pid * 100000 + (Date.now() % 100000)).toString(36).replace(/[0-9]/g, (d) => 'abcdefghij'[Number(d)]!)}`;

const Slow = defineRequest(`test.${ns}.slow.v1`, z.object({ ms: z.number() }), z.object({ replica: z.string() }));
const Changed = defineEvent(`events.${ns}.changed.v1`, z.object({ n: z.number() }));

@Controller()
class Handlers {
  static names = new Map<object, string>();
  static broadcasts: { replica: string; n: number }[] = [];
  /** Which replica took each slow request, as it takes it (before it answers). */
  static taken: string[] = [];
  constructor(private readonly shutdown: Shutdown) {}

  private get replica(): string {
    return Handlers.names.get(this.shutdown) ?? '?';
  }

  @Handle(Slow)
  async slow(@Payload() msg: Msg<typeof Slow>) {
    Handlers.taken.push(this.replica);
    await sleep(msg.body.ms);
    return { replica: this.replica };
  }

  @OnEvent(Changed, { broadcast: true })
  changed(@Payload() p: { n: number }) {
    Handlers.broadcasts.push({ replica: this.replica, n: p.n });
  }

  @Get('slow')
  async slowHttp(@Query('ms') ms: string) {
    await sleep(Number(ms));
    return { done: true };
  }

  @Get('readyz')
  readyz() {
    if (this.shutdown.draining) throw new HttpException({ message: 'shutting down' }, 503);
    return { status: 'ok' };
  }

  /** An endless stream, as a log follow is. */
  @Get('follow')
  follow(@Res() res: Response) {
    res.writeHead(200, { 'content-type': 'text/plain' });
    res.write('first\n');
    const tick = setInterval(() => res.write('tick\n'), 50);
    const forget = this.shutdown.endless(() => res.end('ended by the shutdown\n'));
    res.once('close', () => {
      clearInterval(tick);
      forget();
    });
  }
}

async function startReplica(name: string) {
  @Module({ imports: [NatsModule.forService(`svc-${ns}`, { NatsUrl: NATS, RequestTimeoutMs: 5000, InternalSecret: 'shutdown-spec-internal-secret-0123' })], controllers: [Handlers] })
  class AppModule {}
  const mod = await Test.createTestingModule({ imports: [AppModule] }).compile();
  const app = mod.createNestApplication({ logger: false });
  await connectNats(app);
  await app.listen(0, '127.0.0.1');
  Handlers.names.set(app.get(Shutdown), name);
  const exits: number[] = [];
  const stop = gracefulShutdown(app, { ShutdownDelaySeconds: 0.4, ShutdownGraceSeconds: 3 }, { http: app.getHttpServer(), nats: natsServersOf(app), exit: (c) => void exits.push(c), signals: false });
  const port = (app.getHttpServer().address() as AddressInfo).port;
  return { app, port, stop, exits };
}

interface Answer {
  status: number;
  headers: http.IncomingHttpHeaders;
  text: string;
}

function get(port: number, path: string, agent: http.Agent | false = false): Promise<Answer> {
  return new Promise((resolve, reject) => {
    http
      .get({ host: '127.0.0.1', port, path, agent }, (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (text += c));
        res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, text }));
        res.on('error', reject);
      })
      .on('error', reject);
  });
}

describe('graceful shutdown of a service (HTTP + NATS)', () => {
  let a: Awaited<ReturnType<typeof startReplica>>;
  let b: Awaited<ReturnType<typeof startReplica>>;
  let client: RpcClient;

  beforeAll(async () => {
    a = await startReplica('a');
    b = await startReplica('b');
    client = b.app.get(RpcClient);
    await client.connect();
  });
  afterAll(async () => {
    await a?.app.close().catch(() => undefined);
    await b?.app.close().catch(() => undefined);
  });

  it('says not ready first, answers what it took, hands new NATS requests to the other replica, then closes', async () => {
    // both replicas answer before the shutdown
    const before = await Promise.all(Array.from({ length: 20 }, () => client.rpc(Slow, { ms: 0 }, null)));
    expect(new Set(before.map((r) => r.replica))).toEqual(new Set(['a', 'b']));

    const keepAlive = new http.Agent({ keepAlive: true, maxSockets: 1 });
    const inFlightHttp = get(a.port, '/slow?ms=1200', keepAlive);
    const follow = get(a.port, '/follow');
    // requests that reach replica a before it stops: the queue group picks a replica at random, so
    // send until a has taken one (six at once all went to b in about one run in 64)
    Handlers.taken = [];
    const inFlight: Promise<{ replica: string }>[] = [];
    while (!Handlers.taken.includes('a')) {
      if (inFlight.length >= 40) throw new Error(`40 requests and none taken by replica a: ${Handlers.taken.join(',')}`);
      inFlight.push(client.rpc(Slow, { ms: 1800 }, null));
      await sleep(5);
    }
    const inFlightRpc = Promise.all(inFlight);
    await sleep(100);

    const stopped = a.stop();
    // readiness goes false at once, while the listener still takes requests for the delay
    const ready = await get(a.port, '/readyz');
    expect(ready.status).toBe(503);
    expect(ready.text).toContain('shutting down');
    expect((await get(a.port, '/slow?ms=0')).status).toBe(200);

    // once the delay is over: NATS requests all go to b, new connections are refused
    await waitFor(async () => (await get(a.port, '/readyz').then(() => false, (e: NodeJS.ErrnoException) => e.code === 'ECONNREFUSED')));
    const during = await Promise.all(Array.from({ length: 10 }, () => client.rpc(Slow, { ms: 0 }, null)));
    expect(during.map((r) => r.replica)).toEqual(Array(10).fill('b'));

    // broadcast events still reach the draining replica (it must see changes to the work it holds)
    await client.emit(Changed, { n: 1 });
    await waitFor(() => Handlers.broadcasts.filter((e) => e.n === 1).length === 2);

    // what was taken before is answered: the NATS replies, the HTTP response (told to close the connection)
    const rpcAnswers = await inFlightRpc;
    expect(rpcAnswers.map((r) => r.replica)).toContain('a');
    const slow = await inFlightHttp;
    expect([slow.status, slow.text]).toEqual([200, '{"done":true}']);
    expect(slow.headers.connection).toBe('close');
    // the endless stream was ended when the listeners closed, not at the end of the grace period
    const followed = await follow;
    expect(followed.text).toMatch(/^first\n(tick\n)*ended by the shutdown\n$/);

    await stopped;
    expect(a.exits).toEqual([0]);
    expect(a.app.get(Shutdown).draining).toBe(true);
    keepAlive.destroy();
    // b goes on alone
    await expect(client.rpc(Slow, { ms: 0 }, null)).resolves.toEqual({ replica: 'b' });
  });

  it('cuts what outlives the grace period, and exits all the same', async () => {
    const c = await startReplica('c');
    const hung = get(c.port, '/slow?ms=60000').then(
      (r) => `answered ${r.status}`,
      (e: NodeJS.ErrnoException) => e.code ?? e.message,
    );
    await sleep(100);
    const logs: string[] = [];
    const warn = jest.spyOn(Logger.prototype, 'warn').mockImplementation((...m: unknown[]) => void logs.push(String(m[0])));
    try {
      await c.stop();
    } finally {
      warn.mockRestore();
    }
    expect(await hung).toBe('ECONNRESET');
    expect(c.exits).toEqual([0]);
    expect(logs.join('\n')).toContain('grace period over: closing 1 HTTP requests');
  });
});

async function waitFor(ok: () => boolean | Promise<boolean>, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await ok())) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await sleep(20);
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
