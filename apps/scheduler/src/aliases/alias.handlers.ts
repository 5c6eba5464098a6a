import { Controller } from '@nestjs/common';
import { Payload } from '@nestjs/microservices';
import { AliasContracts as A } from '@wharf/contracts';
import { Handle, type Msg } from '@wharf/nats';
import { AliasService } from './alias.service';

/** NATS handlers for aliases: thin, everything is AliasService's. */
@Controller()
export class AliasHandlers {
  constructor(private readonly aliases: AliasService) {}

  @Handle(A.list)
  list(@Payload() m: Msg<typeof A.list>) {
    return this.aliases.list(m.caller, m.body);
  }

  @Handle(A.create)
  create(@Payload() m: Msg<typeof A.create>) {
    return this.aliases.create(m.caller, m.body);
  }

  @Handle(A.assign)
  assign(@Payload() m: Msg<typeof A.assign>) {
    return this.aliases.assign(m.caller, m.body);
  }

  @Handle(A.promote)
  promote(@Payload() m: Msg<typeof A.promote>) {
    return this.aliases.promote(m.caller, m.body.name);
  }

  @Handle(A.delete)
  delete(@Payload() m: Msg<typeof A.delete>) {
    return this.aliases.delete(m.caller, m.body.name);
  }

  @Handle(A.route)
  route(@Payload() m: Msg<typeof A.route>) {
    return this.aliases.route(m.body.names);
  }
}
