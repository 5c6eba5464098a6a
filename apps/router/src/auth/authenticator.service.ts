import type { IncomingHttpHeaders } from 'node:http';
import { Inject, Injectable } from '@nestjs/common';
import { IdentityContracts, type Caller } from '@wharf/contracts';
import { RpcClient } from '@wharf/nats';
import { lookupOrNull } from '../common/lookup';
import { ROUTER_SETTINGS, type RouterSettings } from '../router.config';
import { cookieKey, cookieName, cookieValues, verifyCookie } from './router-cookie';
import { TtlCache } from './ttl-cache';

/** Who a request comes from, and how they proved it. */
export type Principal =
  | { kind: 'anonymous'; caller: null }
  | { kind: 'cookie'; caller: Caller; session: string }
  | { kind: 'bearer'; caller: Caller; token: string; readOnly: boolean };

export type Identified =
  | { ok: true; principal: Principal; /** Authorization carried a platform token: never forwarded. */ platformAuthorization: boolean }
  | { ok: false; message: string };

interface TokenAnswer {
  caller: Caller;
  readOnly: boolean;
}

/** The gateway's "this credential is not (or no longer) valid". */
const NOT_VALID = ['UNAUTHENTICATED', 'INVALID'] as const;
const ANONYMOUS: Principal = { kind: 'anonymous', caller: null };
const looksLikeJwt = (t: string) => /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/.test(t);

/**
 * Identifies the caller of every request: `Authorization: Bearer <PAT or OIDC token>` (API
 * clients) or the router's host-bound cookie (browsers, after a ticket). Both are re-checked with
 * the gateway over NATS at most every Router.AuthCacheMs, so a revoked token or an ended session
 * stops working within seconds (at once, for tokens, on `events.token.changed.v1`).
 */
@Injectable()
export class Authenticator {
  readonly cookieName: string;
  readonly secure: boolean;
  private readonly key: Buffer;
  private readonly sessions: TtlCache<string, Caller | null>;
  private readonly tokens: TtlCache<string, TokenAnswer | null>;

  constructor(
    private readonly rpc: RpcClient,
    @Inject(ROUTER_SETTINGS) private readonly settings: RouterSettings,
  ) {
    this.secure = settings.router.Scheme === 'https';
    this.cookieName = cookieName(this.secure);
    this.key = cookieKey(settings.platform.InternalSecret);
    this.sessions = new TtlCache(settings.router.AuthCacheMs);
    this.tokens = new TtlCache(settings.router.AuthCacheMs);
  }

  get cookieSigningKey(): Buffer {
    return this.key;
  }

  async identify(headers: IncomingHttpHeaders, host: string): Promise<Identified> {
    const authorization = headers.authorization;
    if (authorization && /^bearer\s/i.test(authorization)) {
      const token = authorization.slice(7).trim();
      const platformShaped = token.startsWith('wharf_pat_') || looksLikeJwt(token);
      if (platformShaped) {
        const answer = await this.tokens.get(token, (t) => this.verifyToken(t));
        if (answer) {
          return { ok: true, platformAuthorization: true, principal: { kind: 'bearer', caller: answer.caller, token, readOnly: answer.readOnly } };
        }
        // A PAT that does not verify is refused outright; a JWT the platform does not know may be the app's own.
        if (token.startsWith('wharf_pat_')) return { ok: false, message: 'the access token is unknown, revoked or expired' };
      }
    }
    for (const value of cookieValues(headers.cookie, this.cookieName)) {
      const claims = verifyCookie(this.key, value, host);
      if (!claims) continue;
      const caller = await this.sessions.get(claims.s, (s) => this.checkSession(s));
      if (caller) return { ok: true, platformAuthorization: false, principal: { kind: 'cookie', caller, session: claims.s } };
    }
    return { ok: true, platformAuthorization: false, principal: ANONYMOUS };
  }

  /** Is this principal still who it was? (Open websockets and streams are re-checked with it.) */
  async stillValid(p: Principal): Promise<boolean> {
    if (p.kind === 'anonymous') return true;
    if (p.kind === 'cookie') return (await this.sessions.get(p.session, (s) => this.checkSession(s)))?.sub === p.caller.sub;
    return (await this.tokens.get(p.token, (t) => this.verifyToken(t)))?.caller.sub === p.caller.sub;
  }

  /** `events.token.changed.v1`: forget what we know about the user's tokens and sessions. */
  forgetUser(sub: string): void {
    this.tokens.dropWhere((a) => a?.caller.sub === sub);
    this.sessions.dropWhere((c) => c?.sub === sub);
  }

  /** A session just redeemed from a ticket: known good now. */
  remember(session: string, caller: Caller): void {
    this.sessions.set(session, caller);
  }

  private async verifyToken(token: string): Promise<TokenAnswer | null> {
    const r = await lookupOrNull(this.rpc, IdentityContracts.verifyToken, { token }, null, this.settings.router.LookupTimeoutMs, NOT_VALID);
    return r && { caller: r.caller, readOnly: r.readOnly };
  }

  private async checkSession(session: string): Promise<Caller | null> {
    const r = await lookupOrNull(this.rpc, IdentityContracts.checkSession, { session }, null, this.settings.router.LookupTimeoutMs, NOT_VALID);
    return r?.caller ?? null;
  }
}
