import { createParamDecorator, Injectable, SetMetadata, type CanActivate, type ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { forbidden, unauthenticated, type Caller } from '@wharf/contracts';
import type { Request } from 'express';
import { TokenService, type Authenticated } from '../tokens/token.service';

const ANONYMOUS_OK = 'wharf:anonymous-ok';
/** The route also answers anonymous callers (the services decide what they may see). */
export const AllowAnonymous = () => SetMetadata(ANONYMOUS_OK, true);

export interface AuthedRequest extends Request {
  auth?: Authenticated;
}

/** The caller of this request (`null` when anonymous on an @AllowAnonymous route). */
export const CurrentCaller = createParamDecorator(
  (_: unknown, ctx: ExecutionContext): Caller | null => ctx.switchToHttp().getRequest<AuthedRequest>().auth?.caller ?? null,
);

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * Authenticates every request under /api: `Authorization: Bearer wharf_pat_…`.
 * A present but bad token is always 401, even on routes that allow anonymous callers.
 */
@Injectable()
export class AuthGuard implements CanActivate {
  constructor(
    private readonly tokens: TokenService,
    private readonly reflector: Reflector,
  ) {}

  async canActivate(ctx: ExecutionContext): Promise<boolean> {
    if (ctx.getType() !== 'http') return true;
    const req = ctx.switchToHttp().getRequest<AuthedRequest>();
    const header = req.headers.authorization;
    const anonymousOk = this.reflector.getAllAndOverride<boolean>(ANONYMOUS_OK, [ctx.getHandler(), ctx.getClass()]);
    if (!header) {
      if (anonymousOk) return true;
      throw unauthenticated('sign in: send Authorization: Bearer <personal access token> (create one with POST /api/v1/tokens)');
    }
    const m = /^Bearer\s+(\S+)$/i.exec(header);
    if (!m) throw unauthenticated('Authorization header must be "Bearer <token>"');
    const auth = await this.tokens.authenticate(m[1]!);
    if (!auth) throw unauthenticated('the token is unknown, revoked or expired');
    if (auth.token.readOnly && !SAFE_METHODS.has(req.method)) {
      throw forbidden('this token is read-only; create a token without readOnly to make changes');
    }
    req.auth = auth;
    return true;
  }
}
