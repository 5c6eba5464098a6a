import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import { parse as legacyParse } from 'node:url';
import type { Upstream } from '../directory/instance.directory';

/**
 * The request as the app receives it, as http-proxy (under http-proxy-middleware) sent it before
 * this replaced it for plain HTTP: the same method, headers and path rules, `X-Forwarded-*` added
 * as its `xfwd` adds them. Websockets still go through http-proxy-middleware.
 *
 * Why not http-proxy for HTTP: per request it copies its options twice (`Object.assign`,
 * `util._extend`), joins the path with regexes, runs its passes, adds five listeners and emits
 * through an EventEmitter3 on top of node's own; http-proxy-middleware adds an async middleware
 * with its own option copy. In a CPU profile of the router under `wrk -c32`, beside a bare
 * node:http forwarder's, that was ~16 µs in their own code and ~15–25 µs more in node's event and
 * agent code they drive, of the ~130 µs the router spent per request above it (bench/README.md).
 */
export interface ForwardHandlers {
  /** The app's response head arrived (its body is the handler's to forward). */
  response(appRes: IncomingMessage): void;
  /** The app could not be reached, failed mid-request, or took longer than the timeout (`timedOut`). */
  error(err: NodeJS.ErrnoException, timedOut: boolean): void;
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

/** Failures of a reused keep-alive connection that mean the app closed it before reading the request. */
const STALE_CONNECTION = new Set(['ECONNRESET', 'EPIPE']);
const RETRYABLE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * Sends the client's request to the app over `agent` (keep-alive): headers as received (the
 * caller has already removed what the app must not see), `X-Forwarded-For/Port/Proto` appended to
 * and `X-Forwarded-Host` set if absent, DELETE and OPTIONS without a length sent with
 * `Content-Length: 0`, a body streamed with backpressure and none piped when there is none.
 *
 * A kept-alive connection can be closed by the app's side just as it is reused (its idle timeout
 * and this request cross on the wire; on a busy machine the agent's early close, a second before
 * the `Keep-Alive: timeout` the app announced, is not always in time). Such a request never
 * reached the app, so a GET, HEAD or OPTIONS without a body that fails that way before any answer
 * is sent once more on a new connection, as browsers and Go's HTTP client do; anything else gets
 * the error. A client that leaves before the answer's head drops the app's request.
 */
export function forwardRequest(req: IncomingMessage, res: ServerResponse, target: Upstream, agent: http.Agent, timeoutMs: number, on: ForwardHandlers): void {
  const h = req.headers;
  const method = req.method ?? 'GET';
  if ((method === 'DELETE' || method === 'OPTIONS') && !h['content-length']) {
    h['content-length'] = '0';
    delete h['transfer-encoding'];
  }
  const port = h.host ? PORT_OF_HOST.exec(h.host) : null;
  const xff = h['x-forwarded-for'];
  const xfp = h['x-forwarded-port'];
  const xfproto = h['x-forwarded-proto'];
  const remote = req.socket.remoteAddress;
  h['x-forwarded-for'] = xff ? `${xff},${remote}` : `${remote}`;
  h['x-forwarded-port'] = xfp ? `${xfp},${port ? port[1] : '80'}` : port ? port[1]! : '80';
  h['x-forwarded-proto'] = xfproto ? `${xfproto},http` : 'http';
  h['x-forwarded-host'] = h['x-forwarded-host'] || h.host || '';
  // a request without a body (no length, or 0, and no Transfer-Encoding — RFC 9112 §6.3; most GETs) ends at once
  const length = h['content-length'];
  const bodiless = (length === undefined || length === '0') && h['transfer-encoding'] === undefined;
  const options: http.RequestOptions = { host: target.host, port: target.port, method, path: outgoingPath(req.url ?? '/'), headers: h, agent };
  let retried = !bodiless || !RETRYABLE_METHODS.has(method);
  let upstream: http.ClientRequest;
  let answered = false;

  const send = () => {
    const attempt = http.request(options);
    upstream = attempt;
    let timedOut = false;
    if (timeoutMs > 0) {
      // http-proxy's own proxyTimeout aborted without an error (the client would hang): destroy with one
      attempt.setTimeout(timeoutMs, () => {
        timedOut = true;
        attempt.destroy(new Error('upstream timeout'));
      });
    }
    attempt.on('error', (err: NodeJS.ErrnoException) => {
      if (attempt !== upstream) return; // an abandoned attempt's late error
      if (!answered && !retried && attempt.reusedSocket && STALE_CONNECTION.has(err.code ?? '') && !res.destroyed) {
        retried = true;
        return send();
      }
      failed(err, timedOut);
    });
    attempt.once('response', (appRes: IncomingMessage) => {
      answered = true;
      on.response(appRes);
    });
    if (bodiless) attempt.end();
    else req.pipe(attempt);
  };

  const failed = (err: NodeJS.ErrnoException, timedOut: boolean) => {
    // the client went away: nothing to answer, only the app's request to drop
    if (req.socket.destroyed && err.code === 'ECONNRESET') return void upstream.destroy();
    on.error(err, timedOut);
  };
  req.on('error', (err: NodeJS.ErrnoException) => failed(err, false));
  res.once('close', () => {
    if (!answered) upstream.destroy();
  });
  send();
}
