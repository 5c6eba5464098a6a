import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import net from 'node:net';
import type { Duplex } from 'node:stream';
import type { AppTarget } from './app-process';
import { renderProgressPage, type Progress } from './progress-page';

/** Hop-by-hop headers: they describe one connection and are never forwarded (RFC 9110 §7.6.1). */
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'te', 'trailer', 'upgrade', 'proxy-authorization', 'proxy-authenticate']);

function forwardHeaders(headers: http.IncomingHttpHeaders): http.OutgoingHttpHeaders {
  const out: http.OutgoingHttpHeaders = {};
  const listed = String(headers.connection ?? '')
    .split(',')
    .map((h) => h.trim().toLowerCase());
  for (const [k, v] of Object.entries(headers)) {
    if (v === undefined || HOP_BY_HOP.has(k) || listed.includes(k)) continue;
    out[k] = v;
  }
  return out;
}

/**
 * The instance's public port. The launcher binds it first thing and keeps it until it exits:
 * while the app is being fetched, installed and started, every request gets the progress page
 * (503 + Retry-After); once the app listens on its internal port, requests and websocket upgrades
 * are proxied to it, streamed both ways. Holding the public port ourselves (instead of handing it
 * to the app) means there is never a moment where the router's connection is refused: not before
 * the app binds, not while it binds, not when it is slow to accept. The router can treat "connection
 * refused" as "instance gone" without guessing.
 */
export class FrontServer {
  static readonly KEEP_ALIVE_MS = 65_000;
  private target: AppTarget | null = null;
  private readonly agent = new http.Agent({ keepAlive: true, maxSockets: 256 });
  private readonly sockets = new Set<Duplex>();
  readonly server: http.Server;

  constructor(private readonly progress: () => Progress) {
    this.server = http.createServer((req, res) => this.onRequest(req, res));
    this.server.requestTimeout = 0; // long uploads and streamed responses are the app's business
    // Idle keep-alive connections from the router are closed by the router first: it closes a
    // second before the `Keep-Alive: timeout` announced here, and a close from this side racing a
    // reused connection costs a retry (or, for a request with a body, an error page).
    this.server.keepAliveTimeout = FrontServer.KEEP_ALIVE_MS;
    this.server.headersTimeout = FrontServer.KEEP_ALIVE_MS + 1000;
    this.server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => this.onUpgrade(req, socket, head));
    this.server.on('connection', (s: net.Socket) => {
      this.sockets.add(s);
      s.once('close', () => this.sockets.delete(s));
    });
  }

  /** Loopback by default: only the router (on this host) reaches a process-driver instance. */
  listen(port: number, host = '127.0.0.1'): Promise<void> {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, host, () => {
        this.server.off('error', reject);
        resolve();
      });
    });
  }

  /** From now on, proxy to the app (its loopback port, or the sandbox relay's socket). */
  proxyTo(target: AppTarget): void {
    this.target = target;
  }

  async close(): Promise<void> {
    this.target = null;
    await new Promise<void>((r) => {
      this.server.close(() => r());
      for (const s of this.sockets) s.destroy();
    });
    this.agent.destroy();
  }

  private onRequest(req: IncomingMessage, res: ServerResponse): void {
    if (this.target === null) return this.progressPage(req, res);
    const target = this.target;
    const upstream = http.request(
      {
        ...('socketPath' in target ? { socketPath: target.socketPath } : { host: '127.0.0.1', port: target.port }),
        method: req.method,
        path: req.url,
        headers: forwardHeaders(req.headers),
        agent: this.agent,
      },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.statusMessage, forwardHeaders(answer.headers));
        res.flushHeaders(); // streamed responses (SSE, long polls) must not wait for the first chunk
        answer.pipe(res);
        answer.once('error', () => res.destroy());
      },
    );
    upstream.once('error', (e) => {
      if (!res.headersSent) {
        res.writeHead(502, { 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-store' });
        res.end(`The app is not answering (${e.message}).\n`);
      } else res.destroy();
    });
    // Client went away before the answer finished: stop the upstream request too (no leaked sockets).
    res.once('close', () => {
      if (!res.writableFinished) upstream.destroy();
    });
    req.pipe(upstream);
  }

  private progressPage(req: IncomingMessage, res: ServerResponse): void {
    req.resume();
    const p = this.progress();
    const json = /application\/json/.test(String(req.headers.accept ?? ''));
    res.writeHead(503, {
      'content-type': json ? 'application/json' : 'text/html; charset=utf-8',
      'retry-after': '2',
      'cache-control': 'no-store',
    });
    res.end(json ? JSON.stringify({ starting: true, step: p.step }) : renderProgressPage(p));
  }

  /** Websockets (any upgrade): a raw byte pipe to the app once the request head is replayed to it. */
  private onUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    socket.on('error', () => socket.destroy());
    if (this.target === null) {
      socket.end('HTTP/1.1 503 Service Unavailable\r\nRetry-After: 2\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
      return;
    }
    const target = this.target;
    const upstream = 'socketPath' in target ? net.connect({ path: target.socketPath }) : net.connect(target.port, '127.0.0.1');
    const destroyBoth = () => {
      socket.destroy();
      upstream.destroy();
    };
    upstream.once('error', () => {
      if (socket.writable) socket.end('HTTP/1.1 502 Bad Gateway\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
      destroyBoth();
    });
    upstream.once('connect', () => {
      const lines = [`${req.method} ${req.url} HTTP/${req.httpVersion}`];
      for (let i = 0; i < req.rawHeaders.length; i += 2) lines.push(`${req.rawHeaders[i]}: ${req.rawHeaders[i + 1]}`);
      upstream.write(`${lines.join('\r\n')}\r\n\r\n`);
      if (head.length) upstream.write(head);
      upstream.setNoDelay(true);
      socket.pipe(upstream).pipe(socket);
      socket.once('close', destroyBoth);
      upstream.once('close', destroyBoth);
    });
  }
}
