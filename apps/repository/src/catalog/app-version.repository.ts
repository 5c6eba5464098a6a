import { Injectable } from '@nestjs/common';
import {
  isAdmin,
  isFullAccess,
  visitorRoles,
  type AppVersion,
  type Caller,
  type Category,
  type Role,
  type EnvSpec,
  type FileSpec,
  type RuntimeSpec,
  type Visibility,
} from '@wharf/contracts';
import { Prisma } from '../generated/prisma/client';
import { PrismaService } from '../prisma/prisma.service';

/** The columns an import writes and the catalog reads back as they were written. */
interface AppVersionColumns {
  id: string;
  name: string;
  version: string;
  versionKey: string;
  title: string;
  description: string;
  longDescription: string | null;
  categories: string[];
  keywords: string[];
  ownerSub: string;
  ownerName: string;
  blobKey: string;
  sha256: string;
}

/** A version row as read by the catalog queries (tags and image counts joined in). */
export interface AppVersionRow extends AppVersionColumns {
  visibility: Visibility;
  runtime: unknown;
  env: unknown;
  files: unknown;
  size: bigint | number;
  byNameOwner: boolean;
  createdAt: Date;
  hasIcon: boolean;
  screenshotCount: number;
  tags: { name: string; title: string; color: string; visitorRoles: string[] }[];
}

export interface ListFilters {
  q?: string;
  category?: Category;
  owner?: string;
  visibility?: Visibility;
  tag?: string;
  name?: string;
}

/** What an import inserts: the columns, plus typed runtime/env, the search text and the images. */
export interface NewAppVersion extends AppVersionColumns {
  runtime: RuntimeSpec;
  env: EnvSpec[];
  files: FileSpec[];
  size: number;
  searchText: string;
  images: { id: string; kind: 'ICON' | 'SCREENSHOT'; index: number; contentType: string; sha256: string; data: Buffer }[];
}

export function toAppVersion(r: AppVersionRow): AppVersion {
  return {
    id: r.id,
    name: r.name,
    version: r.version,
    title: r.title,
    description: r.description,
    longDescription: r.longDescription,
    categories: r.categories as Category[],
    keywords: r.keywords,
    owner: { sub: r.ownerSub, name: r.ownerName },
    byNameOwner: r.byNameOwner,
    visibility: r.visibility,
    tags: r.tags.map(({ name, title, color, visitorRoles }) => ({ name, title, color, visitorRoles: visitorRoles as Role[] })),
    runtime: r.runtime as RuntimeSpec,
    env: r.env as EnvSpec[],
    files: (r.files ?? []) as FileSpec[],
    sha256: r.sha256,
    size: Number(r.size),
    hasIcon: r.hasIcon,
    screenshotCount: r.screenshotCount,
    createdAt: r.createdAt.toISOString(),
  };
}

/**
 * Decorates the rows of `page` (a query yielding `id`, in order as `ord`) with everything the
 * wire shape needs. Filtering and paging run on the bare table first, so the per-row
 * subqueries below run only for the rows of one page.
 */
function decorate(page: Prisma.Sql): Prisma.Sql {
  return Prisma.sql`
  SELECT av."id", av."name", av."version", av."versionKey", av."title", av."description", av."longDescription",
    av."categories", av."keywords", av."ownerSub", av."ownerName", av."visibility"::text AS "visibility",
    av."runtime", av."env", av."files", av."blobKey", av."sha256", av."size", av."createdAt", av."byNameOwner",
    EXISTS (SELECT 1 FROM "AppImage" i WHERE i."appVersionId" = av."id" AND i."kind" = 'ICON') AS "hasIcon",
    (SELECT count(*)::int FROM "AppImage" i WHERE i."appVersionId" = av."id" AND i."kind" = 'SCREENSHOT') AS "screenshotCount",
    COALESCE((SELECT json_agg(json_build_object('name', t."name", 'title', t."title", 'color', t."color",
        'visitorRoles', t."visitorRoles") ORDER BY t."name")
      FROM "AppVersionTag" avt JOIN "Tag" t ON t."name" = avt."tagName" WHERE avt."appVersionId" = av."id"), '[]'::json) AS "tags"
  FROM (${page}) page JOIN "AppVersion" av ON av."id" = page."id"
  ORDER BY page."ord"`;
}

/** The SQL twin of access.policy.ts#canSee. */
function visibleTo(caller: Caller | null, allowPublic: boolean): Prisma.Sql {
  if (isAdmin(caller)) return Prisma.sql`TRUE`;
  const parts: Prisma.Sql[] = [];
  if (allowPublic) parts.push(Prisma.sql`av."visibility" = 'PUBLIC'`);
  if (caller) {
    parts.push(Prisma.sql`av."ownerSub" = ${caller.sub}`);
    if (isFullAccess(caller)) {
      parts.push(Prisma.sql`av."visibility" IN ('ALL_USERS', 'PUBLIC')`);
    } else {
      const roles = visitorRoles(caller);
      if (roles.length) {
        parts.push(Prisma.sql`(av."visibility" IN ('ALL_USERS', 'PUBLIC') AND EXISTS (
          SELECT 1 FROM "AppVersionTag" avt JOIN "Tag" t ON t."name" = avt."tagName"
          WHERE avt."appVersionId" = av."id" AND t."visitorRoles" && ${roles}::text[]))`);
      }
    }
  }
  return parts.length ? Prisma.sql`(${Prisma.join(parts, ' OR ')})` : Prisma.sql`FALSE`;
}

function escapeLike(s: string): string {
  return s.replace(/[\\%_]/g, (c) => `\\${c}`);
}

function filtersSql(f: ListFilters): Prisma.Sql[] {
  const w: Prisma.Sql[] = [];
  if (f.name) w.push(Prisma.sql`av."name" = ${f.name}`);
  if (f.q) {
    for (const word of f.q.toLowerCase().split(/\s+/).filter(Boolean)) {
      w.push(Prisma.sql`av."searchText" LIKE ${`%${escapeLike(word)}%`}`);
    }
  }
  if (f.category) w.push(Prisma.sql`${f.category} = ANY(av."categories")`);
  if (f.owner) w.push(Prisma.sql`(av."ownerSub" = ${f.owner} OR av."ownerName" = ${f.owner})`);
  if (f.visibility) w.push(Prisma.sql`av."visibility" = ${f.visibility}::"Visibility"`);
  if (f.tag) {
    w.push(Prisma.sql`EXISTS (SELECT 1 FROM "AppVersionTag" avt WHERE avt."appVersionId" = av."id" AND avt."tagName" = ${f.tag})`);
  }
  return w;
}

export type CatalogSort = 'name' | 'newest';

/**
 * Cursor: the last row's sort key, opaque to clients: (name, versionKey) for `name`,
 * (createdAt, id) for `newest`. It names the sort it was made for.
 */
export type Cursor = { sort: 'name'; name: string; versionKey: string } | { sort: 'newest'; createdAt: string; id: string };

@Injectable()
export class AppVersionRepository {
  constructor(private readonly prisma: PrismaService) {}

  /**
   * Catalog page. `latestOnly`: the newest version of each app among those the caller may see
   * and that match the filters, published by the name's owner or an admin (`byNameOwner`).
   * Keyset pagination on (name ASC, versionKey DESC) for `name`, on (createdAt DESC, id DESC) for
   * `newest` (with `latestOnly`, on the latest rows: which version is a name's latest does not
   * depend on the page).
   */
  async list(
    caller: Caller | null,
    allowPublic: boolean,
    filters: ListFilters,
    opts: { latestOnly: boolean; sort?: CatalogSort; after: Cursor | null; limit: number },
  ): Promise<AppVersionRow[]> {
    const where = [visibleTo(caller, allowPublic), ...filtersSql(filters)];
    const { after, limit } = opts;
    const sort = opts.sort ?? 'name';
    if (after && after.sort !== sort) throw new Error(`a ${after.sort} cursor given for sort ${sort}`);
    const byName = Prisma.sql`ORDER BY av."name", av."versionKey" COLLATE "C" DESC`;
    if (opts.latestOnly) {
      // the newest version of a name is one its owner (or an admin) published, never a squatter's
      where.push(Prisma.sql`av."byNameOwner"`);
      if (after?.sort === 'name') where.push(Prisma.sql`av."name" > ${after.name}`);
      const latest = Prisma.sql`
        SELECT DISTINCT ON (av."name") av."id", av."name", av."createdAt" FROM "AppVersion" av
        WHERE ${Prisma.join(where, ' AND ')} ${byName}`;
      if (sort === 'newest') {
        const newest = Prisma.sql`ORDER BY latest."createdAt" DESC, latest."id" DESC`;
        const past = after?.sort === 'newest' ? Prisma.sql`WHERE (latest."createdAt", latest."id") < (${after.createdAt}::timestamp(3), ${after.id})` : Prisma.empty;
        return this.prisma.$queryRaw<AppVersionRow[]>(
          decorate(Prisma.sql`
            SELECT latest."id", row_number() OVER (${newest}) AS "ord" FROM (${latest}) latest
            ${past} ${newest} LIMIT ${limit}`),
        );
      }
      return this.prisma.$queryRaw<AppVersionRow[]>(
        decorate(Prisma.sql`
          SELECT latest."id", row_number() OVER (ORDER BY latest."name") AS "ord" FROM (${latest}) latest
          ORDER BY latest."name" LIMIT ${limit}`),
      );
    }
    if (after?.sort === 'name') {
      where.push(
        Prisma.sql`(av."name" > ${after.name} OR (av."name" = ${after.name} AND av."versionKey" COLLATE "C" < ${after.versionKey}))`,
      );
    }
    if (after?.sort === 'newest') where.push(Prisma.sql`(av."createdAt", av."id") < (${after.createdAt}::timestamp(3), ${after.id})`);
    const ordered = sort === 'newest' ? Prisma.sql`ORDER BY av."createdAt" DESC, av."id" DESC` : byName;
    return this.prisma.$queryRaw<AppVersionRow[]>(
      decorate(Prisma.sql`
        SELECT av."id", row_number() OVER (${ordered}) AS "ord" FROM "AppVersion" av
        WHERE ${Prisma.join(where, ' AND ')} ${ordered} LIMIT ${limit}`),
    );
  }

  async findById(id: string): Promise<AppVersionRow | null> {
    const rows = await this.prisma.$queryRaw<AppVersionRow[]>(decorate(Prisma.sql`SELECT ${id}::text AS "id", 1 AS "ord"`));
    return rows[0] ?? null;
  }

  async findByNameVersion(name: string, version: string): Promise<AppVersionRow | null> {
    const rows = await this.prisma.$queryRaw<AppVersionRow[]>(
      decorate(Prisma.sql`SELECT "id", 1 AS "ord" FROM "AppVersion" WHERE "name" = ${name} AND "version" = ${version}`),
    );
    return rows[0] ?? null;
  }

  async findImage(appVersionId: string, kind: 'ICON' | 'SCREENSHOT', index: number) {
    return this.prisma.appImage.findUnique({ where: { appVersionId_kind_index: { appVersionId, kind, index } } });
  }

  /** Which of `keys` an app version's row names as its bundle. */
  async referencedBlobKeys(keys: string[]): Promise<Set<string>> {
    const rows = await this.prisma.appVersion.findMany({ where: { blobKey: { in: keys } }, select: { blobKey: true } });
    return new Set(rows.map((r) => r.blobKey));
  }

  async countOwnedBy(ownerSub: string): Promise<number> {
    return this.prisma.appVersion.count({ where: { ownerSub } });
  }

  /** What countOwnedBy counts, for every owner (or the given ones), with the newest owner name on their versions. */
  async countsByOwner(ownerSubs?: string[]): Promise<Map<string, { versions: number; name: string }>> {
    const rows = await this.prisma.appVersion.groupBy({
      by: ['ownerSub', 'ownerName'],
      ...(ownerSubs ? { where: { ownerSub: { in: ownerSubs } } } : {}),
      _count: { _all: true },
      _max: { createdAt: true },
    });
    const counts = new Map<string, { versions: number; name: string; at: number }>();
    for (const r of rows) {
      const at = r._max.createdAt?.getTime() ?? 0;
      const seen = counts.get(r.ownerSub);
      counts.set(r.ownerSub, {
        versions: (seen?.versions ?? 0) + r._count._all,
        name: seen && seen.at >= at ? seen.name : r.ownerName,
        at: Math.max(seen?.at ?? 0, at),
      });
    }
    return new Map([...counts].map(([sub, c]) => [sub, { versions: c.versions, name: c.name }]));
  }

  /**
   * Inserts the version and its images in one transaction, serialized per owner so the
   * import limit is exact under concurrent uploads, and per app name so that of two first
   * importers of a name exactly one becomes its owner. Returns `not-owner` when the name
   * belongs to someone else (and `mayPublishAny` is false: admins publish any name), `limit`
   * when the owner is at the limit, `duplicate` when (name, version) exists; nothing is written then.
   */
  async insert(row: NewAppVersion, maxPerOwner: number | null, mayPublishAny = false): Promise<'ok' | 'limit' | 'duplicate' | 'not-owner'> {
    try {
      return await this.prisma.$transaction(async (tx) => {
        if (maxPerOwner !== null) {
          await tx.$executeRaw`SELECT pg_advisory_xact_lock(hashtext(${`import:${row.ownerSub}`}))`;
        }
        await tx.$executeRaw`SELECT pg_advisory_xact_lock(hashtext(${`app-name:${row.name}`}))`;
        const owner = await tx.appName.findUnique({ where: { name: row.name } });
        if (owner && owner.ownerSub !== row.ownerSub && !mayPublishAny) return 'not-owner' as const;
        if (maxPerOwner !== null) {
          const n = await tx.appVersion.count({ where: { ownerSub: row.ownerSub } });
          if (n >= maxPerOwner) return 'limit' as const;
        }
        if (await tx.appVersion.findUnique({ where: { name_version: { name: row.name, version: row.version } }, select: { id: true } })) {
          return 'duplicate' as const;
        }
        if (!owner) await tx.appName.create({ data: { name: row.name, ownerSub: row.ownerSub, ownerName: row.ownerName } });
        const { images, ...data } = row;
        await tx.appVersion.create({
          data: {
            ...data,
            size: BigInt(data.size),
            runtime: data.runtime as unknown as Prisma.InputJsonValue,
            env: data.env as unknown as Prisma.InputJsonValue,
            files: data.files as unknown as Prisma.InputJsonValue,
            images: { create: images.map((i) => ({ ...i, data: new Uint8Array(i.data) })) },
          },
        });
        return 'ok' as const;
      });
    } catch (e) {
      if (e instanceof Prisma.PrismaClientKnownRequestError && e.code === 'P2002') return 'duplicate';
      throw e;
    }
  }

  /** The owner of an app name, or null when nobody imported it yet. */
  findName(name: string) {
    return this.prisma.appName.findUnique({ where: { name } });
  }

  /** The display name last seen for a user (from the names or versions they own), or null. */
  async displayNameOf(sub: string): Promise<string | null> {
    const n = await this.prisma.appName.findFirst({ where: { ownerSub: sub }, orderBy: { updatedAt: 'desc' }, select: { ownerName: true } });
    if (n) return n.ownerName;
    const v = await this.prisma.appVersion.findFirst({ where: { ownerSub: sub }, orderBy: { createdAt: 'desc' }, select: { ownerName: true } });
    return v?.ownerName ?? null;
  }

  /** Gives the name to another owner; null when the name is unknown. Existing versions keep their importer as owner. */
  async setNameOwner(name: string, ownerSub: string, ownerName: string) {
    const r = await this.prisma.appName.updateMany({ where: { name }, data: { ownerSub, ownerName } });
    return r.count ? this.prisma.appName.findUnique({ where: { name } }) : null;
  }

  async setVisibility(id: string, visibility: Visibility): Promise<void> {
    await this.prisma.appVersion.update({ where: { id }, data: { visibility } });
  }

  /** Deletes the row (images and tag links cascade); false when it was already gone. */
  async delete(id: string): Promise<boolean> {
    const deleted = await this.prisma.appVersion.deleteMany({ where: { id } });
    return deleted.count > 0;
  }
}
