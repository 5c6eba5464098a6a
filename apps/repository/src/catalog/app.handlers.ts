import { Controller } from '@nestjs/common';
import { Payload } from '@nestjs/microservices';
import { AppChangedEvent, RepositoryContracts as C, TagChangedEvent } from '@wharf/contracts';
import { AnswerCache, Handle, OnEvent, type Msg } from '@wharf/nats';
import { AppService } from './app.service';

/** NATS handlers for app versions: thin, the logic is in AppService. */
@Controller()
export class AppHandlers {
  constructor(
    private readonly apps: AppService,
    private readonly cache: AnswerCache,
  ) {}

  /** Every replica drops its cached catalog answers when any replica changes the catalog. */
  @OnEvent(AppChangedEvent, { broadcast: true })
  appChanged() {
    this.cache.invalidate();
  }

  @OnEvent(TagChangedEvent, { broadcast: true })
  tagChanged() {
    this.cache.invalidate();
  }

  @Handle(C.list)
  list(@Payload() m: Msg<typeof C.list>) {
    return this.apps.list(m.caller, m.body);
  }

  @Handle(C.get)
  get(@Payload() m: Msg<typeof C.get>) {
    return this.apps.get(m.caller, m.body.id);
  }

  @Handle(C.versions)
  versions(@Payload() m: Msg<typeof C.versions>) {
    return this.apps.list(m.caller, { ...m.body, allVersions: true, sort: 'name', name: m.body.name });
  }

  @Handle(C.image)
  image(@Payload() m: Msg<typeof C.image>) {
    return this.apps.image(m.caller, m.body.id, m.body.kind, m.body.index);
  }

  @Handle(C.setVisibility)
  setVisibility(@Payload() m: Msg<typeof C.setVisibility>) {
    return this.apps.setVisibility(m.caller, m.body.id, m.body.visibility);
  }

  @Handle(C.setOwner)
  setOwner(@Payload() m: Msg<typeof C.setOwner>) {
    return this.apps.setOwner(m.caller, m.body);
  }

  @Handle(C.delete)
  delete(@Payload() m: Msg<typeof C.delete>) {
    return this.apps.delete(m.caller, m.body.id);
  }
}
