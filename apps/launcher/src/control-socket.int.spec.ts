import { mkdtempSync, rmSync, statSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { CONTROL_SOCKET, ControlSocket, keepAliveUrl, parseMinutes } from './control-socket';

/** Real HTTP over the Unix socket, as an app would call it. */
function call(socketPath: string, method: string, urlPath: string, body?: string): Promise<{ status: number; body: Record<string, unknown> }> {
  return new Promise((resolve, reject) => {
    const req = http.request({ socketPath, method, path: urlPath, headers: body ? { 'content-type': 'application/json' } : {} }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (text += c));
      res.on('end', () => resolve({ status: res.statusCode!, body: JSON.parse(text) as Record<string, unknown> }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

describe("the app's control socket", () => {
  let dir: string;
  let scheduler: http.Server;
  let seen: { token: string | undefined; body: unknown; url: string | undefined }[];
  let answer: { status: number; body: unknown };
  let socket: ControlSocket;
  let socketPath: string;

  beforeAll(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'wharf-ctl-spec-'));
    scheduler = http.createServer((req, res) => {
      let text = '';
      req.on('data', (c: Buffer) => (text += c.toString()));
      req.on('end', () => {
        seen.push({ token: req.headers['x-wharf-internal-token'] as string | undefined, body: JSON.parse(text), url: req.url });
        res.writeHead(answer.status, { 'content-type': 'application/json' });
        res.end(JSON.stringify(answer.body));
      });
    });
    await new Promise<void>((r) => scheduler.listen(0, '127.0.0.1', r));
    const port = (scheduler.address() as AddressInfo).port;
    socketPath = path.join(dir, CONTROL_SOCKET);
    socket = new ControlSocket(socketPath, { url: keepAliveUrl(`http://127.0.0.1:${port}/internal/instances/abcdefghij/status`), token: 'launcher-token', generation: 3 });
    await socket.listen();
  });
  beforeEach(() => {
    seen = [];
    answer = { status: 200, body: { until: '2026-12-01T18:00:00.000Z' } };
  });
  afterAll(async () => {
    await socket.close();
    await new Promise((r) => scheduler.close(r));
    rmSync(dir, { recursive: true, force: true });
  });

  it('is a socket anyone in the instance may connect to (the app may run as its own uid)', () => {
    expect(statSync(socketPath).isSocket()).toBe(true);
    expect(statSync(socketPath).mode & 0o777).toBe(0o666);
  });

  it('relays a lease to the scheduler with the launcher\'s credentials and generation, which the app never sees', async () => {
    const r = await call(socketPath, 'POST', '/keep-alive', '{"minutes": 90}');
    expect(r).toEqual({ status: 200, body: { until: '2026-12-01T18:00:00.000Z' } });
    expect(seen).toEqual([{ token: 'launcher-token', body: { generation: 3, minutes: 90 }, url: '/internal/instances/abcdefghij/keep-alive' }]);
    expect(JSON.stringify(r.body)).not.toContain('launcher-token');
  });

  it('ends the lease with DELETE', async () => {
    answer = { status: 200, body: { until: null } };
    expect(await call(socketPath, 'DELETE', '/keep-alive')).toEqual({ status: 200, body: { until: null } });
    expect(seen[0]!.body).toEqual({ generation: 3, minutes: 0 });
  });

  it("passes the scheduler's refusal of too long a lease on; hides other answers", async () => {
    answer = { status: 400, body: { error: { code: 'INVALID', message: 'a keep-alive lease lasts at most 1440 minutes on this platform' } } };
    expect(await call(socketPath, 'POST', '/keep-alive', '{"minutes": 5000}')).toEqual({ status: 400, body: { error: 'a keep-alive lease lasts at most 1440 minutes on this platform' } });
    answer = { status: 409, body: { error: { code: 'CONFLICT', message: 'instance abcdefghij runs generation 4' } } };
    expect(await call(socketPath, 'POST', '/keep-alive', '{"minutes": 5}')).toEqual({ status: 409, body: { error: 'this instance is stopping or was restarted; no lease was taken' } });
    answer = { status: 500, body: { error: { message: 'internal details' } } };
    const r = await call(socketPath, 'POST', '/keep-alive', '{"minutes": 5}');
    expect(r.status).toBe(502);
    expect(JSON.stringify(r.body)).not.toContain('internal details');
  });

  it('refuses bad requests with what to send instead, without asking the scheduler', async () => {
    expect(await call(socketPath, 'POST', '/keep-alive', 'not json')).toEqual({ status: 400, body: { error: 'the body must be JSON such as {"minutes": 60}' } });
    expect((await call(socketPath, 'POST', '/keep-alive', '{"minutes": "60"}')).body.error).toMatch(/whole number of minutes/);
    expect((await call(socketPath, 'POST', '/keep-alive', '{"minutes": 0}')).body.error).toMatch(/DELETE \/keep-alive ends the lease/);
    expect((await call(socketPath, 'POST', '/keep-alive', `{"minutes": 1, "pad": "${'x'.repeat(5000)}"}`)).status).toBe(413);
    expect((await call(socketPath, 'PUT', '/keep-alive', '{}')).status).toBe(405);
    expect((await call(socketPath, 'GET', '/nope')).status).toBe(404);
    expect((await call(socketPath, 'GET', '/')).body.keepAlive).toMatch(/POST \/keep-alive/);
    expect(seen).toEqual([]);
  });

  it('answers 502 when the scheduler cannot be reached', async () => {
    const lonely = new ControlSocket(path.join(dir, 'other.sock'), { url: 'http://127.0.0.1:1/internal/instances/abcdefghij/keep-alive', token: 't', generation: 1 });
    await lonely.listen();
    try {
      const r = await call(path.join(dir, 'other.sock'), 'POST', '/keep-alive', '{"minutes": 5}');
      expect(r.status).toBe(502);
      expect(r.body.error).toMatch(/could not be reached.*try again/);
    } finally {
      await lonely.close();
    }
  });

  it('reads minutes strictly', () => {
    expect(parseMinutes('{"minutes": 15}')).toBe(15);
    expect(parseMinutes('[]')).toMatch(/name how long/);
    expect(parseMinutes('{"minutes": 1.5}')).toMatch(/whole number/);
  });
});
