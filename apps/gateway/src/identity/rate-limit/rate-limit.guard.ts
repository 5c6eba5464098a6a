import { applyDecorators, Injectable, SetMetadata, type CanActivate, type ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { WharfError } from '@wharf/contracts';
import type { Response } from 'express';
import type { AuthedRequest } from '../../auth/authed-request';
import { ApiErrorsOf } from '../../openapi/zod-openapi';
import { RateLimiter, type Limit } from './rate-limiter.service';

const KEY = 'wharf:rate-limit';
/** Rate-limits the route per IP and, when signed in, per user (use with @UseGuards(RateLimitGuard)); documents its 429. */
export const RateLimit = (limit: Limit) => applyDecorators(SetMetadata(KEY, limit), ApiErrorsOf(429));

/** Sets Retry-After on a LIMIT_EXCEEDED error before it reaches the exception filter. */
export function withRetryAfter<T>(res: Response, fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    const retry = WharfError.is(e, 'LIMIT_EXCEEDED') ? (e.details as { retryAfter?: number } | undefined)?.retryAfter : undefined;
    if (retry) res.setHeader('Retry-After', String(retry));
    throw e;
  }
}

@Injectable()
export class RateLimitGuard implements CanActivate {
  constructor(
    private readonly limiter: RateLimiter,
    private readonly reflector: Reflector,
  ) {}

  canActivate(ctx: ExecutionContext): boolean {
    const limit = this.reflector.get<Limit | undefined>(KEY, ctx.getHandler());
    if (!limit || ctx.getType() !== 'http') return true;
    const req = ctx.switchToHttp().getRequest<AuthedRequest>();
    const res = ctx.switchToHttp().getResponse<Response>();
    withRetryAfter(res, () => this.limiter.consume(limit, [`ip:${req.ip}`, req.auth ? `user:${req.auth.caller.sub}` : null]));
    return true;
  }
}
