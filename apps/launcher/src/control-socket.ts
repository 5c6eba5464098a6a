import { chmod, rm } from 'node:fs/promises';
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import { INTERNAL_TOKEN_HEADER } from '@wharf/contracts/wire';
import { httpRequest, readSome } from './http-request';

/** The control socket's file name, in the sandbox's run folder (`/run/wharf/control.sock` inside). */
export const CONTROL_SOCKET = 'control.sock';

/** Bodies the control socket reads, at most. */
const MAX_BODY = 4096;

export interface KeepAliveTarget {
  /** The scheduler's `/internal/instances/<id>/keep-alive` URL; absent when the launcher runs without a scheduler. */
  url?: string;
  token?: string;
  generation: number;
}

/**
 * The instance's own control socket: a small HTTP server on a Unix socket that only the app
 * reaches (its path is in `$WHARF_CONTROL_SOCKET`; sandboxed apps have no network, and nothing
 * outside the instance sees the socket). It offers one thing: the keep-alive lease, relayed to
 * the scheduler with the launcher's own credentials, which the app never sees —
 *
 *   POST   /keep-alive {"minutes": N}  →  200 {"until": "<ISO time>"}: not suspended for idleness before then
 *   DELETE /keep-alive                 →  200 {"until": null}: the lease ends now
 *   GET    /                           →  200: what the socket offers
 *
 * Errors are JSON `{ "error": "<what is wrong and how to fix it>" }` with 400, 404, 405, 413 or
 * 502 (the scheduler could not be reached: try again).
 */
export class ControlSocket {
  private readonly server: http.Server;

  constructor(
    private readonly socketPath: string,
    private readonly target: KeepAliveTarget,
  ) {
    this.server = http.createServer((req, res) => void this.handle(req, res));
  }

  async listen(): Promise<void> {
    await rm(this.socketPath, { force: true });
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(this.socketPath, () => {
        this.server.off('error', reject);
        resolve();
      });
    });
    // the app may run as a uid of its own: connecting to a Unix socket needs write permission on it
    await chmod(this.socketPath, 0o666).catch(async (e: unknown) => {
      await this.close();
      throw e;
    });
  }

  async close(): Promise<void> {
    await new Promise<void>((r) => this.server.close(() => r()));
    this.server.closeAllConnections();
    await rm(this.socketPath, { force: true });
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const answer = (status: number, body: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(`${JSON.stringify(body)}\n`);
    };
    const path = (req.url ?? '/').split('?')[0];
    try {
      if (path === '/') {
        if (req.method !== 'GET') return answer(405, { error: 'GET / describes this socket; the lease is at /keep-alive' });
        return answer(200, {
          keepAlive: 'POST /keep-alive {"minutes": N} holds off suspension for idleness for N minutes from now (renew it before it ends); DELETE /keep-alive ends it',
        });
      }
      if (path !== '/keep-alive') return answer(404, { error: `no ${path} here; the control socket offers /keep-alive` });
      let minutes: number;
      if (req.method === 'DELETE') {
        req.resume();
        minutes = 0;
      } else if (req.method === 'POST') {
        const body = await readBody(req);
        if (body === null) return answer(413, { error: `the body must be at most ${MAX_BODY} bytes, e.g. {"minutes": 60}` });
        const parsed = parseMinutes(body);
        if (typeof parsed === 'string') return answer(400, { error: parsed });
        minutes = parsed;
      } else {
        res.setHeader('allow', 'POST, DELETE');
        return answer(405, { error: `use POST /keep-alive {"minutes": N} to take or renew the lease, DELETE /keep-alive to end it (not ${req.method})` });
      }
      const { status, body } = await this.relay(minutes);
      return answer(status, body);
    } catch (e) {
      return answer(502, { error: `the platform could not be reached (${e instanceof Error ? e.message : String(e)}); try again` });
    }
  }

  private async relay(minutes: number): Promise<{ status: number; body: unknown }> {
    const { url, token, generation } = this.target;
    if (!url || !token) return { status: 502, body: { error: 'this instance runs without a platform to hold a lease with' } };
    const res = await httpRequest(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', [INTERNAL_TOKEN_HEADER]: token },
      body: JSON.stringify({ generation, minutes }),
      timeoutMs: 10_000,
    });
    const text = await readSome(res, 4000);
    let body: { until?: unknown; error?: { message?: unknown } } = {};
    try {
      body = JSON.parse(text) as typeof body;
    } catch {
      /* not JSON: reported below */
    }
    if (res.statusCode === 200) return { status: 200, body: { until: body.until ?? null } };
    // the scheduler's refusal (too long a lease) is the app's to read; anything else is the platform's business
    if (res.statusCode === 400 && typeof body.error?.message === 'string') return { status: 400, body: { error: body.error.message } };
    if (res.statusCode === 404 || res.statusCode === 409) return { status: 409, body: { error: 'this instance is stopping or was restarted; no lease was taken' } };
    return { status: 502, body: { error: `the platform answered ${res.statusCode}; try again` } };
  }
}

function readBody(req: IncomingMessage): Promise<string | null> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size <= MAX_BODY) chunks.push(c); // past it, drained unread: the answer says why
    });
    req.once('end', () => resolve(size > MAX_BODY ? null : Buffer.concat(chunks).toString('utf8')));
    req.once('error', reject);
  });
}

/** `{"minutes": N}` with N a whole number ≥ 1; else what is wrong. */
export function parseMinutes(text: string): number | string {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    return 'the body must be JSON such as {"minutes": 60}';
  }
  const m = typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as { minutes?: unknown }).minutes : undefined;
  if (m === undefined) return 'the body must name how long to keep the instance running: {"minutes": 60}';
  if (typeof m !== 'number' || !Number.isInteger(m) || m < 1) return `"minutes" must be a whole number of minutes, 1 or more (not ${JSON.stringify(m)}); DELETE /keep-alive ends the lease`;
  return m;
}

/** The scheduler's keep-alive URL next to the launcher's status URL. */
export const keepAliveUrl = (statusUrl: string | undefined): string | undefined => statusUrl?.replace(/\/status$/, '/keep-alive');
