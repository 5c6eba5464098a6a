import { Controller, Inject } from '@nestjs/common';
import { Payload } from '@nestjs/microservices';
import {
  conflict,
  decodeCursor,
  encodeCursor,
  forbidden,
  isAdmin,
  isFullAccess,
  notFound,
  parseSecretRefName,
  SchedulerContracts as C,
  unauthenticated,
  UserSecretContracts as U,
  userSecretRef,
  type Caller,
  type SecretGrants,
  type UserSecret,
} from '@wharf/contracts';
import { Handle, type Msg } from '@wharf/nats';
import { INSTANCE_DRIVER, type InstanceDriver } from '../drivers/instance-driver';
import type { InstanceRecord } from '../instances/instance.record';
import { isGranted, recordGrantee, recordSecretRefs, userSecretReadable } from './secret-access';
import { SECRET_STORE, type SecretStore, type UserSecretStore } from './secret.store';

function requireAdmin(c: Caller | null): void {
  if (!c) throw unauthenticated('sign in as an admin to manage secrets');
  if (!isAdmin(c)) throw forbidden('only admins manage platform secrets; your own secrets are at /api/v1/user-secrets (wharf secret)');
}

/** The owner of the user secrets a request is about: the caller, or (admins only) the user it names. */
function userSecretOwner(c: Caller | null, owner: string | undefined): string {
  if (!c) throw unauthenticated('sign in to manage your secrets');
  if (!isFullAccess(c)) throw forbidden('visitors cannot keep secrets: only full-access users and admins do; ask an admin for the full-access role');
  if (owner !== undefined && owner !== c.sub && !isAdmin(c)) throw forbidden("only admins manage other users' secrets; leave out owner to manage your own");
  return owner ?? c.sub;
}

/** The secret a delete is about, and who of the instances referencing it may read it. */
type Target = { ref: string; label: string; readable: (r: InstanceRecord) => boolean };

function page<T>(all: T[], cursor: string | undefined, limit: number, key: (t: T) => string[], size: number) {
  const after = decodeCursor(cursor, size);
  const cmp = (a: string[], b: string[]) => {
    for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return a[i]! < b[i]! ? -1 : 1;
    return 0;
  };
  const start = after ? all.findIndex((t) => cmp(key(t), after) > 0) : 0;
  const from = start < 0 ? all.length : start;
  const items = all.slice(from, from + limit);
  const more = from + limit < all.length;
  return { items, nextCursor: more ? encodeCursor(key(items[items.length - 1]!)) : null };
}

/**
 * Secrets: platform secrets (admins only; names and grants) and user secrets (full-access users
 * their own, admins everyone's; names, visibility and apps). Values go in, never out; a secret
 * an instance that is not terminated reads cannot be deleted.
 */
@Controller()
export class SecretHandlers {
  constructor(
    @Inject(SECRET_STORE) private readonly secrets: SecretStore & UserSecretStore,
    @Inject(INSTANCE_DRIVER) private readonly driver: InstanceDriver,
  ) {}

  @Handle(C.secretPut)
  put(@Payload() m: Msg<typeof C.secretPut>) {
    requireAdmin(m.caller);
    return this.secrets.put(m.body.name, m.body.data, m.body.grants);
  }

  @Handle(C.secretList)
  async list(@Payload() m: Msg<typeof C.secretList>) {
    requireAdmin(m.caller);
    return page(await this.secrets.list(), m.body.cursor, m.body.limit, (s) => [s.name], 1);
  }

  @Handle(C.secretDelete)
  async delete(@Payload() m: Msg<typeof C.secretDelete>) {
    requireAdmin(m.caller);
    const name = m.body.name;
    const current = (await this.secrets.list()).find((s) => s.name === name);
    if (!current) throw notFound(`secret ${name} does not exist`);
    await this.refuseWhileUsed(m.caller!, {
      ref: name,
      label: `secret ${name}`,
      readable: (r) => isGranted(current.grants as SecretGrants, recordGrantee(r)),
    });
    if (!(await this.secrets.delete(name))) throw notFound(`secret ${name} does not exist`);
    return { name, deleted: true as const };
  }

  @Handle(U.put)
  async userPut(@Payload() m: Msg<typeof U.put>) {
    const owner = userSecretOwner(m.caller, m.body.owner);
    const { name, data, visibility, apps, mode } = m.body;
    return this.secrets.putUser({ owner: { sub: owner, ...(owner === m.caller!.sub ? { name: m.caller!.name } : {}) }, name, data, visibility, apps, mode });
  }

  @Handle(U.get)
  async userGet(@Payload() m: Msg<typeof U.get>) {
    const owner = userSecretOwner(m.caller, m.body.owner);
    const s = await this.secrets.getUser(owner, m.body.name);
    if (!s) throw this.userMissing(m.caller!, owner, m.body.name);
    return s;
  }

  @Handle(U.list)
  async userList(@Payload() m: Msg<typeof U.list>) {
    let owner: string | null;
    if (m.body.scope === 'all') {
      if (!m.caller) throw unauthenticated('sign in to list secrets');
      if (!isAdmin(m.caller)) throw forbidden("only admins list every user's secrets; leave out scope for your own");
      owner = m.body.owner ?? null;
    } else {
      owner = userSecretOwner(m.caller, m.body.owner);
    }
    return page<UserSecret>(await this.secrets.listUser(owner), m.body.cursor, m.body.limit, (s) => [s.owner.sub, s.name], 2);
  }

  @Handle(U.delete)
  async userDelete(@Payload() m: Msg<typeof U.delete>) {
    const owner = userSecretOwner(m.caller, m.body.owner);
    const name = m.body.name;
    const current = await this.secrets.getUser(owner, name);
    if (!current) throw this.userMissing(m.caller!, owner, name);
    await this.refuseWhileUsed(m.caller!, {
      ref: current.ref,
      label: `secret ${name} (${current.ref})`,
      readable: (r) => userSecretReadable(owner, current, recordGrantee(r)),
    });
    if (!(await this.secrets.deleteUser(owner, name))) throw this.userMissing(m.caller!, owner, name);
    return { owner, name, ref: userSecretRef(owner, name), deleted: true as const };
  }

  private userMissing(caller: Caller, owner: string, name: string) {
    return notFound(
      owner === caller.sub
        ? `you have no secret named ${name}; list yours with GET /api/v1/user-secrets (wharf secret list)`
        : `user ${owner} has no secret named ${name}`,
    );
  }

  /**
   * CONFLICT while an instance that is not terminated (a suspended or failed one reads it again
   * when it starts) names the secret and may read it: the ids the caller may see (their own
   * instances; admins every one) and how many others, and how to let go of it.
   */
  private async refuseWhileUsed(caller: Caller, t: Target): Promise<void> {
    const users = (await this.driver.list()).filter(
      (r) => r.status !== 'TERMINATED' && recordSecretRefs(r).some((ref) => ref.secret === t.ref) && t.readable(r),
    );
    if (users.length === 0) return;
    const seen = users.filter((r) => isAdmin(caller) || r.owner.sub === caller.sub).map((r) => r.id).sort();
    const others = users.length - seen.length;
    const platform = parseSecretRefName(t.ref).kind === 'platform';
    const which = [
      ...(seen.length ? [`${seen.length === 1 ? 'instance' : 'instances'} ${seen.join(', ')}`] : []),
      ...(others ? [`${others} ${others === 1 ? 'instance' : 'instances'} of other users`] : []),
    ].join(' and ');
    const fix = [
      ...(seen.length ? ['terminate those instances first (wharf instance terminate <id>, or DELETE /api/v1/instances/<id>; suspending is not enough: a suspended instance reads it again when it resumes)'] : []),
      ...(others
        ? [
            platform
              ? "remove the grants that let them read it (PUT /api/v1/secrets/<name> with other \"grants\")"
              : 'make it PRIVATE first so that instances of other users can no longer read it (wharf secret set <name> --visibility private), or ask an admin to terminate them',
          ]
        : []),
    ].join('; ');
    throw conflict(`the ${t.label} is in use by ${users.length === 1 ? 'an instance that is' : `${users.length} instances that are`} not terminated (${which}): ${fix}, then delete it again`, {
      instances: seen,
      count: users.length,
    });
  }
}
