import { Controller } from '@nestjs/common';
import { Payload } from '@nestjs/microservices';
import { AppChangedEvent, InstanceChangedEvent, ShareRevokedEvent, TagChangedEvent, TokenChangedEvent } from '@wharf/contracts';
import { OnEvent, type EventOf } from '@wharf/nats';
import { AccessService } from '../auth/access.service';
import { Authenticator } from '../auth/authenticator.service';
import { InstanceDirectory } from '../directory/instance.directory';

/** Every router replica hears every event (broadcast): each keeps its own memory current. */
@Controller()
export class RouterEvents {
  constructor(
    private readonly directory: InstanceDirectory,
    private readonly auth: Authenticator,
    private readonly access: AccessService,
  ) {}

  @OnEvent(InstanceChangedEvent, { broadcast: true })
  instanceChanged(@Payload() e: EventOf<typeof InstanceChangedEvent>): void {
    this.directory.apply(e.instance);
  }

  @OnEvent(TokenChangedEvent, { broadcast: true })
  tokenChanged(@Payload() e: EventOf<typeof TokenChangedEvent>): void {
    this.auth.forgetUser(e.userSub);
  }

  /** A share link was revoked (or its instance terminated): what came through it closes, its cookies stop working. */
  @OnEvent(ShareRevokedEvent, { broadcast: true })
  shareRevoked(@Payload() e: EventOf<typeof ShareRevokedEvent>): void {
    this.auth.revokeShare(e.shareId);
  }

  /** Visibility or tags of an app version changed: visitor grants are asked again. */
  @OnEvent(AppChangedEvent, { broadcast: true })
  appChanged(): void {
    this.access.forgetGrants();
  }

  @OnEvent(TagChangedEvent, { broadcast: true })
  tagChanged(): void {
    this.access.forgetGrants();
  }
}
