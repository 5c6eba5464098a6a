import { Controller } from '@nestjs/common';
import { TokenChangedEvent } from '@wharf/contracts';
import { OnEvent } from '@wharf/nats';
import { TokenCache } from './token-cache';

/** Every gateway replica forgets cached token answers when any replica revokes or re-roles tokens. */
@Controller()
export class TokenEventsHandler {
  constructor(private readonly cache: TokenCache) {}

  @OnEvent(TokenChangedEvent, { broadcast: true })
  changed() {
    this.cache.clear();
  }
}
