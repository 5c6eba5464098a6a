import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { parse as parseQuery } from 'node:querystring';
import { AnswerCache, logRequest, requestIdOf, serviceMetrics, type Counter, type HttpSeries, type JsonAnswer, type serviceLogger } from '@wharf/nats';
import fresh from 'fresh';
import { bearerToken } from '../auth/authed-request';
import { TOKEN_PREFIX } from '../tokens/token.schemas';
import { hashToken, type TokenService } from '../tokens/token.service';

/** The catalog's two read routes an early answer may take, as Express names them. */
const LIST_ROUTE = '/api/v1/apps';
const ONE_ROUTE = '/api/v1/apps/:id';
const ONE_PREFIX = `${LIST_ROUTE}/`;

let answers: Counter<'source'> | null = null;
/** Early answers not yet added to the counter: a number, added when the counter is read (a labelled inc per answer cost ~1 % of one). */
let earlyAnswers = 0;

/** `wharf_gateway_catalog_answers_total`: one counter per process, every source shown from 0. */
export function catalogAnswers(): Counter<'source'> {
  if (!answers) {
    answers = serviceMetrics().counter(
      'wharf_gateway_catalog_answers_total',
      'Catalog reads answered (list and one version), by where the answer came from: early (cached, answered before the framework), cache (cached, through the framework: browser sessions, OIDC tokens, HEAD requests), repository (loaded over NATS)',
      ['source'],
      function collect() {
        this.inc({ source: 'early' }, earlyAnswers);
        earlyAnswers = 0;
      },
    );
    for (const source of ['early', 'cache', 'repository'] as const) answers.inc({ source }, 0);
  }
  return answers;
}

interface Deps {
  cache: AnswerCache;
  tokens: Pick<TokenService, 'authenticateCachedHash'>;
  /** The browser session's cookie name: a request that carries it is left to the framework. */
  sessionCookie: string;
  /** The request lines' logger (none when the service does not log them). */
  logger?: ReturnType<typeof serviceLogger>;
}

/**
 * The catalog is read far more than it is written, and its reads are cached per caller and query
 * as the bytes to send (AppsController). Most of the cost of such a read is not Wharf's but the
 * framework's: Express's router and middlewares, Nest's guards and parameter pipes (bench/README.md
 * measures the gateway at ~10 × the CPU of a bare `node:http` server for the same page, ~5 × of
 * it NestJS on Express itself). So a read whose answer is already cached is answered here, as the
 * request arrives, before Express: only a `GET` of `/api/v1/apps[?query]` or `/api/v1/apps/<id>`,
 * by an anonymous caller or one with a personal access token the token cache knows, whose answer
 * the cache holds for that very caller and query. Everything else, including every first read,
 * is left untouched to the framework, which fills the cache.
 *
 * An early answer is the framework's answer: the same cache key (the same query parser as
 * Express's, the same caller), bytes and headers (type, ETag, Cache-Control, X-Request-Id), a 304
 * for a matching If-None-Match (the `fresh` module, as Express), the request's metrics under the
 * same route, its log line. Nothing else a catalog read passes applies to one that succeeds: the
 * audit log records reads only when refused, the denial counter only counts refusals, the body
 * parsers and the NUL check see no body and refuse no cached query.
 */
export class EarlyCatalogReads {
  /** What each URL asks for (its route, kind and query as the key's JSON), parsed once: see `readOf`. */
  private readonly reads = new Map<string, Read | null>();
  /** Each cached token's part of the key, made once per token cache entry (a new entry after every change). */
  private readonly callerParts = new WeakMap<object, string>();
  /**
   * Each connection's last personal access token, as its Authorization header, and the token's
   * hash: a client sends the same token on every request of a connection, and hashing it was ~3 %
   * of an early answer. Kept with the connection, gone with it.
   */
  private readonly tokenHashes = new WeakMap<Socket, { header: string; hash: string }>();

  constructor(private readonly deps: Deps) {
    catalogAnswers();
  }

  /** Answers `req` when it can (true); otherwise leaves it, untouched, to the framework (false). */
  answer(req: IncomingMessage, res: ServerResponse): boolean {
    const url = req.url;
    if (req.method !== 'GET' || url === undefined || !url.startsWith(LIST_ROUTE)) return false;
    const read = this.readOf(url);
    if (read === null) return false;
    const callerPart = this.callerPartOf(req);
    if (callerPart === undefined) return false;
    const { cache, logger } = this.deps;
    const hit = cache.peek<JsonAnswer>(AnswerCache.keyOf(callerPart, read.kind, read.queryJson));
    if (!hit) return false;

    earlyAnswers++;
    const id = requestIdOf(req);
    if (logger) logRequest(logger, req, res);
    // the headers as one list: node writes them as they are, without a headers object per response
    if (fresh(req.headers, { etag: hit.etag })) {
      read.notModified.time(res);
      res.writeHead(304, ['X-Request-Id', id, 'ETag', hit.etag, 'Cache-Control', CACHE_CONTROL]);
      res.end();
    } else {
      read.ok.time(res);
      res.writeHead(200, ['X-Request-Id', id, 'Content-Type', JSON_TYPE, 'ETag', hit.etag, 'Cache-Control', CACHE_CONTROL, 'Content-Length', String(hit.body.length)]);
      res.end(hit.body);
    }
    return true;
  }

  /**
   * `url`'s read, or null when it is not one an early answer may take. A read is a function of the
   * URL alone, so it is parsed once and kept (a client asks for the same few pages over and over):
   * up to READS_KEPT URLs of up to READ_URL_KEPT characters, the oldest forgotten first.
   */
  private readOf(url: string): Read | null {
    let read = this.reads.get(url);
    if (read !== undefined) return read;
    read = parseRead(url);
    if (url.length <= READ_URL_KEPT) {
      if (this.reads.size >= READS_KEPT) this.reads.delete(this.reads.keys().next().value!);
      this.reads.set(url, read);
    }
    return read;
  }

  /**
   * The caller's part of the cache key, as the auth guard would find the caller, when that needs no
   * wait: anonymous, or the user of a personal access token in the token cache; `undefined` for
   * everything else (a session cookie, an OIDC token, an unknown or malformed credential), left to
   * the guard.
   */
  private callerPartOf(req: IncomingMessage): string | undefined {
    const header = req.headers.authorization;
    if (header === undefined) {
      const cookie = req.headers.cookie;
      return cookie !== undefined && cookie.includes(this.deps.sessionCookie) ? undefined : ANONYMOUS;
    }
    let known = this.tokenHashes.get(req.socket);
    if (known?.header !== header) {
      const token = bearerToken(header);
      if (!token?.startsWith(TOKEN_PREFIX)) return undefined;
      this.tokenHashes.set(req.socket, (known = { header, hash: hashToken(token) }));
    }
    const auth = this.deps.tokens.authenticateCachedHash(known.hash);
    if (!auth) return undefined;
    let part = this.callerParts.get(auth.token);
    if (part === undefined) this.callerParts.set(auth.token, (part = AnswerCache.callerPart(auth.caller)));
    return part;
  }
}

/** A catalog read an early answer may take: its cache key's parts, and the request metrics' series of its answers. */
interface Read {
  kind: 'list' | 'get';
  /** The request metrics' series of its answers (under the route as Express names it). */
  ok: HttpSeries;
  notModified: HttpSeries;
  /** The controller's query (Express's parsed query for a list, the decoded id for one version) as JSON. */
  queryJson: string;
}

const READS_KEPT = 1000;
const READ_URL_KEPT = 512;
const ANONYMOUS = AnswerCache.callerPart(null);

/** What `url` (under LIST_ROUTE) reads, parsed as Express parses it; null when the framework must see it. */
function parseRead(url: string): Read | null {
  // a NUL is refused by the framework (refuse-nul.ts); a fragment is never sent by a client
  if (url.includes('%00') || url.includes('#')) return null;
  const q = url.indexOf('?');
  const pathname = q < 0 ? url : url.slice(0, q);
  // Express 5's default ("simple") query parser, so the key is the controller's
  if (pathname === LIST_ROUTE) return { kind: 'list', ...seriesOf(LIST_ROUTE), queryJson: JSON.stringify(parseQuery(q < 0 ? '' : url.slice(q + 1))) };
  const id = pathname.startsWith(ONE_PREFIX) ? idOf(pathname.slice(ONE_PREFIX.length)) : undefined;
  return id === undefined ? null : { kind: 'get', ...seriesOf(ONE_ROUTE), queryJson: JSON.stringify(id) };
}

function seriesOf(route: string): { ok: HttpSeries; notModified: HttpSeries } {
  const metrics = serviceMetrics();
  return { ok: metrics.httpSeries('GET', route, 200), notModified: metrics.httpSeries('GET', route, 304) };
}

/** The controller's cached-answer headers (AppsController.cached). */
export const JSON_TYPE = 'application/json; charset=utf-8';
export const CACHE_CONTROL = 'private, no-cache';

/** An `:id` path segment as Express decodes it, or undefined when Express would not match it or would refuse it. */
function idOf(segment: string): string | undefined {
  if (segment === '' || segment.includes('/')) return undefined;
  try {
    return decodeURIComponent(segment);
  } catch {
    return undefined;
  }
}

type Listener = (req: IncomingMessage, res: ServerResponse) => void;

/**
 * Puts `early` in front of the server's request listeners (Express, as Nest made it): each request
 * goes to `early` first and, unless it answered, on to them unchanged. Listeners added later
 * (`prependListener`, such as the shutdown's drain) still run before it.
 */
export function answerFirst(server: Server, early: (req: IncomingMessage, res: ServerResponse) => boolean): void {
  const framework = server.listeners('request') as Listener[];
  if (framework.length === 0) throw new Error('answerFirst: the HTTP server has no request listener yet (call it after the app is created)');
  server.removeAllListeners('request');
  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    if (early(req, res)) return;
    for (const listener of framework) listener.call(server, req, res);
  });
}
