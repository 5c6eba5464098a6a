import http from 'node:http';
import net, { type AddressInfo } from 'node:net';
import { Agent } from 'undici';
import { forwardRequest, outgoingPath, upstreamAgent } from './forward-request';

describe('outgoingPath: the path sent upstream, as http-proxy sent it (urlJoin of the legacy-parsed path)', () => {
  // expected values: http-proxy 1.18.1's `urlJoin('', url.parse(path).path)` for each path
  it.each([
    ['/small', '/small'],
    ['/', '/'],
    ['/a/b?c=d', '/a/b?c=d'],
    ['/a//b', '/a/b'],
    ['//x', '/x'],
    ['/a//b?next=//evil', '/a/b?next=//evil'],
    ['/x{y}', '/x{y}'],
    ['/a|b', '/a|b'],
    ['/a^b', '/a^b'],
    ['/a%20b', '/a%20b'],
    ['/p#frag', '/p'],
    ['/redirect/http:/x', '/redirect/http://x'],
    ['/a/http://b', '/a/http://b'],
    ['/q?u=http://x', '/q?u=http://x'],
    ['/a\\b', '/a/b'],
    ['/api/v1/x:y', '/api/v1/x:y'],
    ['/a%2F%2Fb', '/a%2F%2Fb'],
  ])('%s → %s', (path, expected) => {
    expect(outgoingPath(path)).toBe(expected);
  });
});

/**
 * An app that answers the first request on each connection with keep-alive, then, like an app
 * whose idle timeout fires just as the router reuses the connection, closes it on the next request
 * without answering. Counts connections and the requests it answered.
 */
async function closingApp() {
  let connections = 0;
  const answered: string[] = [];
  const server = net.createServer((socket) => {
    connections++;
    let requests = 0;
    let buffered = '';
    socket.on('data', (d: Buffer) => {
      buffered += d.toString('latin1');
      if (!buffered.includes('\r\n\r\n')) return;
      const head = buffered.split('\r\n')[0]!;
      buffered = '';
      if (++requests > 1) return void socket.destroy();
      answered.push(head);
      socket.write('HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: keep-alive\r\n\r\nok');
    });
    socket.on('error', () => undefined);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { port: (server.address() as AddressInfo).port, connections: () => connections, answered, close: () => new Promise((r) => server.close(r)) };
}

/** A router-like front: forwards every request to `port` over `agent`, 502 with the error code on failure. */
async function front(port: number, agent: Agent) {
  const server = http.createServer((req, res) =>
    forwardRequest(req, res, { protocol: 'http:', host: '127.0.0.1', port, origin: `http://127.0.0.1:${port}` }, agent, 5000, (raw) => raw, {
      response: () => undefined,
      error: (err) => {
        if (!res.headersSent) res.writeHead(502).end(err.code ?? err.message);
      },
    }),
  );
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, close: () => new Promise((r) => server.close(r)) };
}

const call = (url: string, method = 'GET', body?: string) =>
  new Promise<{ status: number; text: string }>((resolve, reject) => {
    const req = http.request(url, { method, agent: false, headers: body ? { 'content-length': Buffer.byteLength(body) } : {} }, (res) => {
      let text = '';
      res.on('data', (c: Buffer) => (text += c.toString()));
      res.on('end', () => resolve({ status: res.statusCode!, text }));
    });
    req.on('error', reject);
    req.end(body);
  });

describe('forwardRequest over a kept-alive connection the app closes as it is reused', () => {
  let app: Awaited<ReturnType<typeof closingApp>>;
  let proxy: Awaited<ReturnType<typeof front>>;
  let agent: Agent;

  beforeEach(async () => {
    app = await closingApp();
    agent = upstreamAgent(1);
    proxy = await front(app.port, agent);
  });

  afterEach(async () => {
    await agent.destroy();
    await proxy.close();
    await app.close();
  });

  it('sends a GET, HEAD or OPTIONS without a body once more on a new connection: the client sees the answer', async () => {
    expect(await call(`${proxy.url}/one`)).toEqual({ status: 200, text: 'ok' });
    expect(await call(`${proxy.url}/two`)).toEqual({ status: 200, text: 'ok' });
    expect(await call(`${proxy.url}/three`, 'OPTIONS')).toEqual({ status: 200, text: 'ok' });
    expect(app.answered).toEqual(['GET /one HTTP/1.1', 'GET /two HTTP/1.1', 'OPTIONS /three HTTP/1.1']);
    expect(app.connections()).toBe(3);
  });

  it('never repeats a request with a body, or a POST: the client gets the failure', async () => {
    expect((await call(`${proxy.url}/one`)).status).toBe(200);
    expect(await call(`${proxy.url}/two`, 'POST', 'x=1')).toEqual({ status: 502, text: 'ECONNRESET' });
    expect((await call(`${proxy.url}/three`)).status).toBe(200);
    expect(await call(`${proxy.url}/four`, 'POST')).toEqual({ status: 502, text: 'ECONNRESET' });
    expect(app.answered).toEqual(['GET /one HTTP/1.1', 'GET /three HTTP/1.1']);
  });

  it('tries a new connection only once: an app that closes that one too gives the failure', async () => {
    // every connection closed at its first request: the attempt and the one retry both fail
    const silent = net.createServer((s) => s.once('data', () => s.destroy()));
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
    const other = await front((silent.address() as AddressInfo).port, agent);
    try {
      expect(await call(`${other.url}/x`)).toEqual({ status: 502, text: 'ECONNRESET' });
    } finally {
      await other.close();
      await new Promise((r) => silent.close(r));
    }
  });
});

describe('forwardRequest when the client leaves before the answer', () => {
  it("drops the app's request at once", async () => {
    let appSaw: () => void;
    const seen = new Promise<void>((r) => (appSaw = r));
    let appClosed: () => void;
    const closed = new Promise<void>((r) => (appClosed = r));
    const app = http.createServer((req) => {
      appSaw();
      req.socket.once('close', () => appClosed());
    });
    await new Promise<void>((r) => app.listen(0, '127.0.0.1', r));
    const agent = upstreamAgent(8);
    const proxy = await front((app.address() as AddressInfo).port, agent);
    try {
      const req = http.get(`${proxy.url}/slow`, { agent: false });
      req.on('error', () => undefined);
      await seen;
      req.destroy();
      await closed; // without the drop, the app's connection would wait for an answer that no one reads
    } finally {
      await agent.destroy();
      await proxy.close();
      app.closeAllConnections();
      await new Promise((r) => app.close(r));
    }
  });
});

describe('forwardRequest: the request the app receives', () => {
  it("drops hop-by-hop headers and those the client's Connection names, never the ones that frame the request or the router's own", async () => {
    let seen: http.IncomingHttpHeaders = {};
    const app = http.createServer((req, res) => {
      seen = req.headers;
      res.end('ok');
    });
    await new Promise<void>((r) => app.listen(0, '127.0.0.1', r));
    const agent = upstreamAgent(4);
    const proxy = await front((app.address() as AddressInfo).port, agent);
    try {
      const r = await new Promise<number>((resolve, reject) => {
        const req = http.request(`${proxy.url}/h`, {
          method: 'GET',
          agent: false,
          headers: { connection: 'keep-alive, x-hop, host, x-wharf-user, x-forwarded-for', 'keep-alive': 'timeout=5', te: 'trailers', 'x-hop': '1', 'x-wharf-user': 'u', 'x-end': '2' },
        }, (res) => {
          res.resume();
          resolve(res.statusCode!);
        });
        req.on('error', reject);
        req.end();
      });
      expect(r).toBe(200);
      expect(seen['x-hop']).toBeUndefined();
      expect(seen['keep-alive']).toBeUndefined();
      expect(seen.te).toBeUndefined();
      expect(seen.host).toBe(new URL(proxy.url).host);
      expect(seen['x-wharf-user']).toBe('u');
      expect(seen['x-forwarded-for']).toBe('127.0.0.1');
      expect(seen['x-end']).toBe('2');
    } finally {
      await agent.destroy();
      await proxy.close();
      app.closeAllConnections();
      await new Promise((r) => app.close(r));
    }
  });
});
