import { Catch, HttpException, Logger, type ArgumentsHost, type ExceptionFilter } from '@nestjs/common';
import { HTTP_STATUS, internal, invalid, WharfError, type ErrorCode, type WireError } from '@wharf/contracts';
import type { Response } from 'express';
import { throwError, type Observable } from 'rxjs';

const STATUS_TO_CODE: Record<number, ErrorCode> = {
  400: 'INVALID',
  401: 'UNAUTHENTICATED',
  403: 'FORBIDDEN',
  404: 'NOT_FOUND',
  409: 'CONFLICT',
  413: 'INVALID',
  415: 'INVALID',
  429: 'LIMIT_EXCEEDED',
  503: 'UNAVAILABLE',
};

/** What a 503 tells clients to wait before trying again (a restarted service is back within seconds). */
export const RETRY_AFTER_SECONDS = 5;

/**
 * The status of a client error raised by Express's own middleware (the body parsers: a body that
 * is too large, not valid JSON, in an unknown charset), which follow the http-errors convention.
 */
function clientErrorStatus(e: unknown): number | null {
  if (!(e instanceof Error)) return null;
  const err = e as Error & { status?: unknown; statusCode?: unknown; expose?: unknown };
  const status = typeof err.status === 'number' ? err.status : typeof err.statusCode === 'number' ? err.statusCode : null;
  return status !== null && status >= 400 && status < 500 && err.expose !== false ? status : null;
}

/** What to tell the client about a body parser's refusal: what was wrong and how to fix it. */
function clientErrorMessage(e: Error & { type?: unknown; limit?: unknown }, status: number): string {
  if (status === 413) return `the request body is larger than the ${typeof e.limit === 'number' ? `${e.limit} bytes` : 'size'} allowed here; send a smaller one`;
  if (e.type === 'entity.parse.failed') return `the request body is not valid JSON (${e.message}); send a JSON object`;
  return e.message;
}

/**
 * Express error middleware, mounted right after the body parsers: a body that is not valid JSON
 * becomes an INVALID error saying what is wrong and what to send. (Nest turns the parser's own
 * SyntaxError into a bare 400 carrying only the parser's words before any filter sees it.)
 */
export function clearBodyErrors(err: unknown, _req: unknown, _res: unknown, next: (e?: unknown) => void): void {
  const parseFailure = clientErrorStatus(err) === 400 && (err as { type?: unknown }).type === 'entity.parse.failed';
  next(parseFailure ? invalid(clientErrorMessage(err as Error, 400)) : err);
}

/** Maps anything thrown to the wire error shape; the one place where domain errors become wire/HTTP errors. */
export function toWire(e: unknown): WireError {
  if (e instanceof WharfError) return e.toWire();
  const clientStatus = clientErrorStatus(e);
  if (clientStatus !== null) return { code: STATUS_TO_CODE[clientStatus] ?? 'INVALID', message: clientErrorMessage(e as Error, clientStatus) };
  if (e instanceof HttpException) {
    const status = e.getStatus();
    const body = e.getResponse();
    const message =
      typeof body === 'string'
        ? body
        : typeof body === 'object' && body && 'message' in body
          ? String(Array.isArray(body.message) ? body.message.join('; ') : body.message)
          : e.message;
    const details = typeof body === 'object' && body && 'errors' in body ? { problems: body.errors } : undefined;
    return { code: STATUS_TO_CODE[status] ?? (status >= 500 ? 'INTERNAL' : 'INVALID'), message, ...(details ? { details } : {}) };
  }
  return internal('internal error').toWire();
}

export function httpStatusOf(e: unknown, wire: WireError): number {
  if (e instanceof HttpException && e.getStatus() !== 500) return e.getStatus();
  const clientStatus = clientErrorStatus(e);
  if (clientStatus !== null) return clientStatus;
  return HTTP_STATUS[wire.code];
}

/** Catches everything. RPC: rethrows `{ code, message, details }` to the caller. HTTP: `{ error: {...} }` with the mapped status. */
@Catch()
export class WharfExceptionFilter implements ExceptionFilter {
  private readonly log = new Logger('Errors');

  catch(e: unknown, host: ArgumentsHost): Observable<never> | void {
    const wire = toWire(e);
    if (wire.code === 'INTERNAL') this.log.error(e instanceof Error ? (e.stack ?? e.message) : String(e));
    if (host.getType() === 'rpc') return throwError(() => wire);
    if (host.getType() === 'http') {
      const res = host.switchToHttp().getResponse<Response>();
      if (res.headersSent) {
        res.destroy();
        return;
      }
      const status = httpStatusOf(e, wire);
      // a service or NATS away: clients (and proxies) learn when to try again instead of hammering
      if (status === 503 && !res.getHeader('Retry-After')) res.setHeader('Retry-After', String(RETRY_AFTER_SECONDS));
      res.status(status).json({ error: wire });
    }
  }
}
