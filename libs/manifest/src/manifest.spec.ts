import { CATEGORIES, WharfError, type Problem } from '@wharf/contracts';
import { validManifest } from '@wharf/testing';
import { checkBundlePath } from './bundle-path';
import { ManifestSchema, parseManifest } from './manifest';
import { formatBytes, parseQuantity } from './quantity';

/** The problems `parseManifest` reports for `text` (fails the test if it accepts it). */
function problems(text: string): Problem[] {
  try {
    parseManifest(text);
  } catch (e) {
    if (!WharfError.is(e, 'INVALID')) throw e;
    expect(e.message).toMatch(/^app\.toml is invalid: /);
    return (e.details as { problems: Problem[] }).problems;
  }
  throw new Error('expected app.toml to be refused');
}
const paths = (text: string) => problems(text).map((p) => p.path);
const messageAt = (text: string, path: string) => problems(text).find((p) => p.path === path)?.message;

const FULL = `
[App]
Name = "hello-wave"            # required
Version = "1.2.0"              # required, semver
Title = "Hello"                # required
Description = "Greets you"
LongDescription = "./docs/README.md"
Category = ["Data Science", "Other"]
Keywords = ["demo"]

[Runtime]
Module = "hello.app"           # required: started as \`python -m hello.app\`
RuntimeVersion = "python-3.11" # optional: default runtime if absent
MemoryLimit = "512Mi"
MemoryReservation = "256Mi"
VolumeMount = "/data"          # optional persistent volume
VolumeSize = "1Gi"
GPUCount = 1
GPUType = "a100"

[[Env]]
Name = "GREETING"
Value = "hi"

[[Env]]
Name = "API_TOKEN"
Secret = "hello-secrets"       # admin-managed secret
SecretKey = "token"
`;

describe('parseManifest', () => {
  it('reads every field of a full app.toml', () => {
    const m = parseManifest(FULL);
    expect(m).toEqual({
      name: 'hello-wave',
      version: '1.2.0',
      title: 'Hello',
      description: 'Greets you',
      longDescriptionPath: 'docs/README.md',
      categories: ['Data Science', 'Other'],
      keywords: ['demo'],
      runtime: {
        module: 'hello.app',
        runtimeVersion: 'python-3.11',
        memoryLimit: '512Mi',
        memoryReservation: '256Mi',
        volumeMount: '/data',
        volumeSize: '1Gi',
        gpuCount: 1,
        gpuType: 'a100',
      },
      env: [
        { name: 'GREETING', value: 'hi' },
        { name: 'API_TOKEN', secret: 'hello-secrets', secretKey: 'token' },
      ],
    });
    expect(ManifestSchema.parse(m)).toEqual(m);
  });

  it('fills defaults for a minimal app.toml', () => {
    const m = parseManifest('[App]\nName = "a"\nVersion = "0.0.1"\nTitle = "A"\n[Runtime]\nModule = "app"\n');
    expect(m).toEqual({
      name: 'a',
      version: '0.0.1',
      title: 'A',
      description: '',
      longDescriptionPath: null,
      categories: [],
      keywords: [],
      runtime: {
        module: 'app',
        runtimeVersion: null,
        memoryLimit: null,
        memoryReservation: null,
        volumeMount: null,
        volumeSize: null,
        gpuCount: 0, gpuType: null,
      },
      env: [],
    });
  });

  it('accepts the generated test manifest and a UTF-8 BOM', () => {
    expect(parseManifest(validManifest()).name).toBe('hello-wave');
    expect(parseManifest(`\uFEFF${validManifest()}`).name).toBe('hello-wave');
  });

  it('lists every problem at once, each with its path, in file order', () => {
    const text = `
[App]
Name = "Bad_Name"
Version = "1.0"
Category = ["Games", "Other", "Toys"]
Keywords = ["", "ok"]

[Runtime]
Module = "hello-app"
MemoryLimit = "lots"
GPUCount = -1
GPUType = "A100"

[[Env]]
Name = "1X"
Value = "a"

[[Env]]
Name = "WHARF_URL"
`;
    expect(problems(text)).toEqual([
      { path: 'App.Name', message: expect.stringMatching(/must match/) },
      { path: 'App.Version', message: expect.stringMatching(/semantic version/) },
      { path: 'App.Title', message: 'is required' },
      { path: 'App.Category[0]', message: expect.stringMatching(/unknown category "Games"; allowed: All, /) },
      { path: 'App.Category[2]', message: expect.stringMatching(/unknown category "Toys"/) },
      { path: 'App.Keywords[0]', message: 'must not be empty' },
      { path: 'Runtime.Module', message: expect.stringMatching(/Python module name/) },
      { path: 'Runtime.MemoryLimit', message: 'must be a quantity such as 512Mi or 1Gi' },
      { path: 'Runtime.GPUCount', message: 'must be 0 or more' },
      { path: 'Runtime.GPUType', message: expect.stringMatching(/lower-case letters/) },
      { path: 'Runtime.GPUType', message: expect.stringMatching(/GPUCount is not 1 or more/) },
      { path: 'Env[0].Name', message: expect.stringMatching(/letters, digits and underscores/) },
      { path: 'Env[1].Name', message: expect.stringMatching(/reserved for the platform/) },
      { path: 'Env[1]', message: 'needs a Value, or a Secret and a SecretKey' },
    ]);
  });

  it('lists every missing required field, also when whole sections are missing', () => {
    expect(paths('')).toEqual(['App.Name', 'App.Version', 'App.Title', 'Runtime.Module']);
    expect(paths('[Runtime]\nModule = "x"\n')).toEqual(['App.Name', 'App.Version', 'App.Title']);
  });

  it('reports a TOML syntax error as one problem with its line and column', () => {
    const p = problems('[App]\nName = "x"\nTitle = "unterminated\n');
    expect(p).toHaveLength(1);
    expect(p[0]!.message).toMatch(/^not valid TOML at line 3:\d+: /);
    expect(problems('[App]\nName = "a"\nName = "b"\n')[0]!.message).toMatch(/^not valid TOML at line 3:1: .*App\.Name/);
  });

  it('explains wrong types, with a hint', () => {
    const text = validManifest().replace('Version = "1.0.0"', 'Version = 1.5').replace('GPUCount = 0', 'GPUCount = "1"');
    expect(messageAt(text, 'App.Version')).toBe('must be a string, not a float (put the value in quotes)');
    expect(messageAt(text, 'Runtime.GPUCount')).toBe('must be an integer, not a string (remove the quotes)');
    expect(messageAt(validManifest().replace('GPUCount = 0', 'GPUCount = 1.5'), 'Runtime.GPUCount')).toBe('must be a whole number');
  });

  it('wants Category and Keywords as arrays and says so', () => {
    const text = validManifest().replace('Category = ["Other"]', 'Category = "Other"').replace(/Keywords = .*/, 'Keywords = "demo"');
    expect(messageAt(text, 'App.Category')).toBe('must be an array of strings, not a string (write Category = ["Data Science"])');
    expect(messageAt(text, 'App.Keywords')).toBe('must be an array of strings, not a string (write Keywords = ["demo"])');
  });

  it('accepts every known category and refuses the rest listing the allowed ones', () => {
    expect(parseManifest(validManifest({ categories: [...CATEGORIES] })).categories).toEqual([...CATEGORIES]);
    const m = messageAt(validManifest({ categories: ['data science'] }), 'App.Category[0]');
    expect(m).toBe(`unknown category "data science"; allowed: ${CATEGORIES.join(', ')}`);
  });

  it('limits keywords: 1..40 characters, at most 20', () => {
    expect(paths(validManifest({ keywords: ['x'.repeat(41)] }))).toEqual(['App.Keywords[0]']);
    expect(messageAt(validManifest({ keywords: Array.from({ length: 21 }, (_, i) => `k${i}`) }), 'App.Keywords')).toBe(
      'must have at most 20 keywords',
    );
    expect(parseManifest(validManifest({ keywords: Array.from({ length: 20 }, (_, i) => `k${i}`) })).keywords).toHaveLength(20);
  });

  it('limits title and description', () => {
    expect(messageAt(validManifest({ title: '' }), 'App.Title')).toBe('must not be empty');
    expect(messageAt(validManifest({ title: '   ' }), 'App.Title')).toBe('must not be blank');
    expect(messageAt(validManifest({ title: 't'.repeat(101) }), 'App.Title')).toBe('must be at most 100 characters');
    expect(parseManifest(validManifest({ title: 't'.repeat(100) })).title).toHaveLength(100);
    expect(messageAt(validManifest({ description: 'd'.repeat(1001) }), 'App.Description')).toBe('must be at most 1000 characters');
  });

  it.each(['1.0.0', '0.1.0-alpha', '1.2.3-rc.1', '10.20.30'])('accepts the version %s', (v) => {
    expect(parseManifest(validManifest({ version: v })).version).toBe(v);
  });

  it.each(['1.0', 'v1.0.0', '1.0.0+build.5', ' 1.0.0', '01.0.0', 'latest', ''])('refuses the version %j', (v) => {
    expect(paths(validManifest({ version: v }))).toEqual(['App.Version']);
  });

  it.each(['hello', 'hello-wave', 'a.b-c', '0app'])('accepts the name %s', (n) => {
    expect(parseManifest(validManifest({ name: n })).name).toBe(n);
  });

  it.each(['Hello', 'hello_wave', '-x', '.x', 'a b', 'x'.repeat(64)])('refuses the name %j', (n) => {
    expect(paths(validManifest({ name: n }))).toEqual(['App.Name']);
  });

  it.each(['hello', 'hello.app', '_private.main', 'a1.b2.c3'])('accepts the module %s', (m) => {
    expect(parseManifest(validManifest({ module: m })).runtime.module).toBe(m);
  });

  it.each(['hello-app', 'hello.', '.hello', '1hello', 'hello..app', 'hello/app.py', 'hello app'])('refuses the module %j', (m) => {
    expect(paths(validManifest({ module: m }))).toEqual(['Runtime.Module']);
  });

  it('checks LongDescription is a relative markdown path inside the bundle', () => {
    expect(parseManifest(validManifest({ longDescription: 'README.md' })).longDescriptionPath).toBe('README.md');
    expect(parseManifest(validManifest({ longDescription: 'docs//about.markdown' })).longDescriptionPath).toBe('docs/about.markdown');
    for (const bad of ['/etc/passwd.md', '../README.md', 'docs\\README.md', 'README.txt', 'docs/', 'C:/x.md']) {
      expect({ bad, paths: paths(validManifest({ longDescription: bad })) }).toEqual({ bad, paths: ['App.LongDescription'] });
    }
  });

  it('refuses unknown sections and keys, suggesting the closest known one', () => {
    const text = `${validManifest().replace('Module = ', 'Modul = ').replace('Title = ', 'title = ')}\n[Build]\nCommand = "make"\n\n[Enviroment]\nX = "1"\n`;
    const listed = problems(text);
    expect(listed.slice(0, 4)).toEqual([
      { path: 'App.Title', message: 'is required' },
      { path: 'App.title', message: expect.stringMatching(/^unknown key \(did you mean Title\?\); known keys: Name, Version, Title, /) },
      { path: 'Runtime.Module', message: 'is required' },
      { path: 'Runtime.Modul', message: expect.stringMatching(/^unknown key \(did you mean Module\?\)/) },
    ]);
    expect(listed.slice(4).sort((a, b) => a.path.localeCompare(b.path))).toEqual([
      { path: 'Build', message: 'unknown section; known sections: [App], [Runtime], [[Env]]' },
      { path: 'Enviroment', message: 'unknown section; known sections: [App], [Runtime], [[Env]]' },
    ]);
    expect(messageAt(`${validManifest()}\n[[Env]]\nName = "X"\nValu = "1"\n`, 'Env[1].Valu')).toMatch(/did you mean Value\?/);
  });

  it('wants [[Env]] as an array of tables', () => {
    const text = validManifest({ env: [] }) + '\n[Env]\nName = "X"\nValue = "1"\n';
    expect(messageAt(text, 'Env')).toBe('must be an array of tables, not a table (write [[Env]] with two brackets, not [Env])');
  });

  describe('memory and volumes', () => {
    it('refuses a reservation above the limit, comparing units', () => {
      expect(messageAt(validManifest({ memoryLimit: '1G', memoryReservation: '1Gi' }), 'Runtime.MemoryReservation')).toBe(
        '1Gi is more than MemoryLimit 1G; the reservation must not exceed the limit',
      );
      expect(parseManifest(validManifest({ memoryLimit: '1Gi', memoryReservation: '1024Mi' })).runtime.memoryReservation).toBe('1024Mi');
      expect(parseManifest(validManifest({ memoryLimit: null, memoryReservation: '8Gi' })).runtime.memoryLimit).toBeNull();
    });

    it('refuses a zero limit or volume size and malformed quantities', () => {
      expect(messageAt(validManifest({ memoryLimit: '0' }), 'Runtime.MemoryLimit')).toBe('must be greater than 0');
      expect(paths(validManifest({ memoryLimit: '512MB' }))).toEqual(['Runtime.MemoryLimit']);
      expect(paths(validManifest({ memoryReservation: '-1Mi' }))).toEqual(['Runtime.MemoryReservation']);
    });

    it('needs VolumeMount and VolumeSize together, reporting the missing one', () => {
      expect(problems(validManifest({ volumeMount: '/data' }))).toEqual([
        { path: 'Runtime.VolumeSize', message: 'is required when VolumeMount is set (e.g. VolumeSize = "1Gi")' },
      ]);
      expect(problems(validManifest({ volumeSize: '1Gi' }))).toEqual([
        { path: 'Runtime.VolumeMount', message: 'is required when VolumeSize is set (e.g. VolumeMount = "/data")' },
      ]);
      expect(parseManifest(validManifest({ volumeMount: '/srv/data/', volumeSize: '10Gi' })).runtime).toMatchObject({
        volumeMount: '/srv/data/',
        volumeSize: '10Gi',
      });
    });

    it.each([
      ['data', 'must be an absolute path such as /data'],
      ['/', 'must not be / (mount a folder such as /data)'],
      ['/data/../etc', 'must not contain "." or ".." segments'],
      ['/a/./b', 'must not contain "." or ".." segments'],
      ['/a\\b', 'must not contain control characters or backslashes'],
    ])('refuses VolumeMount %j', (mount, message) => {
      expect(problems(validManifest({ volumeMount: mount, volumeSize: '1Gi' }))).toEqual([{ path: 'Runtime.VolumeMount', message }]);
    });
  });

  describe('[[Env]]', () => {
    const env = (...entries: Array<Record<string, string>>) => validManifest({ env: entries });

    it('refuses names reserved for the platform, whatever their case', () => {
      expect(paths(env({ name: 'WHARF_URL', value: 'x' }))).toEqual(['Env[0].Name']);
      expect(paths(env({ name: 'wharf_url', value: 'x' }))).toEqual(['Env[0].Name']);
      expect(parseManifest(env({ name: 'MY_WHARF_URL', value: 'x' })).env).toEqual([{ name: 'MY_WHARF_URL', value: 'x' }]);
    });

    it('refuses duplicates on the second occurrence', () => {
      expect(problems(env({ name: 'A', value: '1' }, { name: 'B', value: '2' }, { name: 'A', value: '3' }))).toEqual([
        { path: 'Env[2].Name', message: 'duplicate: A is already set by Env[0]' },
      ]);
    });

    it('wants exactly one of Value or Secret + SecretKey', () => {
      expect(problems(env({ name: 'A', value: '1', secret: 's', secretKey: 'k' }))).toEqual([
        { path: 'Env[0]', message: 'set either Value, or Secret and SecretKey, not both' },
      ]);
      expect(problems(env({ name: 'A' }))).toEqual([{ path: 'Env[0]', message: 'needs a Value, or a Secret and a SecretKey' }]);
      expect(paths(env({ name: 'A', secret: 's' }))).toEqual(['Env[0].SecretKey']);
      expect(paths(env({ name: 'A', secretKey: 'k' }))).toEqual(['Env[0].Secret']);
      expect(parseManifest(env({ name: 'A', value: '' })).env).toEqual([{ name: 'A', value: '' }]);
    });

    it('checks secret names and keys against Kubernetes rules', () => {
      expect(paths(env({ name: 'A', secret: 'My_Secret', secretKey: 'k' }))).toEqual(['Env[0].Secret']);
      expect(paths(env({ name: 'A', secret: 's', secretKey: 'a/b' }))).toEqual(['Env[0].SecretKey']);
    });

    it('refuses a missing Name', () => {
      expect(paths(env({ value: '1' }))).toEqual(['Env[0].Name']);
    });
  });
});

describe('parseQuantity', () => {
  it.each([
    ['1024', 1024],
    ['1k', 1000],
    ['1Ki', 1024],
    ['512Mi', 512 * 2 ** 20],
    ['1.5Gi', 1.5 * 2 ** 30],
    ['2G', 2e9],
    ['1Ti', 2 ** 40],
    ['3T', 3e12],
    ['500M', 5e8],
  ])('%s is %d bytes', (q, bytes) => {
    expect(parseQuantity(q)).toBe(bytes);
  });

  it.each(['', 'Mi', '1MB', '1 Gi', '-1', '1e3', '1.Gi'])('refuses %j', (q) => {
    expect(() => parseQuantity(q)).toThrow(/is not a quantity/);
  });

  it('formats sizes for messages', () => {
    expect([formatBytes(10), formatBytes(1536), formatBytes(300 * 2 ** 20), formatBytes(1.2 * 2 ** 30)]).toEqual([
      '10 bytes',
      '1.5 KiB',
      '300 MiB',
      '1.2 GiB',
    ]);
  });
});

describe('checkBundlePath', () => {
  it.each([
    ['app.toml', 'app.toml', false],
    ['./app.toml', 'app.toml', false],
    ['a//b/./c.py', 'a/b/c.py', false],
    ['static/', 'static', true],
    ['./', '', true],
  ])('normalises %j to %j', (raw, name, isDir) => {
    expect(checkBundlePath(raw)).toEqual({ ok: true, name, isDir });
  });

  it.each([
    ['', /empty name/],
    ['../x', /zip-slip/],
    ['a/../../x', /zip-slip/],
    ['a/..', /zip-slip/],
    ['/etc/passwd', /absolute path/],
    ['C:\\x', /absolute path/],
    ['c:x', /absolute path/],
    ['\\\\server\\share', /UNC/],
    ['//server/share', /UNC/],
    ['a\\b', /backslash/],
    ['a\u0000b', /control character/],
    ['a\nb', /control character/],
    ['a\u007fb', /control character/],
    [`${'x'.repeat(256)}/y`, /longer than 255/],
  ])('refuses %j', (raw, message) => {
    const r = checkBundlePath(raw);
    expect(r.ok).toBe(false);
    expect(r.ok ? '' : r.message).toMatch(message);
  });
});
