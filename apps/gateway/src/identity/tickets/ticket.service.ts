import { Inject, Injectable } from '@nestjs/common';
import { unauthenticated, type Caller, type Role } from '@wharf/contracts';
import { GATEWAY_SETTINGS, type GatewaySettings } from '../../gateway.config';
import { PrismaService } from '../../prisma/prisma.service';
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
    @Inject(GATEWAY_SETTINGS) private readonly settings: GatewaySettings,
  ) {
    this.key = ticketKey(settings.platform.InternalSecret);
  }

  async issue(caller: Caller, host: string): Promise<string> {
    const { ticket, payload } = signTicket(this.key, host, caller.sub, this.settings.gateway.TicketTtlSeconds);
    await this.prisma.instanceTicket.create({
      data: { id: payload.jti, host, userSub: caller.sub, userName: caller.name, roles: caller.roles, expiresAt: new Date(payload.exp * 1000) },
    });
    return ticket;
  }

  /** Checks and consumes a ticket atomically: of two concurrent redeems, exactly one wins. */
  async redeem(ticket: string, host: string): Promise<{ caller: Caller; host: string }> {
    const check = verifyTicket(this.key, ticket, host);
    if (!check.ok) throw unauthenticated(`instance ticket refused: ${check.reason}`);
    const now = new Date();
    const { count } = await this.prisma.instanceTicket.updateMany({
      where: { id: check.payload.jti, host: check.payload.host, consumedAt: null, expiresAt: { gt: now } },
      data: { consumedAt: now },
    });
    if (count !== 1) throw unauthenticated('instance ticket refused: already used or expired');
    const row = await this.prisma.instanceTicket.findUniqueOrThrow({ where: { id: check.payload.jti } });
    return { caller: { sub: row.userSub, name: row.userName, roles: row.roles as Role[] }, host: row.host };
  }
}
