import { Controller } from '@nestjs/common';
import { Payload } from '@nestjs/microservices';
import { RepositoryContracts as C } from '@wharf/contracts';
import { Handle, type Msg } from '@wharf/nats';
import { TagService } from './tag.service';

@Controller()
export class TagHandlers {
  constructor(private readonly tags: TagService) {}

  @Handle(C.tagList)
  list(@Payload() m: Msg<typeof C.tagList>) {
    return this.tags.list(m.caller, m.body.cursor, m.body.limit);
  }

  @Handle(C.tagCreate)
  create(@Payload() m: Msg<typeof C.tagCreate>) {
    return this.tags.create(m.caller, m.body);
  }

  @Handle(C.tagUpdate)
  update(@Payload() m: Msg<typeof C.tagUpdate>) {
    return this.tags.update(m.caller, m.body);
  }

  @Handle(C.tagDelete)
  delete(@Payload() m: Msg<typeof C.tagDelete>) {
    return this.tags.delete(m.caller, m.body.name);
  }

  @Handle(C.tagAssign)
  assign(@Payload() m: Msg<typeof C.tagAssign>) {
    return this.tags.assign(m.caller, m.body.id, m.body.tag, true);
  }

  @Handle(C.tagUnassign)
  unassign(@Payload() m: Msg<typeof C.tagUnassign>) {
    return this.tags.assign(m.caller, m.body.id, m.body.tag, false);
  }
}
