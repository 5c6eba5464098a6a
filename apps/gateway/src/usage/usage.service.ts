import { Injectable } from '@nestjs/common';
import {
  decodeCursor,
  encodeCursor,
  forbidden,
  isAdmin,
  RepositoryContracts as R,
  SchedulerContracts as S,
  type Caller,
  type ResponseOf,
  type Role,
} from '@wharf/contracts';
import { RpcClient } from '@wharf/nats';
import type { z } from 'zod';
import { parseOrThrow } from '../openapi/zod-openapi';
import { PrismaService } from '../prisma/prisma.service';
import { UsageQuerySchema, type MyUsageSchema, type UsagePageSchema, type UserUsage } from './usage.schemas';

type InstanceUsage = ResponseOf<typeof S.usage>['users'][number];
type VersionUsage = ResponseOf<typeof R.usage>['users'][number];
interface KnownUser {
  name: string;
  roles: Role[];
}

/** Sorted by name, then id; pages by that key. */
const byName = (a: UserUsage, b: UserUsage) => a.user.name.localeCompare(b.user.name) || a.user.sub.localeCompare(b.user.sub);
const after = (u: UserUsage, [name, sub]: [string, string]) => {
  const c = u.user.name.localeCompare(name);
  return c > 0 || (c === 0 && u.user.sub.localeCompare(sub) > 0);
};

/**
 * Usage against limits: the gateway asks the services that enforce each limit (the scheduler for
 * live instances, the repository for imported versions) what their check counts and allows, and
 * tells them the roles it knows, on which the limits depend. It computes no number itself.
 */
@Injectable()
export class UsageService {
  constructor(
    private readonly prisma: PrismaService,
    private readonly nats: RpcClient,
  ) {}

  async mine(caller: Caller): Promise<z.output<typeof MyUsageSchema>> {
    const [s, r] = await Promise.all([this.nats.rpc(S.usage, {}, caller), this.nats.rpc(R.usage, {}, caller)]);
    const me = combine(caller.sub, { name: caller.name, roles: caller.roles }, s.users.find((u) => u.sub === caller.sub), r.users.find((u) => u.sub === caller.sub));
    return { ...me, ceilings: s.ceilings };
  }

  async list(caller: Caller, query: unknown): Promise<z.output<typeof UsagePageSchema>> {
    if (!isAdmin(caller)) throw forbidden("only admins see every user's usage");
    const q = parseOrThrow(UsageQuerySchema, query ?? {}, 'query');
    const from = decodeCursor(q.cursor, 2);
    const known = await this.knownUsers();
    const users = [...known].map(([sub, u]) => ({ sub, roles: u.roles }));
    const [s, r] = await Promise.all([this.nats.rpc(S.usageList, { users }, caller), this.nats.rpc(R.usageList, { users }, caller)]);
    const instances = new Map(s.users.map((u) => [u.sub, u]));
    const versions = new Map(r.users.map((u) => [u.sub, u]));
    const needle = q.q?.toLowerCase();
    const all = [...new Set([...known.keys(), ...instances.keys(), ...versions.keys()])]
      .map((sub) => combine(sub, known.get(sub), instances.get(sub), versions.get(sub)))
      .filter((u) => !needle || u.user.name.toLowerCase().includes(needle) || u.user.sub.toLowerCase().includes(needle))
      .sort(byName);
    const rest = from ? all.filter((u) => after(u, from)) : all;
    const page = rest.slice(0, q.limit);
    const last = page[page.length - 1];
    return { items: page, nextCursor: rest.length > q.limit && last ? encodeCursor([last.user.name, last.user.sub]) : null, ceilings: s.ceilings };
  }

  /**
   * Everyone the gateway has seen, with the roles it last saw them with: their newest browser
   * session (roles are read at every login), else their newest token.
   */
  private async knownUsers(): Promise<Map<string, KnownUser>> {
    const newest = { orderBy: [{ userSub: 'asc' as const }, { createdAt: 'desc' as const }], distinct: ['userSub' as const], select: { userSub: true, userName: true, roles: true } };
    const [tokens, sessions] = await Promise.all([this.prisma.accessToken.findMany(newest), this.prisma.session.findMany(newest)]);
    const known = new Map<string, KnownUser>();
    for (const row of [...tokens, ...sessions]) known.set(row.userSub, { name: row.userName, roles: row.roles as Role[] });
    return known;
  }
}

function combine(sub: string, known: KnownUser | undefined, instances: InstanceUsage | undefined, versions: VersionUsage | undefined): UserUsage {
  return {
    user: { sub, name: known?.name ?? instances?.name ?? versions?.name ?? sub, roles: known?.roles ?? null },
    instances: {
      live: instances?.live ?? 0,
      limit: instances?.limit ?? null,
      memoryLimitBytes: instances?.memoryLimitBytes ?? 0,
      memoryReservationBytes: instances?.memoryReservationBytes ?? 0,
      gpus: instances?.gpus ?? 0,
    },
    versions: { count: versions?.versions ?? 0, limit: versions?.limit ?? null },
  };
}
