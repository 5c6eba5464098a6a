import path from 'node:path';
import { invalidInput, type Problem } from '@wharf/contracts';
import { z } from 'zod';
import type { BlobStore } from './blob-store';
import { DiskBlobStore } from './disk.blob-store';
import { S3BlobStore } from './s3.blob-store';

/** The section the blob keys live in, for messages. */
const SECTION = 'Repository';

function httpUrlProblem(s: string): string | undefined {
  let u: URL;
  try {
    u = new URL(s);
  } catch {
    return 'must be a URL such as http://127.0.0.1:9000';
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') return 'must start with http:// or https://';
  if (u.pathname !== '/' || u.search || u.hash) return 'must be scheme, host and port only (no path): the bucket is S3Bucket';
  if (u.username || u.password) return 'must not hold credentials: use S3AccessKey and S3SecretKey';
  return undefined;
}

/**
 * The blob-store keys of the `[Repository]` section (merge with `.extend(BlobConfigSchema.shape)`).
 * Cross-key rules (S3 keys required when `Store = "s3"`) are checked by `createBlobStore`,
 * at boot, naming the key: see `blobConfigProblems`.
 */
export const BlobConfigSchema = z.object({
  /** Blob store: `disk` (embedded default) or `s3` (MinIO, AWS S3, any S3-protocol server). */
  Store: z.enum(['disk', 's3']).default('disk'),
  /** Folder for disk blobs; empty means `<DataDir>/blobs`. */
  DiskPath: z.string().default(''),
  /** S3 server as scheme, host and port, e.g. `http://minio:9000` or `https://s3.eu-west-1.amazonaws.com`. Path-style requests. */
  S3Endpoint: z
    .string()
    .refine((s) => httpUrlProblem(s) === undefined, { error: (iss) => httpUrlProblem(String(iss.input)) ?? 'invalid URL' })
    .default('http://127.0.0.1:9000'),
  S3AccessKey: z.string().default(''),
  S3SecretKey: z.string().default(''),
  /** Created at boot when missing. */
  S3Bucket: z
    .string()
    .regex(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, 'must be a bucket name: 3-63 lower-case letters, digits, "." and "-"')
    .default('wharf-bundles'),
  S3Region: z.string().min(1).default('us-east-1'),
});
export type BlobConfig = z.output<typeof BlobConfigSchema>;

/** What is wrong with a blob configuration beyond single keys (empty when fine). */
export function blobConfigProblems(cfg: BlobConfig): Problem[] {
  const problems: Problem[] = [];
  if (cfg.Store === 's3') {
    const endpoint = httpUrlProblem(cfg.S3Endpoint);
    if (endpoint) problems.push({ path: `${SECTION}.S3Endpoint`, message: endpoint });
    if (!cfg.S3AccessKey) problems.push({ path: `${SECTION}.S3AccessKey`, message: 'required when Store = "s3"' });
    if (!cfg.S3SecretKey) problems.push({ path: `${SECTION}.S3SecretKey`, message: 'required when Store = "s3"' });
  }
  return problems;
}

/**
 * The configured blob store (not yet initialised: call `init()` at boot).
 * An empty `DiskPath` means `<dataDir>/blobs`. Throws INVALID naming the keys at fault.
 */
export function createBlobStore(cfg: BlobConfig, dataDir = '.wharf'): BlobStore {
  const problems = blobConfigProblems(cfg);
  if (problems.length > 0) throw invalidInput('invalid blob store configuration', problems);
  if (cfg.Store === 'disk') return new DiskBlobStore(cfg.DiskPath || path.resolve(dataDir, 'blobs'));
  const url = new URL(cfg.S3Endpoint);
  const useSSL = url.protocol === 'https:';
  return new S3BlobStore({
    endPoint: url.hostname.replace(/^\[(.*)\]$/, '$1'), // an IPv6 literal without brackets
    port: url.port ? Number(url.port) : useSSL ? 443 : 80,
    useSSL,
    accessKey: cfg.S3AccessKey,
    secretKey: cfg.S3SecretKey,
    bucket: cfg.S3Bucket,
    region: cfg.S3Region,
    pathStyle: true,
  });
}
