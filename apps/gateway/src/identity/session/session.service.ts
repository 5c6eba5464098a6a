import { Inject, Injectable, Logger, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import type { Caller, Role } from '@wharf/contracts';
import type { Authenticated } from '../../auth/authed-request';
import { GATEWAY_SETTINGS, publicUrlOf, type GatewaySettings } from '../../gateway.config';
import { constantTimeEqual, loginCookieName, secret, serializeCookie, sessionCookieName, sha256 } from '../cookies';
import { TokenService } from '../../tokens/token.service';
import { SessionRepository } from './session.repository';

/**
 * Server-side browser sessions: the cookie holds a random secret, Postgres holds its sha256 with
 * the user, roles (from the user's latest login, whichever session it made), a CSRF token and the expiry. Deleting the row ends the
 * session at once, on every replica.
 */
@Injectable()
export class SessionService implements OnModuleInit, OnModuleDestroy {
  private readonly log = new Logger('Sessions');
  private sweeper?: NodeJS.Timeout;
  readonly secure: boolean;
  readonly cookieName: string;
  readonly loginCookie: string;

  constructor(
    private readonly repo: SessionRepository,
    @Inject(GATEWAY_SETTINGS) private readonly settings: GatewaySettings,
    private readonly tokens: TokenService,
  ) {
    this.secure = publicUrlOf(settings.gateway).startsWith('https:');
    this.cookieName = sessionCookieName(this.secure);
    this.loginCookie = loginCookieName(this.secure);
  }

  onModuleInit(): void {
    this.sweeper = setInterval(() => void this.repo.sweep().catch((e: Error) => this.log.warn(`sweep failed: ${e.message}`)), 10 * 60_000);
    this.sweeper.unref();
  }

  onModuleDestroy(): void {
    clearInterval(this.sweeper);
  }

  /** Starts a session; returns the Set-Cookie value. Also brings the user's other sessions and own tokens to their new roles. */
  async create(user: Caller, idTokenHint: string | null, ip: string | null): Promise<{ setCookie: string; csrfToken: string }> {
    const value = secret(32);
    const ttlSeconds = Math.round(this.settings.gateway.SessionTtlHours * 3600);
    const csrfToken = secret(24);
    await this.repo.create({ id: sha256(value), user, csrfToken, idTokenHint, ip, expiresAt: new Date(Date.now() + ttlSeconds * 1000) });
    // the roles of this login are the user's current roles: their other sessions and own tokens follow
    if ((await this.repo.refreshRoles(user)).tokens > 0) await this.tokens.changed('ROLES', user.sub);
    return { setCookie: serializeCookie(this.cookieName, value, { secure: this.secure, maxAgeSeconds: ttlSeconds }), csrfToken };
  }

  /** The session of a cookie value, or null when unknown or expired. */
  async authenticate(value: string | undefined): Promise<Extract<Authenticated, { kind: 'session' }> | null> {
    if (!value || value.length > 200) return null;
    const s = await this.repo.find(sha256(value));
    if (!s || s.expiresAt <= new Date()) return null;
    if (Date.now() - s.lastSeenAt.getTime() > 60_000) void this.repo.touch(s.id).catch(() => {});
    return { kind: 'session', caller: { sub: s.userSub, name: s.userName, roles: s.roles as Role[] }, session: s };
  }

  async destroy(id: string): Promise<void> {
    await this.repo.delete(id);
  }

  clearCookie(): string {
    return serializeCookie(this.cookieName, '', { secure: this.secure, maxAgeSeconds: 0 });
  }

  /** Timing-safe check of a CSRF token presented with a cookie-authenticated request. */
  csrfMatches(auth: Extract<Authenticated, { kind: 'session' }>, presented: unknown): boolean {
    return typeof presented === 'string' && presented.length > 0 && constantTimeEqual(presented, auth.session.csrfToken);
  }
}
