import { Controller } from '@nestjs/common';
import { Payload } from '@nestjs/microservices';
import { InstanceActivityEvent, SchedulerContracts as C } from '@wharf/contracts';
import { Handle, OnEvent, type EventOf, type Msg } from '@wharf/nats';
import { InstanceService } from './instance.service';
import { InstanceSupervisor } from './instance.supervisor';

/** NATS handlers for instances: thin, requests go to InstanceService, the routers' activity to InstanceSupervisor. */
@Controller()
export class InstanceHandlers {
  constructor(
    private readonly instances: InstanceService,
    private readonly supervisor: InstanceSupervisor,
  ) {}

  @Handle(C.create)
  create(@Payload() m: Msg<typeof C.create>) {
    return this.instances.create(m.caller, m.body);
  }

  @Handle(C.get)
  get(@Payload() m: Msg<typeof C.get>) {
    return this.instances.get(m.caller, m.body.id);
  }

  @Handle(C.route)
  route(@Payload() m: Msg<typeof C.route>) {
    return this.instances.route(m.body.ids);
  }

  @Handle(C.locate)
  locate(@Payload() m: Msg<typeof C.locate>) {
    return this.instances.locate(m.body.ids);
  }

  @Handle(C.list)
  list(@Payload() m: Msg<typeof C.list>) {
    return this.instances.list(m.caller, m.body);
  }

  @Handle(C.setVisibility)
  setVisibility(@Payload() m: Msg<typeof C.setVisibility>) {
    return this.instances.setVisibility(m.caller, m.body.id, m.body.visibility);
  }

  @Handle(C.setIdleSuspend)
  setIdleSuspend(@Payload() m: Msg<typeof C.setIdleSuspend>) {
    return this.instances.setIdleSuspend(m.caller, m.body.id, m.body.enabled);
  }

  @Handle(C.suspend)
  suspend(@Payload() m: Msg<typeof C.suspend>) {
    return this.instances.suspend(m.caller, m.body.id);
  }

  @Handle(C.resume)
  resume(@Payload() m: Msg<typeof C.resume>) {
    return this.instances.resume(m.caller, m.body.id);
  }

  @Handle(C.upgrade)
  upgrade(@Payload() m: Msg<typeof C.upgrade>) {
    return this.instances.upgrade(m.caller, m.body);
  }

  @Handle(C.terminate)
  terminate(@Payload() m: Msg<typeof C.terminate>) {
    return this.instances.terminate(m.caller, m.body.id);
  }

  @Handle(C.logs)
  logs(@Payload() m: Msg<typeof C.logs>) {
    return this.instances.logs(m.caller, m.body.id, m.body.tail);
  }

  /** One replica (queue group) records the routers' activity reports. */
  @OnEvent(InstanceActivityEvent)
  async activity(@Payload() e: EventOf<typeof InstanceActivityEvent>): Promise<void> {
    await this.supervisor.touch(e.ids);
  }

  @Handle(C.usage)
  usage(@Payload() m: Msg<typeof C.usage>) {
    return this.instances.usage(m.caller);
  }

  @Handle(C.usageList)
  usageList(@Payload() m: Msg<typeof C.usageList>) {
    return this.instances.usageList(m.caller, m.body.users);
  }

  @Handle(C.countInstances)
  async count(@Payload() m: Msg<typeof C.countInstances>) {
    return { count: await this.instances.count(m.body.appVersionId) };
  }
}
