import { applyDecorators, createParamDecorator, Inject, Injectable, SetMetadata, type CanActivate, type ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { ApiSecurity } from '@nestjs/swagger';
import { forbidden, unauthenticated, type Caller } from '@wharf/contracts';
import { describeAction } from '../audit/audit-actions';
import { AuditService } from '../audit/audit.service';
import { GATEWAY_SETTINGS, publicUrlOf, type GatewaySettings } from '../gateway.config';
import { Authenticator } from '../identity/authenticator.service';
import { parseCookies } from '../identity/cookies';
import { SessionService } from '../identity/session/session.service';
import type { Response } from 'express';
import { bearerToken, type AuthedRequest } from './authed-request';
import { DenialMetrics, markCsrfDenial } from './denials';

export type { AuthedRequest, Authenticated } from './authed-request';

const ANONYMOUS_OK = 'wharf:anonymous-ok';
/**
 * The route also answers anonymous callers (the services decide what they may see). The API document
 * lists the empty security requirement (`{}`) as the operation's anonymous alternative.
 */
export const AllowAnonymous = () => applyDecorators(SetMetadata(ANONYMOUS_OK, true), ApiSecurity({}));

const CSRF_EXEMPT = 'wharf:csrf-exempt';
/**
 * The handler checks CSRF itself (HTML forms post a `csrf` field) or never acts on the session
 * (the CLI's device endpoints), so the guard does not ask for the X-CSRF-Token header.
 */
export const CsrfCheckedByHandler = () => SetMetadata(CSRF_EXEMPT, true);

/** The caller of this request (`null` when anonymous on an @AllowAnonymous route). */
export const CurrentCaller = createParamDecorator(
  (_: unknown, ctx: ExecutionContext): Caller | null => ctx.switchToHttp().getRequest<AuthedRequest>().auth?.caller ?? null,
);

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * Authenticates every HTTP request, in this order:
 * 1. `Authorization: Bearer …` — a personal access token (`wharf_pat_…`) or an OIDC access token
 *    (JWT; issuer, signature and Gateway.OidcAudience checked). A present but bad token is always 401.
 * 2. The session cookie of a browser signed in with OIDC. Mutating requests must then carry the
 *    session's CSRF token in `X-CSRF-Token` (and a cross-site Origin is refused): SameSite=Lax alone
 *    is not enough, because instances under the apps domain are same-site with the gateway.
 * Denials are recorded in the audit log here (the audit watch, a later guard, never sees them). Every request
 * this guard sees is also watched for `wharf_gateway_denied_total` (denials.ts): the guard runs first
 * for every route, so the finished response counts each denial once — its own, a controller's or a
 * service's role check, or a rate limit.
 */
@Injectable()
export class AuthGuard implements CanActivate {
  private readonly publicOrigin: string;
  private readonly denials = new DenialMetrics();

  constructor(
    private readonly authenticator: Authenticator,
    private readonly sessions: SessionService,
    private readonly audit: AuditService,
    private readonly reflector: Reflector,
    @Inject(GATEWAY_SETTINGS) settings: GatewaySettings,
  ) {
    this.publicOrigin = new URL(publicUrlOf(settings.gateway)).origin;
  }

  async canActivate(ctx: ExecutionContext): Promise<boolean> {
    if (ctx.getType() !== 'http') return true;
    const req = ctx.switchToHttp().getRequest<AuthedRequest>();
    const res = ctx.switchToHttp().getResponse<Response>();
    this.denials.watch(res);
    const flag = (key: string) => this.reflector.getAllAndOverride<boolean>(key, [ctx.getHandler(), ctx.getClass()]) === true;
    const anonymousOk = flag(ANONYMOUS_OK);
    const mutating = !SAFE_METHODS.has(req.method);
    const header = req.headers.authorization;

    if (header) {
      const token = bearerToken(header);
      if (!token) throw await this.deny(req, 401, 'malformed Authorization header', unauthenticated('Authorization header must be "Bearer <token>"'));
      const auth = await this.authenticator.bearer(token);
      if (!auth) throw await this.deny(req, 401, 'bad token', unauthenticated('the token is unknown, revoked or expired'));
      req.auth = auth;
      if (auth.kind === 'token' && auth.token.readOnly && mutating) {
        throw await this.deny(req, 403, 'read-only token', forbidden('this token is read-only; create a token without readOnly to make changes'));
      }
      return true;
    }

    const cookie = parseCookies(req.headers.cookie).get(this.sessions.cookieName);
    if (cookie) {
      const auth = await this.sessions.authenticate(cookie);
      if (auth) {
        req.auth = auth;
        if (mutating && !flag(CSRF_EXEMPT)) {
          const origin = req.headers.origin;
          if (origin && origin !== this.publicOrigin) {
            markCsrfDenial(res);
            throw await this.deny(req, 403, 'cross-origin request', forbidden(`cross-origin request from ${origin} refused`));
          }
          if (!this.sessions.csrfMatches(auth, req.headers['x-csrf-token'])) {
            markCsrfDenial(res);
            throw await this.deny(
              req,
              403,
              'missing or wrong CSRF token',
              forbidden('cookie-authenticated changes need the X-CSRF-Token header: read the token from GET /auth/session'),
            );
          }
        }
        return true;
      }
      if (!anonymousOk) throw await this.deny(req, 401, 'session ended', unauthenticated('your session has ended: sign in again at /auth/login'));
    }

    if (anonymousOk) return true;
    const error = unauthenticated(
      'sign in: open /auth/login in a browser, run `wharf login`, or send Authorization: Bearer <personal access token> (create one with POST /api/v1/tokens)',
    );
    if (mutating) throw await this.deny(req, 401, 'no credentials', error);
    throw error;
  }

  private async deny(req: AuthedRequest, status: number, reason: string, error: Error): Promise<Error> {
    const info = describeAction(req.method, (req.route as { path?: string } | undefined)?.path, req.params as Record<string, string>);
    await this.audit.record(req, {
      action: info.action,
      target: info.targetValue,
      outcome: 'denied',
      status,
      details: { reason, method: req.method, path: req.path },
    });
    return error;
  }
}
