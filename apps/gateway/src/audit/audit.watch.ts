import { Injectable, SetMetadata, type CanActivate, type ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { Response } from 'express';
import type { AuthedRequest } from '../auth/authed-request';
import { describeAction, safeDetails } from './audit-actions';
import { AuditService } from './audit.service';

const SKIP = 'wharf:audit-skip';
/** The handler records its own audit entries (login, logout, device approval…). */
export const AuditedExplicitly = () => SetMetadata(SKIP, true);

const SAFE = new Set(['GET', 'HEAD', 'OPTIONS']);
const SNIFF_LIMIT = 16 * 1024;

/**
 * Records every mutating REST request (and every 403) once its response is done: action from
 * the route, target from the route or the created object's id, outcome from the status.
 * Denials made before this runs (bad credentials, CSRF, read-only tokens) are recorded by the
 * auth guard itself.
 *
 * It is a global guard that always lets the request through, registered after the auth guard:
 * it only starts watching the response. (As a Nest interceptor it cost every request, reads
 * included, rxjs and async-context machinery worth about a tenth of a cached catalog answer.)
 * Route guards run after it, so a mutating request refused by a rate limit is recorded too.
 */
@Injectable()
export class AuditWatch implements CanActivate {
  constructor(
    private readonly audit: AuditService,
    private readonly reflector: Reflector,
  ) {}

  canActivate(ctx: ExecutionContext): boolean {
    if (ctx.getType() !== 'http') return true;
    if (this.reflector.getAllAndOverride<boolean>(SKIP, [ctx.getHandler(), ctx.getClass()])) return true;
    const req = ctx.switchToHttp().getRequest<AuthedRequest>();
    const res = ctx.switchToHttp().getResponse<Response>();
    const mutating = !SAFE.has(req.method);
    const route = (req.route as { path?: string } | undefined)?.path;
    const params = req.params as Record<string, string>;
    const body = mutating ? sniff(res) : null;
    const requestDetails = mutating ? safeDetails(req.body) : undefined;
    res.once('close', () => {
      const status = res.writableFinished ? res.statusCode : 499;
      if (!mutating && status !== 403) return; // reads: only refusals are recorded
      const info = describeAction(req.method, route, params);
      const outcome = status < 400 ? 'success' : status === 401 || status === 403 ? 'denied' : 'failure';
      let target = info.targetValue;
      if (info.target === 'response' && status < 400) target = idOf(body?.());
      void this.audit.record(req, {
        action: info.action,
        outcome,
        target,
        status,
        details: { ...requestDetails, ...(outcome !== 'success' ? { error: errorCodeOf(body?.()) } : {}), method: req.method, path: req.path },
      });
    });
    return true;
  }
}

/** Keeps the first bytes of a JSON response, to read the created object's id or the error code. */
function sniff(res: Response): () => unknown {
  const chunks: Buffer[] = [];
  let size = 0;
  const keep = (chunk: unknown) => {
    if (size >= SNIFF_LIMIT || chunk === undefined || chunk === null || typeof chunk === 'function') return;
    const b = Buffer.isBuffer(chunk) ? chunk : typeof chunk === 'string' ? Buffer.from(chunk) : chunk instanceof Uint8Array ? Buffer.from(chunk) : null;
    if (!b) return;
    chunks.push(b.subarray(0, SNIFF_LIMIT - size));
    size += b.length;
  };
  const write = res.write.bind(res) as (...a: unknown[]) => boolean;
  const end = res.end.bind(res) as (...a: unknown[]) => Response;
  res.write = ((...a: unknown[]) => (keep(a[0]), write(...a))) as Response['write'];
  res.end = ((...a: unknown[]) => (keep(a[0]), end(...a))) as Response['end'];
  return () => {
    if (!/json/.test(String(res.getHeader('content-type') ?? ''))) return null;
    try {
      return JSON.parse(Buffer.concat(chunks).toString('utf8')) as unknown;
    } catch {
      return null;
    }
  };
}

const idOf = (body: unknown): string | null => {
  if (!body || typeof body !== 'object') return null;
  const o = body as Record<string, unknown>;
  const name = typeof o.name === 'string' ? o.name : null;
  const version = typeof o.version === 'string' ? o.version : null;
  if (name && version) return `${name}@${version}`;
  return typeof o.id === 'string' ? o.id : name;
};

const errorCodeOf = (body: unknown): string | undefined => {
  const e = body && typeof body === 'object' ? (body as { error?: { code?: unknown } }).error : undefined;
  return typeof e?.code === 'string' ? e.code : undefined;
};
