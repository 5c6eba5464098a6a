import { Inject, Injectable, Logger } from '@nestjs/common';
import { GUEST_SUB_PREFIX, isGuestSub, unauthenticated, unavailable, type Caller } from '@wharf/contracts';
import { createRemoteJWKSet, decodeProtectedHeader, errors as joseErrors, jwtVerify, type JWTPayload, type JWTVerifyGetKey } from 'jose';
import { z } from 'zod';
import { GATEWAY_SETTINGS, type GatewaySettings } from '../../gateway.config';
import { nameFromClaims, rolesFromClaims } from '../roles';
import { isServiceSubject, SERVICE_SUBJECT_PREFIX } from '../../tokens/token.schemas';

const DiscoverySchema = z.object({
  issuer: z.string(),
  authorization_endpoint: z.url(),
  token_endpoint: z.url(),
  jwks_uri: z.url(),
  userinfo_endpoint: z.url().optional(),
  end_session_endpoint: z.url().optional(),
});
export type Discovery = z.infer<typeof DiscoverySchema>;

const JWT = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/;
export const looksLikeJwt = (s: string) => JWT.test(s);

const trimSlash = (s: string) => s.replace(/\/+$/, '');

/**
 * The gateway's view of its OpenID provider: discovery (fetched lazily, cached, retried after a
 * failure), signature checks against its JWKS (jose caches keys and follows rotation), roles from
 * claims, and the end-session URL for RP-initiated logout.
 */
@Injectable()
export class OidcClient {
  private readonly log = new Logger('OIDC');
  private discovery?: Promise<Discovery>;
  private jwks?: JWTVerifyGetKey;

  constructor(@Inject(GATEWAY_SETTINGS) private readonly settings: GatewaySettings) {}

  private get cfg() {
    return this.settings.gateway;
  }

  /** Browser and device login need an issuer and a client secret. */
  get loginConfigured(): boolean {
    return !!(this.cfg.OidcIssuer && this.cfg.OidcClientSecret);
  }

  requireLogin(): void {
    if (this.loginConfigured) return;
    throw unavailable(
      'browser sign-in is not configured on this gateway: set Gateway.OidcIssuer and Gateway.OidcClientSecret ' +
        '(and Gateway.OidcClientId if not "wharf-gateway"), e.g. env WHARF_GATEWAY_OIDC_ISSUER=https://keycloak.example.com/realms/wharf ' +
        'WHARF_GATEWAY_OIDC_CLIENT_SECRET=…; until then use personal access tokens',
      { keys: ['Gateway.OidcIssuer', 'Gateway.OidcClientId', 'Gateway.OidcClientSecret'] },
    );
  }

  async getDiscovery(): Promise<Discovery> {
    const issuer = this.cfg.OidcIssuer;
    if (!issuer) throw unavailable('no OpenID provider configured (Gateway.OidcIssuer)');
    this.discovery ??= (async () => {
      const url = `${trimSlash(issuer)}/.well-known/openid-configuration`;
      const res = await fetch(url, { signal: AbortSignal.timeout(5000), headers: { accept: 'application/json' } });
      if (!res.ok) throw new Error(`${url} answered ${res.status}`);
      const d = DiscoverySchema.parse(await res.json());
      if (trimSlash(d.issuer) !== trimSlash(issuer)) throw new Error(`the provider calls itself ${d.issuer}, not ${issuer} (Gateway.OidcIssuer)`);
      return d;
    })();
    try {
      return await this.discovery;
    } catch (e) {
      this.discovery = undefined; // try again on the next request
      const why = e instanceof Error ? e.message : String(e);
      this.log.warn(`OpenID provider discovery failed: ${why}`);
      throw unavailable(`the OpenID provider at ${issuer} is not reachable: ${why}`);
    }
  }

  private async keys(): Promise<JWTVerifyGetKey> {
    if (!this.jwks) this.jwks = createRemoteJWKSet(new URL((await this.getDiscovery()).jwks_uri), { timeoutDuration: 5000 });
    return this.jwks;
  }

  /** Checks an ID token from the token endpoint: signature, issuer, audience, expiry and nonce. */
  async verifyIdToken(idToken: string, nonce: string | null): Promise<JWTPayload> {
    const { payload } = await jwtVerify(idToken, await this.keys(), {
      issuer: (await this.getDiscovery()).issuer,
      audience: this.cfg.OidcClientId,
      clockTolerance: 30,
    });
    if (nonce && payload.nonce !== nonce) throw new Error('ID token nonce does not match the login request');
    return payload;
  }

  /** The caller of a set of claims, or null when the claims map to no role and Gateway.DefaultRole is `none`. */
  callerFromClaims(claims: Record<string, unknown>): Caller | null {
    const sub = typeof claims.sub === 'string' && claims.sub ? claims.sub : null;
    if (!sub) return null;
    if (isServiceSubject(sub)) {
      // svc:<user> are admin-minted token users; an OIDC account must never become one of them
      throw unauthenticated(`this account's subject starts with "${SERVICE_SUBJECT_PREFIX}", which Wharf reserves for admin-minted tokens; it cannot sign in (ask an admin)`);
    }
    if (isGuestSub(sub)) {
      // guest:<use> are anonymous guests of share links; an OIDC account must never pose as one
      throw unauthenticated(`this account's subject starts with "${GUEST_SUB_PREFIX}", which Wharf reserves for guests of share links; it cannot sign in (ask an admin)`);
    }
    const roles = rolesFromClaims(claims, { claimPath: this.cfg.OidcRolesClaim, mapping: this.cfg.OidcRoleMapping, defaultRole: this.cfg.DefaultRole });
    return roles ? { sub, name: nameFromClaims(claims, sub), roles } : null;
  }

  /** Whether OIDC access tokens are accepted as bearer tokens (Gateway.OidcAudience set). */
  get bearerEnabled(): boolean {
    return !!(this.cfg.OidcIssuer && this.cfg.OidcAudience);
  }

  /**
   * An OIDC access token (JWT) as a bearer token: signed by the issuer's keys, for our audience,
   * not expired, and not an ID token. Returns null for an invalid token; UNAVAILABLE when the
   * provider's keys cannot be fetched.
   */
  async verifyAccessToken(token: string): Promise<{ caller: Caller; expiresAt: Date | null; clientId: string | null } | null> {
    if (!this.bearerEnabled || !looksLikeJwt(token)) return null;
    let payload: JWTPayload;
    try {
      const header = decodeProtectedHeader(token);
      if (header.typ && !/^(at\+jwt|application\/at\+jwt|jwt)$/i.test(header.typ)) return null;
      ({ payload } = await jwtVerify(token, await this.keys(), {
        issuer: (await this.getDiscovery()).issuer,
        audience: this.cfg.OidcAudience,
        clockTolerance: 30,
      }));
    } catch (e) {
      if (e instanceof joseErrors.JWKSTimeout || (e instanceof Error && /fetch failed|ECONNREFUSED/i.test(e.message))) {
        throw unavailable(`cannot check the token: the OpenID provider's keys are not reachable (${e.message})`);
      }
      if (e instanceof Error && 'code' in e && e.code === 'UNAVAILABLE') throw e;
      return null;
    }
    // An ID token is not an access token, even when its audience happens to match.
    if (payload.typ === 'ID' || payload.nonce !== undefined || (typeof payload.typ === 'string' && payload.typ !== 'Bearer')) return null;
    const caller = this.callerFromClaims(payload as Record<string, unknown>);
    if (!caller) throw unauthenticated('the token maps to no Wharf role (Gateway.OidcRoleMapping) and Gateway.DefaultRole is none');
    const clientId = typeof payload.azp === 'string' ? payload.azp : typeof payload.client_id === 'string' ? payload.client_id : null;
    return { caller, expiresAt: payload.exp ? new Date(payload.exp * 1000) : null, clientId };
  }

  /** Where to send the browser to end the provider session too, or null when it has no end_session_endpoint. */
  async endSessionUrl(idTokenHint: string | null, postLogoutRedirectUri: string): Promise<string | null> {
    if (!this.cfg.OidcEndProviderSession || !this.cfg.OidcIssuer) return null;
    const d = await this.getDiscovery().catch(() => null);
    if (!d?.end_session_endpoint) return null;
    const u = new URL(d.end_session_endpoint);
    if (idTokenHint) u.searchParams.set('id_token_hint', idTokenHint);
    u.searchParams.set('client_id', this.cfg.OidcClientId);
    u.searchParams.set('post_logout_redirect_uri', postLogoutRedirectUri);
    return u.toString();
  }
}
