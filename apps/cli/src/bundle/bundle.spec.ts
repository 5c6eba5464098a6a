import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync, readdirSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { inspectBundle, sniffImage } from '@wharf/manifest';
import { BundleInvalid, buildBundle, buildTemporary, bundleFiles } from './build';
import { compareVersions, nextVersion, withVersion } from './semver';
import { iconPng, starterFiles } from './template';
import { parseRequirements, selectWheels } from './wheels';

const sha = (f: string) => createHash('sha256').update(readFileSync(f)).digest('hex');

describe('wharf bundle: init, validate, build', () => {
  let tmp: string;
  let app: string;
  beforeEach(() => {
    tmp = mkdtempSync(path.join(os.tmpdir(), 'wharf-cli-bundle-'));
    app = path.join(tmp, 'demo');
    for (const [rel, content] of Object.entries(starterFiles('demo'))) {
      mkdirSync(path.dirname(path.join(app, rel)), { recursive: true });
      writeFileSync(path.join(app, rel), content);
    }
  });
  afterEach(() => rmSync(tmp, { recursive: true, force: true }));

  it('init writes an app that passes the server rules, with a real PNG icon', async () => {
    const built = await buildTemporary(app);
    try {
      expect(built.bundle.manifest).toMatchObject({ name: 'demo', version: '0.1.0', runtime: { module: 'demo.app' } });
      expect(built.bundle.icon?.contentType).toBe('image/png');
      expect(sniffImage(iconPng('x'))).toBe('image/png');
    } finally {
      built.dispose();
    }
  });

  it("deploy's build carries the new version in the zip's app.toml, not in the folder's", async () => {
    const text = readFileSync(path.join(app, 'app.toml'), 'utf8');
    const built = await buildTemporary(app, { manifest: withVersion(text, '0.1.3')! });
    try {
      expect(built.bundle.manifest.version).toBe('0.1.3');
      expect(readFileSync(path.join(app, 'app.toml'), 'utf8')).toBe(text);
    } finally {
      built.dispose();
    }
  });

  it('build gives byte-identical zips for the same files and honours .wharfignore', async () => {
    mkdirSync(path.join(app, '__pycache__'));
    writeFileSync(path.join(app, '__pycache__', 'x.pyc'), 'x');
    writeFileSync(path.join(app, 'notes.zip'), 'x');
    mkdirSync(path.join(app, 'tests'));
    writeFileSync(path.join(app, 'tests', 'test_app.py'), 'x');
    mkdirSync(path.join(app, '.git'));
    writeFileSync(path.join(app, '.git', 'HEAD'), 'x');
    writeFileSync(path.join(app, '.wharfignore'), `${readFileSync(path.join(app, '.wharfignore'), 'utf8')}secret.txt\n`);
    writeFileSync(path.join(app, 'secret.txt'), 'x');
    const a = await buildBundle(app, { out: path.join(tmp, 'a.zip') });
    const out = path.join(app, 'inside.zip'); // written into the folder itself: never bundled
    const b = await buildBundle(app, { out });
    const c = await buildBundle(app, { out });
    expect(sha(a.file)).toBe(sha(b.file));
    expect(sha(b.file)).toBe(sha(c.file));
    const names = bundleFiles(app, { exclude: [out] }).files.map((f) => f.name);
    expect(names).toEqual(['app.toml', 'demo/__init__.py', 'demo/app.py', 'static/icon.png']);
  });

  it('validate reports each problem of a broken app.toml with its field path, and build leaves no file', async () => {
    writeFileSync(
      path.join(app, 'app.toml'),
      '[App]\nName = "Demo"\nVersion = "v1"\nTitle = "x"\n\n[Runtime]\nModule = "demo.app"\nGPUCount = "1"\n\n[[Env]]\nName = "WHARF_X"\nValue = "1"\n',
    );
    const err = await buildBundle(app, { out: path.join(tmp, 'bad.zip') }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BundleInvalid);
    const paths = (err as BundleInvalid).problems.map((p) => p.path);
    expect(paths).toEqual(expect.arrayContaining(['app.toml:App.Name', 'app.toml:App.Version', 'app.toml:Runtime.GPUCount', 'app.toml:Env[0].Name']));
    expect(readdirSync(tmp)).toEqual(['demo']);
  });

  it('copies the wheels the requirements name, and names a missing one', async () => {
    const wheels = path.join(tmp, 'wheelhouse');
    mkdirSync(wheels);
    for (const w of ['wharf_greeting-1.0.0-py3-none-any.whl', 'wharf_greeting-0.9.0-py3-none-any.whl', 'Other_Pkg-2.1-cp311-cp311-manylinux2014_x86_64.whl', 'unrelated-1.0-py3-none-any.whl']) {
      writeFileSync(path.join(wheels, w), w);
    }
    writeFileSync(path.join(app, 'requirements.txt'), '# deps\nwharf-greeting==1.0.0\nother.pkg  # any version\n');
    const built = await buildBundle(app, { out: path.join(tmp, 'w.zip'), wheels });
    expect(built.wheels).toEqual(['Other_Pkg-2.1-cp311-cp311-manylinux2014_x86_64.whl', 'wharf_greeting-1.0.0-py3-none-any.whl']);
    expect((await inspectBundle(built.file)).entries).toBe(7);

    writeFileSync(path.join(app, 'requirements.txt'), 'wharf-greeting==2.0.0\nnumpy\n');
    expect(() => selectWheels(parseRequirements(readFileSync(path.join(app, 'requirements.txt'), 'utf8')), wheels)).toThrow(
      /no wheel in .*wheelhouse for wharf-greeting==2.0.0 \(requirements.txt:1\), numpy \(requirements.txt:2\)/,
    );
    expect(() => parseRequirements('-r other.txt\n')).toThrow(/requirements.txt:1: "-r other.txt" is not a plain requirement/);
    expect(existsSync(path.join(tmp, 'w.zip'))).toBe(true);
  });
});

describe('versions for deploy', () => {
  it('orders semver and finds the next free version', () => {
    expect(['1.0.0', '1.0.0-beta.2', '1.0.0-beta.10', '0.9.9', '1.0.0-alpha'].sort(compareVersions)).toEqual(['0.9.9', '1.0.0-alpha', '1.0.0-beta.2', '1.0.0-beta.10', '1.0.0']);
    expect(nextVersion('0.1.0', [])).toBe('0.1.0');
    expect(nextVersion('0.1.0', ['0.1.0', '0.1.3', '0.1.1'])).toBe('0.1.4');
    expect(nextVersion('2.0.0', ['0.1.0', '1.4.2'])).toBe('2.0.0');
    expect(nextVersion('1.0.0', ['1.1.0-rc.1'])).toBe('1.1.0');
  });

  it("sets [App] Version in app.toml's text only", () => {
    const text = '[App]\nName = "a"\nVersion = "0.1.0"  # bumped\n\n[Runtime]\nModule = "a"\nRuntimeVersion = "python-3.11"\n';
    expect(withVersion(text, '0.1.7')).toBe(text.replace('"0.1.0"', '"0.1.7"'));
    expect(withVersion('[Runtime]\nVersion = "1"\n', '1.0.0')).toBeNull();
  });
});
