import { Controller } from '@nestjs/common';
import { Payload } from '@nestjs/microservices';
import { IdentityContracts as C, unauthenticated } from '@wharf/contracts';
import { Handle, type Msg } from '@wharf/nats';
import { Authenticator } from '../authenticator.service';
import { TicketService } from './ticket.service';

/** What the gateway answers other services (the router) over NATS. */
@Controller()
export class IdentityHandlers {
  constructor(
    private readonly tickets: TicketService,
    private readonly authenticator: Authenticator,
  ) {}

  @Handle(C.redeemTicket)
  redeem(@Payload() msg: Msg<typeof C.redeemTicket>) {
    return this.tickets.redeem(msg.body.ticket, msg.body.host);
  }

  @Handle(C.checkSession)
  checkSession(@Payload() msg: Msg<typeof C.checkSession>) {
    return this.tickets.checkSession(msg.body.session);
  }

  @Handle(C.verifyToken)
  async verify(@Payload() msg: Msg<typeof C.verifyToken>) {
    const auth = await this.authenticator.bearer(msg.body.token, { fresh: true });
    if (!auth || auth.kind === 'session') throw unauthenticated('the token is unknown, revoked or expired');
    if (auth.kind === 'token') {
      return { caller: auth.caller, kind: 'pat' as const, readOnly: auth.token.readOnly, expiresAt: auth.token.expiresAt?.toISOString() ?? null };
    }
    return { caller: auth.caller, kind: 'oidc' as const, readOnly: false, expiresAt: auth.expiresAt?.toISOString() ?? null };
  }
}
