import { Controller } from '@nestjs/common';
import { AppChangedEvent, TagChangedEvent } from '@wharf/contracts';
import { AnswerCache, OnEvent } from '@wharf/nats';

/** Every gateway replica drops its cached catalog answers when the repository announces a change. */
@Controller()
export class CatalogEventsHandler {
  constructor(private readonly cache: AnswerCache) {}

  @OnEvent(AppChangedEvent, { broadcast: true })
  appChanged() {
    this.cache.invalidate();
  }

  @OnEvent(TagChangedEvent, { broadcast: true })
  tagChanged() {
    this.cache.invalidate();
  }
}
