import { Controller, Inject } from '@nestjs/common';
import { Payload } from '@nestjs/microservices';
import { decodeCursor, encodeCursor, forbidden, isAdmin, notFound, SchedulerContracts as C, unauthenticated, type Caller } from '@wharf/contracts';
import { Handle, type Msg } from '@wharf/nats';
import { SECRET_STORE, type SecretStore } from './secret.store';

function requireAdmin(c: Caller | null): void {
  if (!c) throw unauthenticated('sign in as an admin to manage secrets');
  if (!isAdmin(c)) throw forbidden('only admins manage secrets');
}

/** Admin-only secret management and grants; values go in, never out. */
@Controller()
export class SecretHandlers {
  constructor(@Inject(SECRET_STORE) private readonly secrets: SecretStore) {}

  @Handle(C.secretPut)
  put(@Payload() m: Msg<typeof C.secretPut>) {
    requireAdmin(m.caller);
    return this.secrets.put(m.body.name, m.body.data, m.body.grants);
  }

  @Handle(C.secretList)
  async list(@Payload() m: Msg<typeof C.secretList>) {
    requireAdmin(m.caller);
    const all = await this.secrets.list();
    const after = decodeCursor(m.body.cursor, 1)?.[0];
    const start = after !== undefined ? all.findIndex((s) => s.name > after) : 0;
    const from = start < 0 ? all.length : start;
    const items = all.slice(from, from + m.body.limit);
    const more = from + m.body.limit < all.length;
    return { items, nextCursor: more ? encodeCursor([items[items.length - 1]!.name]) : null };
  }

  @Handle(C.secretDelete)
  async delete(@Payload() m: Msg<typeof C.secretDelete>) {
    requireAdmin(m.caller);
    if (!(await this.secrets.delete(m.body.name))) throw notFound(`secret ${m.body.name} does not exist`);
    return { name: m.body.name, deleted: true as const };
  }
}
