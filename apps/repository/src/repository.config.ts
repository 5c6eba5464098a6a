import { ByteSizeSchema, loadPlatformConfig, loadSection, type PlatformConfig } from '@wharf/config';
import { z } from 'zod';

/** `[Repository]` in wharf.toml; every key also as env `WHARF_REPOSITORY_<KEY>`. */
export const RepositoryConfigSchema = z.object({
  /** Internal HTTP port (bundle upload/download streams, health). */
  Port: z.number().int().min(0).max(65535).default(8082),
  Host: z.string().default('127.0.0.1'),
  /** PostgreSQL URL; falls back to env DATABASE_URL. */
  DatabaseUrl: z.string().min(1, 'set Repository.DatabaseUrl or env DATABASE_URL'),
  /** Postgres schema holding the repository's tables. */
  DatabaseSchema: z.string().regex(/^[a-z_][a-z0-9_]*$/).default('repository'),
  /** How many app versions one user may import (admins are not limited). */
  MaxVersionsPerUser: z.number().int().min(0).default(10),
  /** Largest accepted bundle. */
  MaxBundleSize: ByteSizeSchema.default(512 * 1024 * 1024),
  /** Lets owners make apps PUBLIC (visible without signing in). Off by default. */
  AllowPublic: z.boolean().default(false),
  /** When true, deleting an app version fails while no scheduler answers the instance count. */
  RequireSchedulerForDelete: z.boolean().default(false),
  /** Blob store: `disk` (embedded default) or `s3` (MinIO, AWS S3, any S3-protocol server). */
  Store: z.enum(['disk', 's3']).default('disk'),
  /** Folder for disk blobs; default `<DataDir>/blobs`. */
  DiskPath: z.string().default(''),
  S3Endpoint: z.url('must be a URL such as http://127.0.0.1:9000').default('http://127.0.0.1:9000'),
  S3AccessKey: z.string().default(''),
  S3SecretKey: z.string().default(''),
  S3Bucket: z.string().min(3).default('wharf-bundles'),
  S3Region: z.string().default('us-east-1'),
  /**
   * Removes bundle blobs no app version names, over an hour old (what an import or delete cut off
   * by a crash leaves), at start and hourly. Turn off only if the folder or bucket holds bundles
   * of another Wharf installation, which it should not.
   */
  SweepOrphanBlobs: z.boolean().default(true),
});
export type RepositoryConfig = z.output<typeof RepositoryConfigSchema>;

export interface RepositorySettings {
  platform: PlatformConfig;
  repository: RepositoryConfig;
}

export const REPOSITORY_SETTINGS = Symbol('REPOSITORY_SETTINGS');

export function loadRepositorySettings(env: NodeJS.ProcessEnv = process.env): RepositorySettings {
  const e = { ...env };
  if (env.DATABASE_URL && !env.WHARF_REPOSITORY_DATABASE_URL) e.WHARF_REPOSITORY_DATABASE_URL = env.DATABASE_URL;
  const platform = loadPlatformConfig(e);
  const repository = loadSection('Repository', RepositoryConfigSchema, e);
  return { platform, repository: { ...repository, AllowPublic: repository.AllowPublic || platform.AllowPublic === true } };
}
