import { WharfError, type Problem } from '@wharf/contracts';
import { BAD_BUNDLES, HELLO_APP_PY, buildBundle, deflatedZeros, makeIcon, rawZip, validManifest, writeBundle } from '@wharf/testing';
import { existsSync } from 'node:fs';
import { lstat, mkdir, mkdtemp, readFile, readdir, rm, stat, symlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { DEFAULT_BUNDLE_LIMITS, extractBundle, inspectBundle, sniffImage } from './bundle-reader';

let tmp: string;
let seq = 0;

beforeAll(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), 'wharf-bundle-spec-'));
});
afterAll(async () => {
  await rm(tmp, { recursive: true, force: true });
});

async function saved(zip: Buffer): Promise<string> {
  const file = path.join(tmp, `bundle-${++seq}.zip`);
  await writeFile(file, zip);
  return file;
}

async function refusal(p: Promise<unknown>): Promise<WharfError> {
  try {
    await p;
  } catch (e) {
    if (e instanceof WharfError) return e;
    throw e;
  }
  throw new Error('expected the bundle to be refused');
}

const problemsOf = (e: WharfError) => (e.details as { problems: Problem[] }).problems;

/** Every file under `dir`, relative, with `/` for folders. */
async function tree(dir: string): Promise<string[]> {
  const out: string[] = [];
  const walk = async (d: string, rel: string) => {
    for (const e of await readdir(d, { withFileTypes: true })) {
      const r = rel ? `${rel}/${e.name}` : e.name;
      if (e.isDirectory()) {
        out.push(`${r}/`);
        await walk(path.join(d, e.name), r);
      } else out.push(r);
    }
  };
  await walk(dir, '');
  return out.sort();
}

describe('DEFAULT_BUNDLE_LIMITS', () => {
  it('keeps every image under 700 KB once base64-encoded (they travel over NATS)', () => {
    const b64 = (n: number) => Math.ceil(n / 3) * 4;
    expect(b64(DEFAULT_BUNDLE_LIMITS.maxScreenshotSize)).toBeLessThan(700_000);
    expect(b64(DEFAULT_BUNDLE_LIMITS.maxIconSize)).toBeLessThan(700_000);
  });
});

describe('inspectBundle', () => {
  it('accepts the valid bundle and reads its manifest, long description, icon and screenshots', async () => {
    const zip = await saved(
      await buildBundle({
        app: { name: 'hello-wave', version: '1.2.0-beta.1', categories: ['Data Science'] },
        screenshots: 2,
        longDescription: '# Hello\n\nWaves at you.\n',
      }),
    );
    const b = await inspectBundle(zip);
    expect(b.manifest).toMatchObject({
      name: 'hello-wave',
      version: '1.2.0-beta.1',
      categories: ['Data Science'],
      longDescriptionPath: 'README.md',
      runtime: { module: 'hello.app', memoryLimit: '256Mi', gpuCount: 0 },
      env: [{ name: 'GREETING', value: 'Hello' }],
    });
    expect(b.longDescription).toBe('# Hello\n\nWaves at you.\n');
    expect(b.icon).toMatchObject({ path: 'static/icon.png', contentType: 'image/png' });
    expect(sniffImage(b.icon!.data)).toBe('image/png');
    expect(b.screenshots.map((s) => [s.path, s.contentType])).toEqual([
      ['static/screenshot1.png', 'image/png'],
      ['static/screenshot2.png', 'image/png'],
    ]);
    expect(b.entries).toBe(8);
    expect(b.uncompressedSize).toBeGreaterThan(HELLO_APP_PY.length);
  });

  it('works without icon, screenshots or long description', async () => {
    const b = await inspectBundle(await saved(await buildBundle({ icon: false })));
    expect(b).toMatchObject({ icon: null, screenshots: [], longDescription: null });
    expect(b.manifest.longDescriptionPath).toBeNull();
  });

  it('reads JPEG images and sorts screenshots by name, numbers numerically', async () => {
    const jpeg = Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0]), Buffer.alloc(100)]);
    const b = await inspectBundle(
      await saved(
        await buildBundle({
          icon: false,
          files: {
            'static/icon.jpg': jpeg,
            'static/screenshot10.png': makeIcon(3),
            'static/screenshot2.jpeg': jpeg,
            'static/screenshot1.png': makeIcon(1),
          },
        }),
      ),
    );
    expect(b.icon).toMatchObject({ path: 'static/icon.jpg', contentType: 'image/jpeg' });
    expect(b.screenshots.map((s) => s.path)).toEqual(['static/screenshot1.png', 'static/screenshot2.jpeg', 'static/screenshot10.png']);
  });

  it('accepts folder entries and names written as ./x', async () => {
    const zip = rawZip([
      { name: './' },
      { name: './app.toml', data: validManifest() },
      { name: './hello/' },
      { name: './hello/app.py', data: HELLO_APP_PY },
    ]);
    const b = await inspectBundle(await saved(zip));
    expect(b.manifest.name).toBe('hello-wave');
    expect(b.entries).toBe(4);
  });

  it('only checks the compression ratio above 1 MiB', async () => {
    const zip = rawZip([{ name: 'app.toml', data: validManifest() }, { name: 'zeros.bin', deflated: deflatedZeros(1) }]);
    await expect(inspectBundle(await saved(zip))).resolves.toMatchObject({ uncompressedSize: expect.any(Number) });
  });

  it.each(BAD_BUNDLES.map((b) => [b.id, b] as const))('refuses %s', async (_id, bad) => {
    const e = await refusal(inspectBundle(await saved(await bad.build())));
    expect(e.code).toBe('INVALID');
    expect(e.message).toMatch(bad.expect);
    expect(problemsOf(e).length).toBeGreaterThan(0);
  });

  it('lists every problem of a bundle at once, those of app.toml included', async () => {
    const zip = rawZip([
      { name: 'app.toml', data: validManifest({ version: 'one', env: [{ name: 'WHARF_X', value: '1' }] }) },
      { name: '../evil.sh', data: 'x' },
      { name: 'hello/link', data: '/etc/passwd', method: 'store', unixMode: 0o120777 },
      { name: 'hello\\a.py', data: 'x' },
    ]);
    const e = await refusal(inspectBundle(await saved(zip)));
    expect(e.message).toMatch(/^bundle is invalid: /);
    expect(problemsOf(e).map((p) => p.path)).toEqual([
      '../evil.sh',
      'hello/link',
      'hello\\a.py',
      'app.toml:App.Version',
      'app.toml:Env[0].Name',
    ]);
  });

  it('reports app.toml problems alone as "app.toml is invalid"', async () => {
    const e = await refusal(inspectBundle(await saved(await buildBundle({ app: { version: 'one', title: null } }))));
    expect(e.message).toMatch(/^app\.toml is invalid: App\.Version: .*; App\.Title: is required$/);
  });

  it('applies limit overrides', async () => {
    const zip = await saved(await buildBundle());
    expect((await refusal(inspectBundle(zip, { maxEntries: 3 }))).message).toMatch(/has 5 entries; a bundle may have at most 3/);
    expect((await refusal(inspectBundle(zip, { maxIconSize: 100 }))).message).toMatch(/static\/icon\.png: is [\d.]+ KiB; an icon may be at most 100 bytes/);
    expect((await refusal(inspectBundle(zip, { maxTotalSize: 1000 }))).message).toMatch(/in total/);
  });

  it('checks the real bytes against the total limit even when headers are within it', async () => {
    const zip = rawZip([
      { name: 'app.toml', data: validManifest() },
      { name: 'a.bin', data: Buffer.alloc(4000, 1), declaredSize: 100 },
    ]);
    const e = await refusal(inspectBundle(await saved(zip), { maxTotalSize: 3000 }));
    expect(e.message).toMatch(/a\.bin: holds more bytes than the 100 its header declares/);
  });

  it('passes file-system errors through unchanged', async () => {
    await expect(inspectBundle(path.join(tmp, 'missing.zip'))).rejects.toMatchObject({ code: 'ENOENT' });
  });

  const fdDir = '/proc/self/fd';
  (existsSync(fdDir) ? it : it.skip)('closes the zip file whether it accepts or refuses', async () => {
    const zips = [await saved(await buildBundle({ screenshots: 1 }))];
    for (const bad of BAD_BUNDLES) zips.push(await saved(await bad.build()));
    const before = (await readdir(fdDir)).length;
    for (const z of zips) await inspectBundle(z).catch(() => null);
    await new Promise((r) => setTimeout(r, 100));
    expect((await readdir(fdDir)).length).toBeLessThanOrEqual(before);
  });

  it('caps the listed problems of a huge hostile bundle', async () => {
    const zip = rawZip([{ name: 'app.toml', data: validManifest() }, ...Array.from({ length: 80 }, (_, i) => ({ name: `../x${i}` }))]);
    const e = await refusal(inspectBundle(await saved(zip)));
    expect(e.message).toMatch(/… and 30 more problems$/);
    expect(problemsOf(e)).toHaveLength(80);
  });
});

describe('extractBundle', () => {
  it('extracts a valid bundle under destDir', async () => {
    const zipPath = path.join(tmp, `written-${++seq}.zip`);
    await writeBundle(zipPath, { screenshots: 1, files: { 'data/notes.txt': 'hi\n' } });
    const dest = path.join(tmp, `out-${seq}`, 'app');
    const r = await extractBundle(zipPath, dest);
    expect(await tree(dest)).toEqual([
      'app.toml',
      'data/',
      'data/notes.txt',
      'hello/',
      'hello/__init__.py',
      'hello/app.py',
      'requirements.txt',
      'static/',
      'static/icon.png',
      'static/screenshot1.png',
    ]);
    expect(r.files).toBe(7);
    expect(await readFile(path.join(dest, 'hello/app.py'), 'utf8')).toBe(HELLO_APP_PY);
    expect(r.bytes).toBeGreaterThan(HELLO_APP_PY.length);
    expect((await stat(path.join(dest, 'app.toml'))).mode & 0o777).toBe(0o644 & ~process.umask());
  });

  it('keeps the executable bit of files that have it', async () => {
    const zip = rawZip([
      { name: 'app.toml', data: validManifest() },
      { name: 'bin/run.sh', data: '#!/bin/sh\n', unixMode: 0o100755 },
    ]);
    const dest = path.join(tmp, `exec-${++seq}`);
    await extractBundle(await saved(zip), dest);
    expect((await stat(path.join(dest, 'bin/run.sh'))).mode & 0o100).toBe(0o100);
  });

  it.each(BAD_BUNDLES.map((b) => [b.id, b] as const))('refuses %s and leaves nothing behind', async (_id, bad) => {
    const sandbox = await mkdtemp(path.join(tmp, 'sandbox-'));
    const zipPath = path.join(tmp, `${path.basename(sandbox)}.zip`);
    await writeFile(zipPath, await bad.build());
    const e = await refusal(extractBundle(zipPath, path.join(sandbox, 'out', 'dest')));
    expect(e.message).toMatch(bad.expect);
    expect(await tree(sandbox)).toEqual([]);
  });

  it('removes what it wrote when a late entry turns out bad, keeping what was there before', async () => {
    const dest = await mkdtemp(path.join(tmp, 'late-'));
    await writeFile(path.join(dest, 'keep.txt'), 'mine');
    const zip = rawZip([
      { name: 'app.toml', data: validManifest() },
      { name: 'hello/app.py', data: HELLO_APP_PY },
      { name: 'hello/deep/er/x.py', data: 'x' },
      { name: 'hello/z.py', data: 'tampered', crc32: 1 },
    ]);
    await refusal(extractBundle(await saved(zip), dest));
    expect(await tree(dest)).toEqual(['keep.txt']);
  });

  it('never follows a link already in destDir', async () => {
    const sandbox = await mkdtemp(path.join(tmp, 'links-'));
    const outside = path.join(sandbox, 'outside');
    const dest = path.join(sandbox, 'dest');
    await mkdir(outside);
    await mkdir(dest);
    await symlink(outside, path.join(dest, 'hello'));
    await expect(extractBundle(await saved(await buildBundle()), dest)).rejects.toThrow(/not a folder \(links are never followed\)/);
    expect(await tree(outside)).toEqual([]);
    expect(await tree(dest)).toEqual(['hello']);
    expect((await lstat(path.join(dest, 'hello'))).isSymbolicLink()).toBe(true);
  });

  it('never writes through a file link nor overwrites an existing file', async () => {
    const sandbox = await mkdtemp(path.join(tmp, 'nofollow-'));
    const target = path.join(sandbox, 'target.txt');
    const dest = path.join(sandbox, 'dest');
    await writeFile(target, 'original');
    await mkdir(dest);
    await symlink(target, path.join(dest, 'app.toml'));
    await expect(extractBundle(await saved(await buildBundle()), dest)).rejects.toMatchObject({ code: 'EEXIST' });
    expect(await readFile(target, 'utf8')).toBe('original');
    expect(await tree(dest)).toEqual(['app.toml']);
  });
});
