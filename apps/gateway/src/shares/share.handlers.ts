import { Controller } from '@nestjs/common';
import { Payload } from '@nestjs/microservices';
import { ShareContracts as C } from '@wharf/contracts';
import { Handle, type Msg } from '@wharf/nats';
import { ShareService } from './share.service';

/** What the gateway answers the routers about share links. */
@Controller()
export class ShareHandlers {
  constructor(private readonly shares: ShareService) {}

  @Handle(C.check)
  check(@Payload() msg: Msg<typeof C.check>) {
    return this.shares.check(msg.body.share);
  }
}
