import { Inject, Injectable } from '@nestjs/common';
import { GUEST_SUB_PREFIX, guestCaller, isGuestSub, unauthenticated, type Caller, type Role } from '@wharf/contracts';
import { GATEWAY_SETTINGS, type GatewaySettings } from '../../gateway.config';
import { PrismaService } from '../../prisma/prisma.service';
import { SessionRepository } from '../session/session.repository';
import { shareGrants } from '../../shares/share-state';
import { signTicket, ticketKey, verifyTicket } from './ticket.codec';

/**
 * Instance tickets: short-lived (Gateway.TicketTtlSeconds), single-use, signed, bound to one
 * instance host and one user. The router redeems them over NATS (gateway.ticket.redeem.v1).
 */
@Injectable()
export class TicketService {
  private readonly key: Buffer;

  constructor(
    private readonly prisma: PrismaService,
    private readonly sessions: SessionRepository,
    @Inject(GATEWAY_SETTINGS) private readonly settings: GatewaySettings,
  ) {
    this.key = ticketKey(settings.platform.InternalSecret);
  }

  /**
   * A ticket for `caller`'s browser session `sessionId` (the router's cookie on `host` follows that
   * session). With `shareId`, it came from a share link: it grants viewing that instance while the
   * share holds; an anonymous guest (a guest caller) has no session.
   */
  async issue(caller: Caller, host: string, sessionId: string | null, shareId: string | null = null): Promise<string> {
    if (sessionId === null && !(shareId && isGuestSub(caller.sub))) throw new Error('only a guest of a share link has a ticket without a session');
    const { ticket, payload } = signTicket(this.key, host, caller.sub, this.settings.gateway.TicketTtlSeconds);
    await this.prisma.instanceTicket.create({
      data: {
        id: payload.jti,
        host,
        userSub: caller.sub,
        userName: caller.name,
        roles: caller.roles,
        sessionId,
        shareId,
        expiresAt: new Date(payload.exp * 1000),
      },
    });
    return ticket;
  }

  /** Checks and consumes a ticket atomically: of two concurrent redeems, exactly one wins. */
  async redeem(
    ticket: string,
    host: string,
  ): Promise<{ caller: Caller; host: string; session: string | null; expiresAt: string; share: { id: string; instanceId: string } | null }> {
    const check = verifyTicket(this.key, ticket, host);
    if (!check.ok) throw unauthenticated(`instance ticket refused: ${check.reason}`);
    const now = new Date();
    const { count } = await this.prisma.instanceTicket.updateMany({
      where: { id: check.payload.jti, host: check.payload.host, consumedAt: null, expiresAt: { gt: now } },
      data: { consumedAt: now },
    });
    if (count !== 1) throw unauthenticated('instance ticket refused: already used or expired');
    const row = await this.prisma.instanceTicket.findUniqueOrThrow({ where: { id: check.payload.jti } });
    // the caller as the session has it now (roles refreshed at its latest login), not as at issue
    const signedIn = row.sessionId === null ? null : await this.checkSession(row.sessionId);
    if (!row.shareId) return { caller: signedIn!.caller, host: row.host, session: row.sessionId, expiresAt: signedIn!.expiresAt, share: null };
    const share = await this.prisma.instanceShare.findUnique({ where: { id: row.shareId } });
    const state = share && shareGrants(share, this.settings.gateway.AllowAnonymousShares, now);
    if (!share || state !== 'ACTIVE') throw unauthenticated(`instance ticket refused: the share link ${state === 'EXPIRED' ? 'has expired' : 'was revoked'}`);
    const caller = signedIn?.caller ?? guestCaller(row.userSub.slice(GUEST_SUB_PREFIX.length));
    const ends = signedIn && new Date(signedIn.expiresAt) < share.expiresAt ? signedIn.expiresAt : share.expiresAt.toISOString();
    return { caller, host: row.host, session: row.sessionId, expiresAt: ends, share: { id: share.id, instanceId: share.instanceId } };
  }

  /** The router's re-check of a session it holds a cookie for. */
  async checkSession(id: string): Promise<{ caller: Caller; expiresAt: string }> {
    const s = await this.sessions.find(id);
    if (!s || s.expiresAt <= new Date()) throw unauthenticated('the session has ended (signed out or expired); sign in again');
    return { caller: { sub: s.userSub, name: s.userName, roles: s.roles as Role[] }, expiresAt: s.expiresAt.toISOString() };
  }
}
