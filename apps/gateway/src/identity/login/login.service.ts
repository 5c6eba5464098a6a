import { createHash } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import type { Caller } from '@wharf/contracts';
import type { Request, Response } from 'express';
import { Passport } from 'passport';
import OpenIDConnectStrategy from 'passport-openidconnect';
import { GATEWAY_SETTINGS, publicUrlOf, type GatewaySettings } from '../../gateway.config';
import { constantTimeEqual, parseCookies, secret, serializeCookie, sha256 } from '../cookies';
import { OidcClient } from '../oidc/oidc.client';
import { SessionRepository } from '../session/session.repository';

const STRATEGY = 'wharf-oidc';
const LOGIN_TTL_SECONDS = 600;

export interface LoginUser {
  caller: Caller;
  idToken: string;
}

export type LoginOutcome =
  | { kind: 'redirected' }
  | { kind: 'success'; user: LoginUser; next: string }
  | { kind: 'refused'; status: number; reason: string };

interface AppState {
  next: string;
}

/**
 * passport-openidconnect with PKCE added (it has none of its own): the code challenge goes into
 * the authorization request, and the verifier — stored with the login transaction — into the
 * token request of the same code.
 */
class PkceOpenIdStrategy extends OpenIDConnectStrategy {
  /** code → verifier, between the state check and the token request of one callback. */
  readonly verifiers = new Map<string, string>();

  constructor(options: OpenIDConnectStrategy.StrategyOptions, verify: OpenIDConnectStrategy.VerifyFunction) {
    super(options, verify);
    const oauth2 = this._oauth2;
    const exchange = oauth2.getOAuthAccessToken.bind(oauth2);
    oauth2.getOAuthAccessToken = (code, params, callback) => {
      const verifier = this.verifiers.get(code);
      this.verifiers.delete(code);
      exchange(code, verifier ? { ...params, code_verifier: verifier } : params, callback);
    };
  }

  override authorizationParams(options: Record<string, unknown>): Record<string, string> {
    const challenge = options.codeChallenge;
    return typeof challenge === 'string' ? { code_challenge: challenge, code_challenge_method: 'S256' } : {};
  }
}

/**
 * Browser login (authorization code flow): `state` is a single-use handle of a login transaction
 * in Postgres, bound to the browser by a pre-login cookie (no login CSRF); `nonce` is checked by
 * the library and again with the ID token's verified signature.
 */
@Injectable()
export class LoginService {
  private strategy?: Promise<{ passport: InstanceType<typeof Passport>; strategy: PkceOpenIdStrategy }>;
  readonly publicUrl: string;
  private readonly secure: boolean;

  constructor(
    private readonly oidc: OidcClient,
    private readonly sessions: SessionRepository,
    @Inject(GATEWAY_SETTINGS) private readonly settings: GatewaySettings,
  ) {
    this.publicUrl = publicUrlOf(settings.gateway);
    this.secure = this.publicUrl.startsWith('https:');
  }

  get loginCookie(): string {
    return this.secure ? '__Host-wharf_login' : 'wharf_login';
  }

  private async passport() {
    this.oidc.requireLogin();
    this.strategy ??= (async () => {
      const d = await this.oidc.getDiscovery();
      const g = this.settings.gateway;
      const store: OpenIDConnectStrategy.StateStore = {
        store: (req, ctx, appState, _meta, cb) => {
          const r = req as Request & { wharfBrowserHash?: string; wharfVerifier?: string };
          const handle = secret(24);
          this.sessions
            .createLoginTransaction({
              id: sha256(handle),
              browserHash: r.wharfBrowserHash!,
              nonce: ctx.nonce ?? null,
              codeVerifier: r.wharfVerifier!,
              next: (appState as AppState).next,
              expiresAt: new Date(Date.now() + LOGIN_TTL_SECONDS * 1000),
            })
            .then(() => cb(null, handle), (e: Error) => cb(e));
        },
        verify: (req, handle, cb) => {
          const r = req as Request;
          if (typeof handle !== 'string' || !handle || handle.length > 100) return cb(null, false, { message: 'the sign-in request has no valid state' });
          this.sessions.takeLoginTransaction(sha256(handle)).then((tx) => {
            if (!tx || tx.expiresAt <= new Date()) return cb(null, false, { message: 'this sign-in request is unknown, used or expired; start again' });
            const browser = parseCookies(r.headers.cookie).get(this.loginCookie);
            if (!browser || !constantTimeEqual(sha256(browser), tx.browserHash)) {
              return cb(null, false, { message: 'this sign-in was started in another browser (state is bound to the browser that began it)' });
            }
            const code = typeof r.query.code === 'string' ? r.query.code : '';
            strategy.verifiers.set(code, tx.codeVerifier);
            if (strategy.verifiers.size > 10_000) strategy.verifiers.delete(strategy.verifiers.keys().next().value!);
            cb(null, { nonce: tx.nonce ?? undefined }, { next: tx.next } satisfies AppState);
          }, (e: Error) => cb(e));
        },
      };
      const strategy = new PkceOpenIdStrategy(
        {
          issuer: d.issuer,
          authorizationURL: d.authorization_endpoint,
          tokenURL: d.token_endpoint,
          clientID: g.OidcClientId,
          clientSecret: g.OidcClientSecret!,
          callbackURL: `${this.publicUrl}/auth/callback`,
          scope: g.OidcScopes.filter((s) => s !== 'openid'),
          nonce: true,
          skipUserProfile: true,
          store,
        },
        (_iss, _profile, _ctx, idToken, _at, _rt, _params, done) => {
          this.oidc.verifyIdToken(idToken, null).then((claims) => {
            let caller: Caller | null;
            try {
              caller = this.oidc.callerFromClaims(claims as Record<string, unknown>);
            } catch (e) {
              return done(null, false, { message: e instanceof Error ? e.message : 'this account cannot sign in' });
            }
            if (!caller) return done(null, false, { message: 'your account has no Wharf role (ask an admin to grant one)' });
            done(null, { caller, idToken } satisfies LoginUser);
          }, (e: Error) => done(null, false, { message: `the ID token did not verify: ${e.message}` }));
        },
      );
      const passport = new Passport();
      passport.use(STRATEGY, strategy);
      return { passport, strategy };
    })().catch((e: unknown) => {
      this.strategy = undefined;
      throw e;
    });
    return this.strategy;
  }

  /** Sends the browser to the provider; sets the pre-login cookie that binds `state` to it. */
  async begin(req: Request, res: Response, next: string): Promise<void> {
    const { passport } = await this.passport();
    const browser = secret(24);
    const verifier = secret(32);
    const r = req as Request & { wharfBrowserHash?: string; wharfVerifier?: string };
    r.wharfBrowserHash = sha256(browser);
    r.wharfVerifier = verifier;
    res.append('Set-Cookie', serializeCookie(this.loginCookie, browser, { secure: this.secure, path: '/auth', maxAgeSeconds: LOGIN_TTL_SECONDS }));
    const codeChallenge = createHash('sha256').update(verifier).digest('base64url');
    await new Promise<void>((resolve, reject) => {
      const mw = passport.authenticate(STRATEGY, { session: false, state: { next } satisfies AppState, codeChallenge } as object, (err: unknown) =>
        err ? reject(err instanceof Error ? err : new Error(String(err))) : resolve(),
      ) as (req: Request, res: Response, next: (e?: unknown) => void) => void;
      res.once('finish', () => resolve());
      mw(req, res, (e?: unknown) => (e ? reject(e instanceof Error ? e : new Error(String(e))) : resolve()));
    });
  }

  /** Handles the provider's redirect back: state, code exchange (with PKCE), nonce, ID token signature, roles. */
  async complete(req: Request, res: Response): Promise<LoginOutcome> {
    const { passport } = await this.passport();
    res.append('Set-Cookie', serializeCookie(this.loginCookie, '', { secure: this.secure, path: '/auth', maxAgeSeconds: 0 }));
    return new Promise<LoginOutcome>((resolve) => {
      const mw = passport.authenticate(STRATEGY, { session: false }, (err: unknown, user: LoginUser | false, info: unknown, status?: number) => {
        if (err) {
          const msg = err instanceof Error ? err.message : String(err);
          return resolve({ kind: 'refused', status: 502, reason: `the identity provider refused the sign-in: ${msg}` });
        }
        if (!user) return resolve({ kind: 'refused', status: status && status >= 400 ? status : 403, reason: messageOf(info) });
        resolve({ kind: 'success', user, next: messageNext(info) });
      }) as (req: Request, res: Response, next: (e?: unknown) => void) => void;
      mw(req, res, (e?: unknown) => resolve({ kind: 'refused', status: 500, reason: e instanceof Error ? e.message : 'sign-in failed' }));
    });
  }
}

const messageOf = (info: unknown): string =>
  info && typeof info === 'object' && 'message' in info && typeof info.message === 'string' && info.message ? info.message : 'sign-in was not completed';

const messageNext = (info: unknown): string => {
  const state = info && typeof info === 'object' && 'state' in info ? (info.state as Partial<AppState>) : undefined;
  return typeof state?.next === 'string' ? state.next : '/';
};
