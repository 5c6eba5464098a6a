import { Injectable } from '@nestjs/common';
import {
  decodeCursor,
  encodeCursor,
  conflict,
  forbidden,
  isAdmin,
  notFound,
  type Caller,
  type ParsedRequestOf,
  type RepositoryContracts,
  type Tag,
  TagChangedEvent,
} from '@wharf/contracts';
import { Prisma } from '../generated/prisma/client';
import { AnswerCache, RpcClient } from '@wharf/nats';
import { AppService } from '../catalog/app.service';
import { PrismaService } from '../prisma/prisma.service';

type TagRow = { name: string; title: string; color: string; description: string; visitorRoles: string[]; createdAt: Date };
const toTag = (t: TagRow): Tag => ({ ...t, visitorRoles: t.visitorRoles as Tag['visitorRoles'], createdAt: t.createdAt.toISOString() });

function requireAdmin(caller: Caller | null, what: string): void {
  if (!isAdmin(caller)) throw forbidden(`only admins may ${what}`);
}

/** Admin-managed tags: labels on app versions that may grant visitor roles. */
@Injectable()
export class TagService {
  constructor(
    private readonly prisma: PrismaService,
    private readonly apps: AppService,
    private readonly cache: AnswerCache,
    private readonly rpc: RpcClient,
  ) {}

  /** Tags are visible to everyone signed in (they label the catalog). */
  async list(caller: Caller | null, cursor: string | undefined, limit: number) {
    if (!caller) throw forbidden('sign in to list tags');
    const after = decodeCursor(cursor, 1)?.[0];
    const rows = await this.prisma.tag.findMany({
      where: after ? { name: { gt: after } } : {},
      orderBy: { name: 'asc' },
      take: limit + 1,
    });
    const more = rows.length > limit;
    const page = more ? rows.slice(0, limit) : rows;
    return { items: page.map(toTag), nextCursor: more ? encodeCursor([page[page.length - 1]!.name]) : null };
  }

  async create(caller: Caller | null, t: ParsedRequestOf<typeof RepositoryContracts.tagCreate>): Promise<Tag> {
    requireAdmin(caller, 'create tags');
    try {
      const created = toTag(await this.prisma.tag.create({ data: t }));
      await this.changed(t.name, 'CREATED');
      return created;
    } catch (e) {
      if (e instanceof Prisma.PrismaClientKnownRequestError && e.code === 'P2002') throw conflict(`tag ${t.name} already exists`);
      throw e;
    }
  }

  async update(caller: Caller | null, t: ParsedRequestOf<typeof RepositoryContracts.tagUpdate>): Promise<Tag> {
    requireAdmin(caller, 'change tags');
    const { name, ...data } = t;
    const updated = await this.prisma.tag.updateMany({ where: { name }, data });
    if (!updated.count) throw notFound(`tag ${name} not found`);
    await this.changed(name, 'UPDATED');
    return toTag((await this.prisma.tag.findUniqueOrThrow({ where: { name } })) as TagRow);
  }

  async delete(caller: Caller | null, name: string) {
    requireAdmin(caller, 'delete tags');
    const deleted = await this.prisma.tag.deleteMany({ where: { name } });
    if (!deleted.count) throw notFound(`tag ${name} not found`);
    await this.changed(name, 'DELETED');
    return { name, deleted: true as const };
  }

  private async changed(name: string, change: 'CREATED' | 'UPDATED' | 'DELETED') {
    this.cache.invalidate();
    await this.rpc.emit(TagChangedEvent, { name, change, at: new Date().toISOString() });
  }

  async assign(caller: Caller | null, ref: string, tag: string, on: boolean) {
    requireAdmin(caller, 'tag app versions');
    const row = await this.apps.findVisible(caller, ref);
    if (on) {
      if (!(await this.prisma.tag.findUnique({ where: { name: tag } }))) {
        throw notFound(`tag ${tag} not found; create it first with POST /api/v1/tags`);
      }
      await this.prisma.appVersionTag.upsert({
        where: { appVersionId_tagName: { appVersionId: row.id, tagName: tag } },
        create: { appVersionId: row.id, tagName: tag },
        update: {},
      });
    } else {
      const removed = await this.prisma.appVersionTag.deleteMany({ where: { appVersionId: row.id, tagName: tag } });
      if (!removed.count) throw notFound(`${row.name}@${row.version} does not carry tag ${tag}`);
    }
    await this.apps.emit(row, 'TAGS', row.visibility);
    return this.apps.get(caller, row.id);
  }
}
