import type { IncomingHttpHeaders } from 'node:http';
import { Inject, Injectable } from '@nestjs/common';
import { guestCaller, GUEST_SUB_PREFIX, IdentityContracts, isGuestSub, ShareContracts, WharfError, type Caller } from '@wharf/contracts';
import { RpcClient } from '@wharf/nats';
import { atOnce } from '../common/at-once';
import { lookupOrNull } from '../common/lookup';
import { ROUTER_SETTINGS, type RouterSettings } from '../router.config';
import { cookieKey, cookieName, cookieValues, pathCookieName, verifyCookie } from './router-cookie';
import { TtlCache } from './ttl-cache';

/** Who a request comes from, and how they proved it. */
export type Principal =
  | { kind: 'anonymous'; caller: null }
  | { kind: 'cookie'; caller: Caller; session: string }
  | { kind: 'bearer'; caller: Caller; token: string; readOnly: boolean }
  /**
   * Came through a share link: may VIEW `instanceId` while the share holds (and, for a signed-in
   * user, while their session does). `caller` is the user, or a guest (`guest:<use>`, no roles).
   */
  | { kind: 'share'; caller: Caller; share: string; instanceId: string; session: string | null };

export type Identified =
  | { ok: true; principal: Principal; /** Authorization carried a platform token: never forwarded. */ platformAuthorization: boolean }
  | { ok: false; message: string };

interface TokenAnswer {
  caller: Caller;
  readOnly: boolean;
  /** ms since the epoch; null: the token does not expire. */
  expiresAt: number | null;
}

/** What the gateway says of a session: whose it is, until when (null: unknown, e.g. just redeemed from a ticket). */
interface SessionAnswer {
  caller: Caller;
  expiresAt: number | null;
}

/** What the gateway says of a share: which instance it grants, until when (ms since the epoch). */
interface ShareAnswer {
  instanceId: string;
  expiresAt: number;
}

/** The gateway's "this credential is not (or no longer) valid". */
const NOT_VALID = ['UNAUTHENTICATED', 'INVALID'] as const;
const ANONYMOUS: Principal = { kind: 'anonymous', caller: null };
/** No credential (or none valid for the site): shared, never changed. */
const NOBODY: Identified = Object.freeze({ ok: true, platformAuthorization: false, principal: ANONYMOUS });
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
  /** The cookie of BASE_URL instances (path-scoped on the shared apps host). */
  readonly pathCookieName: string;
  /** Every name the router's cookies go by: never forwarded to apps, never set by them. */
  readonly cookieNames: readonly string[];
  readonly secure: boolean;
  private readonly key: Buffer;
  private readonly sessions: TtlCache<string, SessionAnswer | null>;
  private readonly tokens: TtlCache<string, TokenAnswer | null>;
  private readonly shares: TtlCache<string, ShareAnswer | null>;
  /** Shares revoked while this replica runs (events.share.revoked.v1): refused even if an answer in flight says otherwise. */
  private readonly revokedShares = new Set<string>();
  private readonly shareRevokedListeners: ((shareId: string) => void)[] = [];

  constructor(
    private readonly rpc: RpcClient,
    @Inject(ROUTER_SETTINGS) private readonly settings: RouterSettings,
  ) {
    this.secure = settings.router.Scheme === 'https';
    this.cookieName = cookieName(this.secure);
    this.pathCookieName = pathCookieName(this.secure);
    this.cookieNames = [...new Set([this.cookieName, this.pathCookieName])];
    this.key = cookieKey(settings.platform.InternalSecret);
    // the platform unreachable: answers that said "valid" go on for Router.AuthStaleIfErrorMs (ttl-cache.ts)
    const stale = <V extends { expiresAt: number | null } | null>() => ({
      staleIfErrorMs: settings.router.AuthStaleIfErrorMs,
      staleOn: (e: unknown) => WharfError.is(e, 'UNAVAILABLE'),
      validUntil: (v: V) => (v === null ? 0 : v.expiresAt),
    });
    this.sessions = new TtlCache(settings.router.AuthCacheMs, undefined, stale<SessionAnswer | null>());
    this.tokens = new TtlCache(settings.router.AuthCacheMs, undefined, stale<TokenAnswer | null>());
    this.shares = new TtlCache(settings.router.AuthCacheMs, undefined, stale<ShareAnswer | null>());
  }

  get cookieSigningKey(): Buffer {
    return this.key;
  }

  /**
   * Who sends a request to `instanceId` at `site` (the host, or `<host>/instance/<id>` in BASE_URL
   * mode, whose cookie is `pathCookie`): a platform bearer token, else a cookie issued for exactly
   * that site, else nobody. Answered at once (no promise) when what it needs is cached, as it is
   * for nearly every request: the data path allocates no promise and waits no microtask for it.
   */
  identify(headers: IncomingHttpHeaders, site: string, instanceId: string, pathCookie = false): Identified | Promise<Identified> {
    const authorization = headers.authorization;
    if (authorization && /^bearer\s/i.test(authorization)) {
      const token = authorization.slice(7).trim();
      const platformShaped = token.startsWith('wharf_pat_') || looksLikeJwt(token);
      if (platformShaped) {
        const byToken = (answer: TokenAnswer | null): Identified | Promise<Identified> => {
          if (answer) return { ok: true, platformAuthorization: true, principal: { kind: 'bearer', caller: answer.caller, token, readOnly: answer.readOnly } };
          // A PAT that does not verify is refused outright; a JWT the platform does not know may be the app's own.
          if (token.startsWith('wharf_pat_')) return { ok: false, message: 'the access token is unknown, revoked or expired' };
          return this.byCookie(headers, site, instanceId, pathCookie);
        };
        return atOnce(this.tokens.get(token, (t) => this.verifyToken(t)), byToken);
      }
    }
    return this.byCookie(headers, site, instanceId, pathCookie);
  }

  private byCookie(headers: IncomingHttpHeaders, site: string, instanceId: string, pathCookie: boolean): Identified | Promise<Identified> {
    const values = cookieValues(headers.cookie, pathCookie ? this.pathCookieName : this.cookieName);
    return values.length === 0 ? NOBODY : this.fromCookies(values, 0, site, instanceId);
  }

  /** The first of the cookie values (from `i` on) that names a valid session or share for this site, else nobody. */
  private fromCookies(values: string[], i: number, site: string, instanceId: string): Identified | Promise<Identified> {
    for (; i < values.length; i++) {
      const claims = verifyCookie(this.key, values[i]!, site);
      if (!claims) continue;
      const next = i + 1;
      if (claims.sh) {
        return this.sharePrincipal(claims.sh, claims.s || null, claims.g ?? null, instanceId).then((principal) =>
          principal ? { ok: true, platformAuthorization: false, principal } : this.fromCookies(values, next, site, instanceId),
        );
      }
      const session = claims.s;
      const bySession = (answer: SessionAnswer | null): Identified | Promise<Identified> =>
        answer ? { ok: true, platformAuthorization: false, principal: { kind: 'cookie', caller: answer.caller, session } } : this.fromCookies(values, next, site, instanceId);
      return atOnce(this.sessions.get(session, (s) => this.checkSession(s)), bySession);
    }
    return NOBODY;
  }

  /** Is this principal still who it was? (Open websockets and streams are re-checked with it.) */
  async stillValid(p: Principal): Promise<boolean> {
    if (p.kind === 'anonymous') return true;
    if (p.kind === 'share') return (await this.sharePrincipal(p.share, p.session, p.session ? null : p.caller.sub, p.instanceId))?.caller?.sub === p.caller.sub;
    if (p.kind === 'cookie') return (await this.sessions.get(p.session, (s) => this.checkSession(s)))?.caller.sub === p.caller.sub;
    return (await this.tokens.get(p.token, (t) => this.verifyToken(t)))?.caller.sub === p.caller.sub;
  }

  /** `events.token.changed.v1`: forget what we know about the user's tokens and sessions. */
  forgetUser(sub: string): void {
    this.tokens.dropWhere((a) => a?.caller.sub === sub);
    this.sessions.dropWhere((c) => c?.caller.sub === sub);
  }

  /** A session just redeemed from a ticket: known good now. */
  remember(session: string, caller: Caller): void {
    this.sessions.set(session, { caller, expiresAt: null });
  }

  /** A share just redeemed from a ticket: known good now, until it expires. */
  rememberShare(share: string, instanceId: string, expiresAt: string): void {
    if (!this.revokedShares.has(share)) this.shares.set(share, { instanceId, expiresAt: Date.parse(expiresAt) });
  }

  /** `events.share.revoked.v1`: the share grants nothing any more; the listeners close what came through it. */
  revokeShare(share: string): void {
    if (this.revokedShares.size > 100_000) this.revokedShares.clear();
    this.revokedShares.add(share);
    this.shares.set(share, null);
    for (const l of this.shareRevokedListeners) l(share);
  }

  onShareRevoked(listener: (share: string) => void): void {
    this.shareRevokedListeners.push(listener);
  }

  /**
   * The principal of a share cookie, if the share still grants `instanceId` (not revoked, not
   * expired) and, for a signed-in user, their session still holds; a guest has no session.
   */
  private async sharePrincipal(share: string, session: string | null, guest: string | null, instanceId: string): Promise<Principal | null> {
    if (this.revokedShares.has(share)) return null;
    const answer = await this.shares.get(share, (id) => this.checkShare(id));
    if (!answer || answer.instanceId !== instanceId || answer.expiresAt <= Date.now() || this.revokedShares.has(share)) return null;
    let caller: Caller | null;
    if (session) caller = (await this.sessions.get(session, (s) => this.checkSession(s)))?.caller ?? null;
    else caller = guest && isGuestSub(guest) ? guestCaller(guest.slice(GUEST_SUB_PREFIX.length)) : null;
    return caller && { kind: 'share', caller, share, instanceId, session };
  }

  private async checkShare(share: string): Promise<ShareAnswer | null> {
    const r = await lookupOrNull(this.rpc, ShareContracts.check, { share }, null, this.settings.router.LookupTimeoutMs, NOT_VALID);
    return r && { instanceId: r.instanceId, expiresAt: Date.parse(r.expiresAt) };
  }

  private async verifyToken(token: string): Promise<TokenAnswer | null> {
    const r = await lookupOrNull(this.rpc, IdentityContracts.verifyToken, { token }, null, this.settings.router.LookupTimeoutMs, NOT_VALID);
    return r && { caller: r.caller, readOnly: r.readOnly, expiresAt: r.expiresAt ? Date.parse(r.expiresAt) : null };
  }

  private async checkSession(session: string): Promise<SessionAnswer | null> {
    const r = await lookupOrNull(this.rpc, IdentityContracts.checkSession, { session }, null, this.settings.router.LookupTimeoutMs, NOT_VALID);
    return r && { caller: r.caller, expiresAt: Date.parse(r.expiresAt) };
  }
}
