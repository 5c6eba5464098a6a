import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';
import { parse as legacyParse } from 'node:url';
import { Agent, type Dispatcher } from 'undici';
import type { Upstream } from '../directory/instance.directory';
import { HOP_BY_HOP } from './forward-response';

/**
 * Plain HTTP to the app, with undici's HTTP/1.1 client (its `dispatch`, the lowest layer: no
 * promise, no stream per response). The request as the app receives it is still the one
 * http-proxy (under http-proxy-middleware) sent before: the same method, headers and path rules,
 * `X-Forwarded-*` added as its `xfwd` adds them. Websockets still go through
 * http-proxy-middleware.
 *
 * Why not node's http client: per request it builds a ClientRequest, runs the agent's pool
 * bookkeeping (names, server-name checks with an IPv6 regex, free-socket lists) and adds and
 * removes half a dozen listeners on the socket; http-proxy on top of it copied its options twice
 * and emitted through a second event emitter. Side by side on one CPU (bench/README.md), a bare
 * forwarder on node's client spent ~1.4× the CPU per small request of the same forwarder on
 * undici's `dispatch`.
 */
export interface ForwardHandlers {
  /** The app's response head arrived with this status (it is about to be sent on). */
  response(statusCode: number): void;
  /** The app could not be reached, failed before its answer, or sent nothing for the timeout (`timedOut`). */
  error(err: NodeJS.ErrnoException, timedOut: boolean): void;
}

/** How the app's response head is made fit for the client (raw name/value pairs in, and out). */
export type HeadRewrite = (rawHeaders: string[]) => string[];

/** One keep-alive pool per app address (undici's Agent: pools of addresses with no connection left go). */
export function upstreamAgent(maxConnectionsPerApp: number): Agent {
  // Apps announce their idle timeout (`Keep-Alive: timeout=N`): undici closes a second before it.
  return new Agent({ connections: maxConnectionsPerApp, pipelining: 1, keepAliveTimeoutThreshold: 1000 });
}

const PORT_OF_HOST = /:(\d+)/;
/** A path node's legacy URL parser and http-proxy's join leave as they are (see `outgoingPath`). */
const PLAIN_PATH = /^\/[^\s"'<>\\^`{|}#]*$/;

/**
 * The path sent upstream. http-proxy sent `urlJoin('', url.parse(req.url).path)`: the legacy
 * parser escapes a few characters and drops a fragment, the join collapses repeated slashes before
 * the query (and turns `http:/` back into `http://`). Paths none of that touches — nearly all — go
 * as they are; the rest take the same steps.
 */
export function outgoingPath(url: string): string {
  const q = url.indexOf('?');
  const pathPart = q < 0 ? url : url.slice(0, q);
  if (PLAIN_PATH.test(url) && !pathPart.includes('//') && !pathPart.includes(':/')) return url;
  const parsed = legacyParse(url).path ?? '';
  const segments = parsed.split('?');
  const first = segments.shift()!.replace(/\/+/g, '/').replace('http:/', 'http://').replace('https:/', 'https://');
  return [first, ...segments].join('?');
}

/**
 * Removes hop-by-hop headers (forward-response.ts), and those the client's Connection header
 * names; `Expect` too: node's server has already answered the client's `100-continue`.
 */
function withoutHopByHop(h: IncomingHttpHeaders): void {
  const connection = h.connection;
  if (connection) {
    for (const token of connection.split(',')) {
      const name = token.trim().toLowerCase();
      // never those that frame the request, nor those the router sets for the app (identity, X-Forwarded-*)
      if (name && name !== 'host' && name !== 'content-length' && !name.startsWith('x-wharf-') && !name.startsWith('x-forwarded-')) delete h[name];
    }
  }
  for (const name of HOP_BY_HOP) if (name in h) delete h[name];
  delete h.expect;
}

/** Failures that mean the app's side closed the connection before answering. */
const CLOSED = new Set(['UND_ERR_SOCKET', 'ECONNRESET', 'EPIPE']);
const TIMEOUT = new Set(['UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT']);
const RETRYABLE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/** undici's "other side closed" is what node's client called ECONNRESET: pages and logs keep the familiar code. */
function asErrno(err: Error): NodeJS.ErrnoException {
  const e = err as NodeJS.ErrnoException;
  if (e.code === 'UND_ERR_SOCKET') return Object.assign(new Error(`the app closed the connection (${e.message})`), { code: 'ECONNRESET' });
  return e;
}

/**
 * Sends the client's request to the app and its answer back. The request: headers as received
 * (the caller has already removed what the app must not see) less hop-by-hop ones,
 * `X-Forwarded-For/Port/Proto` appended to and `X-Forwarded-Host` set if absent, DELETE and
 * OPTIONS without a length sent with `Content-Length: 0`, a body streamed with backpressure. The
 * answer: its head through `head` (hop-by-hop headers and app cookies, see forward-response.ts),
 * its body forwarded chunk by chunk as it arrives (SSE and downloads are never buffered), the app
 * paused while the client is slow.
 *
 * A kept-alive connection can be closed by the app's side just as it is reused (its idle timeout
 * and this request cross on the wire). Such a request never reached the app, so a GET, HEAD or
 * OPTIONS without a body that fails with the connection closed or reset, before any answer, is sent
 * once more (on a new connection), as browsers and Go's HTTP client do; anything else gets the
 * error. Either side going away ends the other: a client that leaves drops the app's request (or
 * frees its connection mid-answer), and an app that drops the connection mid-answer drops the
 * client's (never a client left waiting for bytes that will not come).
 */
export function forwardRequest(req: IncomingMessage, res: ServerResponse, target: Upstream, dispatcher: Dispatcher, timeoutMs: number, head: HeadRewrite, on: ForwardHandlers): void {
  const h = req.headers;
  const method = req.method ?? 'GET';
  // a request without a body: no length (or 0) and not chunked (RFC 9112 §6.3; most GETs)
  const length = h['content-length'];
  const bodiless = (length === undefined || length === '0') && h['transfer-encoding'] === undefined;
  if ((method === 'DELETE' || method === 'OPTIONS') && bodiless) h['content-length'] = '0';
  withoutHopByHop(h);
  const port = h.host ? PORT_OF_HOST.exec(h.host) : null;
  const xff = h['x-forwarded-for'];
  const xfp = h['x-forwarded-port'];
  const xfproto = h['x-forwarded-proto'];
  const remote = req.socket.remoteAddress;
  h['x-forwarded-for'] = xff ? `${xff},${remote}` : `${remote}`;
  h['x-forwarded-port'] = xfp ? `${xfp},${port ? port[1] : '80'}` : port ? port[1]! : '80';
  h['x-forwarded-proto'] = xfproto ? `${xfproto},http` : 'http';
  h['x-forwarded-host'] = h['x-forwarded-host'] || h.host || '';
  const options: Dispatcher.DispatchOptions = {
    origin: target.origin,
    path: outgoingPath(req.url ?? '/'),
    method: method as Dispatcher.HttpMethod,
    headers: h,
    body: bodiless ? null : req,
    headersTimeout: timeoutMs,
    bodyTimeout: timeoutMs,
  };
  let retried = !bodiless || !RETRYABLE_METHODS.has(method);
  /** Ends the attempt under way (the client left, or an attempt was abandoned). */
  let abort: ((reason?: Error) => void) | null = null;
  /** Continues the app's answer after backpressure paused it. */
  let resumeApp: () => void = () => undefined;
  let answered = false;
  let done = false;

  const handler: Dispatcher.DispatchHandler = {
    onConnect(abortAttempt: (reason?: Error) => void) {
      if (done) return abortAttempt(new Error('the client left'));
      abort = abortAttempt;
    },
    onHeaders(statusCode: number, raw: Buffer[], resume: () => void, statusText: string) {
      if (statusCode < 200) return true; // 1xx (103 Early Hints): not passed on; the final answer follows
      answered = true;
      if (res.headersSent || res.destroyed) {
        done = true;
        abort?.(new Error('the client left'));
        return false;
      }
      on.response(statusCode);
      const rawHeaders = new Array<string>(raw.length);
      for (let i = 0; i < raw.length; i++) rawHeaders[i] = raw[i]!.toString('latin1');
      try {
        res.writeHead(statusCode, statusText || undefined, head(rawHeaders));
      } catch {
        // a head node will not send (it parsed it, but e.g. a header value it refuses to write)
        done = true;
        abort?.(new Error('unforwardable response head'));
        const body = 'the app sent a response head that cannot be forwarded\n';
        res.writeHead(502, { 'content-type': 'text/plain; charset=utf-8', 'content-length': Buffer.byteLength(body) });
        res.end(body);
        return false;
      }
      resumeApp = resume;
      return true;
    },
    onData(chunk: Buffer) {
      if (res.write(chunk)) return true;
      res.once('drain', () => resumeApp());
      return false;
    },
    onComplete() {
      done = true;
      res.end();
    },
    onError(err: Error) {
      if (done) return; // the client left, or the head could not be forwarded: already answered
      const code = (err as NodeJS.ErrnoException).code ?? '';
      if (answered) {
        // mid-answer: the client must not wait for the rest
        done = true;
        return void res.destroy();
      }
      if (!retried && CLOSED.has(code) && !res.destroyed) {
        retried = true;
        return send();
      }
      done = true;
      on.error(asErrno(err), TIMEOUT.has(code));
    },
  };

  const send = () => {
    abort = null;
    dispatcher.dispatch(options, handler);
  };
  res.once('close', () => {
    if (done) return;
    // the client went away: nothing to answer, only the app's request (or the rest of its answer) to drop
    done = true;
    abort?.(new Error('the client left'));
  });
  send();
}
