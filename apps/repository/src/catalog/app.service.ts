import { Inject, Injectable, Logger } from '@nestjs/common';
import {
  decodeCursor,
  encodeCursor,
  AppChangedEvent,
  conflict,
  forbidden,
  invalid,
  isAdmin,
  notFound,
  SchedulerContracts,
  unauthenticated,
  unavailable,
  WharfError,
  type AppNameOwner,
  type AppVersion,
  type Caller,
  type ParsedRequestOf,
  type RepositoryContracts,
  type Visibility,
} from '@wharf/contracts';
import { AnswerCache, RpcClient } from '@wharf/nats';
import { BLOB_STORE, type BlobStore } from '../blobs/blob-store';
import { REPOSITORY_SETTINGS, type RepositorySettings } from '../repository.config';
import { canManage, canSee } from './access.policy';
import { AppVersionRepository, toAppVersion, type AppVersionRow, type CatalogSort, type Cursor } from './app-version.repository';

type ListRequest = ParsedRequestOf<typeof RepositoryContracts.list>;

const NAME_AT_VERSION = /^([a-z0-9][a-z0-9.-]*)@(.+)$/;
const ISO_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

/**
 * A list cursor holds the sort it was made for, then the last row's key: (name, versionKey) for
 * `name`, (createdAt, id) for `newest`. One made for the other sort is refused like a bad cursor.
 */
function afterOf(cursor: string | undefined, sort: CatalogSort): Cursor | null {
  const key = decodeCursor(cursor, 3);
  if (!key) return null;
  const [made, a, b] = key;
  if (made === sort && sort === 'name') return { sort, name: a, versionKey: b };
  if (made === sort && sort === 'newest' && ISO_TIME.test(a) && !Number.isNaN(Date.parse(a))) return { sort, createdAt: a, id: b };
  const other = made !== sort && (made === 'name' || made === 'newest') ? ` (it was made for sort=${made})` : '';
  throw invalid(
    `cursor is not valid for sort=${sort}${other}: pass the nextCursor of a previous page of the same sort unchanged`,
    { param: 'cursor' },
  );
}

function cursorOf(row: AppVersionRow, sort: CatalogSort): string {
  return encodeCursor(sort === 'newest' ? [sort, row.createdAt.toISOString(), row.id] : [sort, row.name, row.versionKey]);
}

@Injectable()
export class AppService {
  private readonly log = new Logger(AppService.name);

  constructor(
    private readonly versions: AppVersionRepository,
    private readonly rpc: RpcClient,
    @Inject(BLOB_STORE) private readonly blobs: BlobStore,
    @Inject(REPOSITORY_SETTINGS) private readonly settings: RepositorySettings,
    private readonly cache: AnswerCache,
  ) {}

  private get allowPublic(): boolean {
    return this.settings.repository.AllowPublic;
  }

  list(caller: Caller | null, req: ListRequest & { name?: string }) {
    return this.cache.getOrLoad(this.cache.key(caller, 'list', req), () => this.listUncached(caller, req));
  }

  private async listUncached(caller: Caller | null, req: ListRequest & { name?: string }) {
    const rows = await this.versions.list(
      caller,
      this.allowPublic,
      { q: req.q, category: req.category, owner: req.owner, visibility: req.visibility, tag: req.tag, name: req.name },
      { latestOnly: !req.allVersions, sort: req.sort, after: afterOf(req.cursor, req.sort), limit: req.limit + 1 },
    );
    const more = rows.length > req.limit;
    const page = more ? rows.slice(0, req.limit) : rows;
    const last = page[page.length - 1];
    return {
      items: page.map(toAppVersion),
      nextCursor: more && last ? cursorOf(last, req.sort) : null,
    };
  }

  /**
   * Resolves `id`, `name@version` or `name` (newest visible version) to a row the caller may see.
   * Invisible and missing look the same (NOT_FOUND), so ids of private apps do not leak.
   */
  async findVisible(caller: Caller | null, ref: string): Promise<AppVersionRow> {
    let row = await this.versions.findById(ref);
    if (!row) {
      const m = NAME_AT_VERSION.exec(ref);
      if (m) row = await this.versions.findByNameVersion(m[1]!, m[2]!);
      else if (/^[a-z0-9][a-z0-9.-]*$/.test(ref)) {
        const latest = await this.versions.list(caller, this.allowPublic, { name: ref }, { latestOnly: true, after: null, limit: 1 });
        row = latest[0] ?? null;
      }
    }
    if (!row || !canSee(caller, this.subject(row), this.allowPublic)) {
      throw notFound(`app version ${ref} not found (or you may not see it)`);
    }
    return row;
  }

  /**
   * The version an instance's download token names: the scheduler minted the token for this exact
   * id after checking the launching user may see it, so there is no caller to check here.
   */
  async findForInstance(id: string): Promise<AppVersionRow> {
    const row = await this.versions.findById(id);
    if (!row) throw notFound(`app version ${id} not found`);
    return row;
  }

  get(caller: Caller | null, ref: string): Promise<AppVersion> {
    return this.cache.getOrLoad(this.cache.key(caller, 'get', ref), async () => toAppVersion(await this.findVisible(caller, ref)));
  }

  async image(caller: Caller | null, ref: string, kind: 'icon' | 'screenshot', index: number) {
    const row = await this.findVisible(caller, ref);
    const img = await this.versions.findImage(row.id, kind === 'icon' ? 'ICON' : 'SCREENSHOT', kind === 'icon' ? 0 : index);
    if (!img) {
      throw notFound(
        kind === 'icon' ? `${row.name}@${row.version} has no icon` : `${row.name}@${row.version} has no screenshot ${index}`,
      );
    }
    return {
      contentType: img.contentType as 'image/png' | 'image/jpeg',
      base64: Buffer.from(img.data).toString('base64'),
      sha256: img.sha256,
    };
  }

  async setVisibility(caller: Caller | null, ref: string, visibility: Visibility): Promise<AppVersion> {
    const row = await this.findVisible(caller, ref);
    if (!canManage(caller, row)) throw forbidden(`only the owner (${row.ownerName}) or an admin may change the visibility of ${row.name}@${row.version}`);
    if (visibility === 'PUBLIC' && !this.allowPublic) {
      throw forbidden('PUBLIC visibility is disabled on this platform; an admin can enable it with Repository.AllowPublic = true');
    }
    if (row.visibility !== visibility) {
      await this.versions.setVisibility(row.id, visibility);
      await this.emit(row, 'VISIBILITY', visibility);
    }
    return this.get(caller, row.id);
  }

  /** Admins give an app name to another user (who then publishes its versions); the old owner keeps the versions they imported. */
  async setOwner(caller: Caller | null, req: ParsedRequestOf<typeof RepositoryContracts.setOwner>): Promise<AppNameOwner> {
    if (!caller) throw unauthenticated('sign in as an admin to transfer app names');
    if (!isAdmin(caller)) throw forbidden('only admins transfer app names');
    const ownerName = (await this.versions.displayNameOf(req.owner)) ?? req.owner;
    const n = await this.versions.setNameOwner(req.name, req.owner, ownerName);
    if (!n) throw notFound(`no app has the name ${req.name}`);
    this.log.log(`app name ${req.name} now belongs to ${req.owner} (by ${caller.name})`);
    return { name: n.name, owner: { sub: n.ownerSub, name: n.ownerName }, updatedAt: n.updatedAt.toISOString() };
  }

  async delete(caller: Caller | null, ref: string): Promise<{ id: string; deleted: true }> {
    const row = await this.findVisible(caller, ref);
    if (!canManage(caller, row)) throw forbidden(`only the owner (${row.ownerName}) or an admin may delete ${row.name}@${row.version}`);
    const running = await this.liveInstances(caller, row.id);
    if (running > 0) {
      throw conflict(`${row.name}@${row.version} has ${running} instance(s); terminate them before deleting this version`, {
        instances: running,
      });
    }
    if (await this.versions.delete(row.id)) {
      await this.blobs.delete(row.blobKey).catch((e: unknown) => {
        // The row is gone; a leftover blob is unreachable garbage, logged for the operator.
        this.log.error(`deleted ${row.id} but could not remove blob ${row.blobKey}: ${String(e)}`);
      });
      await this.emit(row, 'DELETED', row.visibility);
    }
    return { id: row.id, deleted: true };
  }

  /** Asks the scheduler; a subject nobody serves means no scheduler, hence no instances (unless configured strict). */
  private async liveInstances(caller: Caller | null, appVersionId: string): Promise<number> {
    try {
      return (await this.rpc.rpc(SchedulerContracts.countInstances, { appVersionId }, caller)).count;
    } catch (e) {
      const noScheduler = WharfError.is(e, 'UNAVAILABLE') && (e.details as { reason?: string } | undefined)?.reason === 'NO_RESPONDERS';
      if (noScheduler && !this.settings.repository.RequireSchedulerForDelete) return 0;
      if (noScheduler) throw unavailable('no scheduler answers; cannot check for running instances, try again later');
      throw e;
    }
  }

  /** Announces a change (and drops cached catalog answers here; other replicas drop theirs on the event). */
  async emit(row: { id: string; name: string; version: string; ownerSub: string }, change: 'IMPORTED' | 'VISIBILITY' | 'TAGS' | 'DELETED', visibility: Visibility) {
    this.cache.invalidate();
    await this.rpc.emit(AppChangedEvent, {
      id: row.id,
      name: row.name,
      version: row.version,
      change,
      visibility,
      owner: row.ownerSub,
      at: new Date().toISOString(),
    });
  }

  subject(row: AppVersionRow) {
    return {
      ownerSub: row.ownerSub,
      visibility: row.visibility,
      tagVisitorRoles: row.tags.flatMap((t) => t.visitorRoles),
    };
  }
}
