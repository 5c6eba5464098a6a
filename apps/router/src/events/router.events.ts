import { Controller } from '@nestjs/common';
import { Payload } from '@nestjs/microservices';
import { AliasChangedEvent, AppChangedEvent, InstanceChangedEvent, ShareRevokedEvent, TagChangedEvent, TokenChangedEvent } from '@wharf/contracts';
import { OnEvent, type EventOf } from '@wharf/nats';
import { AccessService } from '../auth/access.service';
import { Authenticator } from '../auth/authenticator.service';
import { AliasDirectory } from '../directory/alias.directory';
import { InstanceDirectory } from '../directory/instance.directory';

/** Every router replica hears every event (broadcast): each keeps its own memory current. */
@Controller()
export class RouterEvents {
  constructor(
    private readonly directory: InstanceDirectory,
    private readonly auth: Authenticator,
    private readonly access: AccessService,
    private readonly aliases: AliasDirectory,
  ) {}

  /** An alias was made, moved, promoted or deleted: new requests follow it at once (those in flight finish where they were). */
  @OnEvent(AliasChangedEvent, { broadcast: true })
  aliasChanged(@Payload() e: EventOf<typeof AliasChangedEvent>): void {
    this.aliases.apply(e);
  }

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
