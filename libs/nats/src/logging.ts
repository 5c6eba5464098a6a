import { AsyncLocalStorage } from 'node:async_hooks';
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { performance } from 'node:perf_hooks';
import type { DynamicModule, INestApplication, INestMicroservice } from '@nestjs/common';
import { Logger, LoggerModule } from 'nestjs-pino';
import pino, { type DestinationStream, type Logger as Pino } from 'pino';
import pretty from 'pino-pretty';
import { REQUEST_ID_PATTERN } from '@wharf/contracts';

/**
 * Logs: one JSON object per line (pino, through nestjs-pino for Nest's own Logger), or readable
 * lines at a terminal. Every line written while a request is handled carries its `reqId`: the
 * caller's X-Request-Id when it is sane, else a new one; NATS requests carry it to the serving
 * service (RpcClient, handle.decorator), the scheduler hands it to the launcher it starts.
 */

const scope = new AsyncLocalStorage<string>();

/** A request id from outside (a header, a NATS message) when it is safe to log and pass on. */
export function saneRequestId(v: unknown): string | undefined {
  return typeof v === 'string' && REQUEST_ID_PATTERN.test(v) ? v : undefined;
}

/** The id of the request being handled, if any. */
export function currentRequestId(): string | undefined {
  return scope.getStore();
}

/** Runs `fn` (and everything it starts) as part of request `id`. */
export function withRequestId<T>(id: string | undefined, fn: () => T): T {
  return scope.run(id ?? randomUUID(), fn);
}

/**
 * HTTP middleware: the request's id (X-Request-Id when sane, else new), echoed in the response,
 * and the rest of the request handled in its scope. Runs after the body parsers, whose callbacks
 * would lose the scope.
 */
export function requestIdMiddleware(req: IncomingMessage, res: ServerResponse, next: () => void): void {
  const id = requestIdOf(req);
  res.setHeader('X-Request-Id', id);
  scope.run(id, next);
}

/** Gives `req` its id (X-Request-Id when sane, else new) and returns it; the caller echoes it in the response. */
export function requestIdOf(req: IncomingMessage): string {
  const id = saneRequestId(req.headers['x-request-id']) ?? randomUUID();
  (req as IncomingMessage & { id?: string }).id = id;
  return id;
}

export type LogLevelSetting = 'error' | 'warn' | 'log' | 'debug' | 'verbose';
export type LogFormatSetting = 'auto' | 'json' | 'pretty';
export interface LogSettings {
  LogLevel?: LogLevelSetting;
  LogFormat?: LogFormatSetting;
}

const PINO_LEVEL: Record<LogLevelSetting, pino.Level> = { error: 'error', warn: 'warn', log: 'info', debug: 'debug', verbose: 'trace' };

/** Query parameters whose values are never logged (login codes, tickets, tokens, signatures). */
const SECRET_PARAM = /token|ticket|code|state|secret|password|passwd|key|sig|session|auth|cookie|nonce|verifier|assertion|credential/i;

/** Wharf's secrets that travel in URLs (share links, device codes, tokens, JWTs), percent-encoded or not. */
const SECRET_SHAPES = /wsh_[A-Za-z0-9_-]{8,}|wharf_(?:pat|dc)_[A-Za-z0-9_-]{8,}|eyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]*/g;

/**
 * A URL as logged: the path, query values of secret-looking parameters replaced by `[redacted]`,
 * and anything shaped like one of Wharf's secrets (a share link's `/share/wsh_…`, also inside a
 * `next=` parameter) replaced too.
 */
export function loggableUrl(url: string | undefined): string {
  if (!url) return '';
  const q = url.indexOf('?');
  if (q < 0) return url.replace(SECRET_SHAPES, '[redacted]');
  const params = url
    .slice(q + 1)
    .split('&')
    .map((pair) => {
      const eq = pair.indexOf('=');
      const name = eq < 0 ? pair : pair.slice(0, eq);
      return eq >= 0 && SECRET_PARAM.test(decodeSafely(name)) ? `${name}=[redacted]` : pair;
    });
  return `${url.slice(0, q)}?${params.join('&')}`.replace(SECRET_SHAPES, '[redacted]');
}

function decodeSafely(s: string): string {
  try {
    return decodeURIComponent(s.replace(/\+/g, ' '));
  } catch {
    return s;
  }
}

/** Field names whose values are never logged, wherever they sit in a logged object. */
const REDACT = [
  'password', 'token', 'secret', 'ticket', 'cookie', 'authorization', 'assertion', 'accessToken', 'refreshToken', 'idToken', 'clientSecret',
].flatMap((k) => [k, `*.${k}`, `*.*.${k}`]);

/** One line for a person: `[context] message`, a request as `GET /path → 200 (12 ms)`, then its id. */
function prettyMessage(log: Record<string, unknown>, messageKey: string): string {
  const req = log.req as { method?: string; url?: string } | undefined;
  const res = log.res as { statusCode?: number } | undefined;
  const text = req && res ? `${req.method} ${req.url} → ${res.statusCode} (${String(log.responseTime)} ms)` : String(log[messageKey] ?? '');
  const context = typeof log.context === 'string' ? `[${log.context}] ` : '';
  const id = typeof log.reqId === 'string' ? ` (request ${log.reqId})` : '';
  return `${context}${text}${id}`;
}

/**
 * The service's pino logger: `service` and `pid` on every line, `reqId` on every line written for
 * a request, ISO times, level names; pretty (for a person) when LogFormat says so or, on `auto`,
 * when standard output is a terminal.
 */
export function createServiceLogger(service: string, settings: LogSettings = {}, destination?: DestinationStream): Pino {
  const format = settings.LogFormat ?? 'auto';
  const prettyOut = format === 'pretty' || (format === 'auto' && process.stdout.isTTY === true);
  const stream =
    destination ??
    (prettyOut
      ? pretty({
          colorize: process.stdout.isTTY === true,
          sync: true,
          translateTime: 'SYS:HH:MM:ss.l',
          singleLine: true,
          ignore: 'pid,hostname,service,context,reqId,req,res,responseTime',
          messageFormat: prettyMessage,
        })
      : pino.destination({ dest: 1, sync: true }));
  return pino(
    {
      level: PINO_LEVEL[settings.LogLevel ?? 'log'],
      base: { service, pid: process.pid },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
      redact: { paths: REDACT, censor: '[redacted]' },
      // the request's id (a line that names one itself, such as a request line, keeps its own)
      mixin: () => {
        const id = scope.getStore();
        return id ? { reqId: id } : {};
      },
    },
    stream,
  );
}

const PROBES = /^\/(healthz|readyz|livez|metrics)(\/|\?|$)/;

/** Each service's logger, by name, for its request lines (`requestLogMiddleware`). */
const serviceLoggers = new Map<string, Pino>();

/** The logger `serviceLoggerModule` made for `service`, if it made one in this process. */
export function serviceLogger(service: string): Pino | undefined {
  return serviceLoggers.get(service);
}

/**
 * nestjs-pino for one service: Nest's Logger writes through `createServiceLogger`. Its per-request
 * middleware (pino-http: two child loggers per request, each serializing the request) is not
 * mounted: request lines come from `requestLogMiddleware`, and the request's id from our own scope.
 */
export function serviceLoggerModule(service: string, settings: LogSettings = {}): DynamicModule {
  const logger = createServiceLogger(service, settings);
  serviceLoggers.set(service, logger);
  return LoggerModule.forRoot({ pinoHttp: { logger }, forRoutes: [] });
}

/**
 * HTTP middleware: one line per request when it is answered (or its client leaves), except the
 * probes and /metrics: method, path (secrets redacted), status, milliseconds and the request's id;
 * never headers, cookies or bodies. 5xx answers are errors, the rest info. Mount it after
 * `requestIdMiddleware`.
 */
export function requestLogMiddleware(logger: Pino): (req: IncomingMessage, res: ServerResponse, next: () => void) => void {
  return (req, res, next) => {
    logRequest(logger, req, res);
    next();
  };
}

/**
 * Writes `req`'s line (see `requestLogMiddleware`) when its response is done or its client leaves;
 * for paths that answer without the middlewares (the gateway's early catalog reads).
 */
export function logRequest(logger: Pino, req: IncomingMessage, res: ServerResponse): void {
  if (!logger.isLevelEnabled('info') || PROBES.test(req.url ?? '')) return;
  const start = performance.now();
  const url = req.url;
  const done = () => {
    res.removeListener('finish', done);
    res.removeListener('close', done);
    const status = res.writableFinished || res.headersSent ? res.statusCode : 499;
    const line = {
      reqId: (req as IncomingMessage & { id?: string }).id,
      req: { method: req.method, url: loggableUrl(url) },
      res: { statusCode: status },
      responseTime: Math.round(performance.now() - start),
    };
    if (status >= 500) logger.error(line, 'request errored');
    else logger.info(line, res.writableFinished ? 'request completed' : 'request aborted');
  };
  res.once('finish', done);
  res.once('close', done);
}

/** The Nest logger service of a service's app (`app.get(ServiceLogger)`), writing through pino. */
export { Logger as ServiceLogger } from 'nestjs-pino';

/** Makes the app's Nest logger the service's pino logger (create the app with `bufferLogs: true`). */
export function useServiceLogger(app: INestApplication | INestMicroservice): Logger {
  const logger = app.get(Logger);
  app.useLogger(logger);
  app.flushLogs();
  return logger;
}
