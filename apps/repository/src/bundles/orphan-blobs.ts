import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnModuleDestroy } from '@nestjs/common';
import { BLOB_STORE, type BlobStore } from '../blobs/blob-store';
import { AppVersionRepository } from '../catalog/app-version.repository';
import { REPOSITORY_SETTINGS, type RepositorySettings } from '../repository.config';

/** Where bundles live: `bundles/<id>-<uuid>.zip`, each owned by the AppVersion row that names it. */
export const BUNDLE_PREFIX = 'bundles/';
/**
 * A bundle blob younger than this may belong to an import under way on some replica: its bytes
 * are written first, then the bundle is inspected and its row inserted.
 */
export const ORPHAN_GRACE_MS = 60 * 60 * 1000;
/** How often a running repository looks again. */
export const ORPHAN_SWEEP_EVERY_MS = 60 * 60 * 1000;

/**
 * Removes bundle blobs no AppVersion row names and older than `graceMs`: what a repository killed
 * between writing a bundle and recording it leaves (or one killed between deleting a version's
 * row and its blob). Keys are checked against the rows 500 at a time. Returns the keys removed.
 */
export async function sweepOrphanBlobs(
  blobs: BlobStore,
  referenced: (keys: string[]) => Promise<Set<string>>,
  opts: { graceMs?: number; now?: number } = {},
): Promise<string[]> {
  const graceMs = opts.graceMs ?? ORPHAN_GRACE_MS;
  const now = opts.now ?? Date.now();
  const removed: string[] = [];
  let batch: string[] = [];
  const settle = async () => {
    const known = await referenced(batch);
    for (const key of batch) {
      if (known.has(key)) continue;
      await blobs.delete(key);
      removed.push(key);
    }
    batch = [];
  };
  for await (const blob of blobs.list(BUNDLE_PREFIX)) {
    if (now - blob.modified.getTime() < graceMs) continue;
    batch.push(blob.key);
    if (batch.length >= 500) await settle();
  }
  if (batch.length > 0) await settle();
  return removed;
}

/** Runs `sweepOrphanBlobs` once the repository has started, then every hour; a failure is logged, never fatal. */
@Injectable()
export class OrphanBlobSweeper implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly log = new Logger('OrphanBlobs');
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;

  constructor(
    @Inject(BLOB_STORE) private readonly blobs: BlobStore,
    private readonly versions: AppVersionRepository,
    @Inject(REPOSITORY_SETTINGS) private readonly settings: RepositorySettings,
  ) {}

  onApplicationBootstrap(): void {
    if (!this.settings.repository.SweepOrphanBlobs) return;
    this.running = this.sweep();
    this.timer = setInterval(() => void (this.running = this.sweep()), ORPHAN_SWEEP_EVERY_MS).unref();
  }

  async onModuleDestroy(): Promise<void> {
    clearInterval(this.timer);
    await this.running;
  }

  private async sweep(): Promise<void> {
    try {
      const removed = await sweepOrphanBlobs(this.blobs, (keys) => this.versions.referencedBlobKeys(keys));
      if (removed.length > 0) this.log.log(`removed ${removed.length} bundle blob(s) no app version names (left by an import or delete that was cut off): ${removed.slice(0, 5).join(', ')}${removed.length > 5 ? ', …' : ''}`);
    } catch (e) {
      this.log.warn(`could not look for bundle blobs no app version names: ${e instanceof Error ? e.message : String(e)}`);
    }
  }
}
