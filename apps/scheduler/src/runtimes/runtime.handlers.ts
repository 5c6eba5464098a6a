import { Controller, Inject } from '@nestjs/common';
import { Payload } from '@nestjs/microservices';
import { SchedulerContracts as C, unauthenticated } from '@wharf/contracts';
import { Handle, type Msg } from '@wharf/nats';
import { RuntimeCatalog } from './runtime.catalog';

@Controller()
export class RuntimeHandlers {
  constructor(@Inject(RuntimeCatalog) private readonly catalog: RuntimeCatalog) {}

  @Handle(C.runtimes)
  list(@Payload() m: Msg<typeof C.runtimes>) {
    if (!m.caller) throw unauthenticated('sign in to see the runtime catalogue');
    return { items: this.catalog.list(), nextCursor: null };
  }
}
