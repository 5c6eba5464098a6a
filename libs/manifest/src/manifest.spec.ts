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
RoutingMode = "BASE_URL"       # optional: DOMAIN or BASE_URL; default: the platform's

[[Env]]
Name = "GREETING"
Value = "hi"

[[Env]]
Name = "API_TOKEN"
Secret = "hello-secrets"       # admin-managed secret
SecretKey = "token"

[[File]]
Path = "/etc/hello/config.ini"
Value = """
[greeting]
text = hi
"""

[[File]]
Path = "/srv/hello/key.pem"
Secret = "hello-secrets"
SecretKey = "tls.key"
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
        instanceTimeoutMinutes: null,
        lifecycle: 'ON_DEMAND',
        linkAddress: null,
        routingMode: 'BASE_URL',
      },
      env: [
        { name: 'GREETING', value: 'hi' },
        { name: 'API_TOKEN', secret: 'hello-secrets', secretKey: 'token' },
      ],
      files: [
        { path: '/etc/hello/config.ini', value: '[greeting]\ntext = hi\n' },
        { path: '/srv/hello/key.pem', secret: 'hello-secrets', secretKey: 'tls.key' },
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
        instanceTimeoutMinutes: null,
        lifecycle: 'ON_DEMAND',
        linkAddress: null,
        routingMode: null,
      },
      env: [],
      files: [],
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
RoutingMode = "PATH"

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
      { path: 'Runtime.RoutingMode', message: 'unknown routing mode "PATH"; allowed: DOMAIN (served at <id>.<apps domain>, its own origin), BASE_URL (served under /instance/<id>/ on the apps domain: the app must serve under $WHARF_BASE_PATH)' },
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
      { path: 'Build', message: 'unknown section; known sections: [App], [Link], [Runtime], [[Env]], [[File]]' },
      { path: 'Enviroment', message: 'unknown section; known sections: [App], [Link], [Runtime], [[Env]], [[File]]' },
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

    it('names user secrets as ~/<name> (whoever runs the instance) or <owner id>/<name>', () => {
      for (const secret of ['~/openai', 'u-alice/db', 'oidc|42/api.key', 'team/a/db']) {
        expect(parseManifest(env({ name: 'A', secret, secretKey: 'k' })).env).toEqual([{ name: 'A', secret, secretKey: 'k' }]);
      }
      for (const secret of ['~/', '/db', 'u alice/db', '~/My_Secret', `~/${'a'.repeat(64)}`, `${'o'.repeat(201)}/db`, 'db/']) {
        expect(problems(env({ name: 'A', secret, secretKey: 'k' }))).toEqual([{ path: 'Env[0].Secret', message: expect.stringMatching(/^must name a platform secret .* or a user secret as "~\/<name>"/) }]);
      }
    });

    it('refuses a missing Name', () => {
      expect(paths(env({ value: '1' }))).toEqual(['Env[0].Name']);
    });
  });
});

describe('[[File]]', () => {
  const files = (...entries: Array<Record<string, string>>) => validManifest({ files: entries });
  const pathProblem = (p: string) => messageAt(files({ path: p, value: 'x' }), 'File[0].Path');

  it('reads literal and secret files in order, keeping the value byte for byte', () => {
    expect(parseManifest(files({ path: '/etc/app/a.json', value: '{"a": 1}\n' }, { path: '/config', secret: 's', secretKey: 'k' }, { path: '/opt/app/empty', value: '' })).files).toEqual([
      { path: '/etc/app/a.json', value: '{"a": 1}\n' },
      { path: '/config', secret: 's', secretKey: 'k' },
      { path: '/opt/app/empty', value: '' },
    ]);
  });

  it.each([
    ['etc/app.ini', 'must be an absolute path such as /etc/myapp/config.ini, not "etc/app.ini"'],
    ['', 'must not be empty (an absolute file path such as /etc/myapp/config.ini)'],
    ['/', 'must name a file, not a folder (no trailing "/"), e.g. /etc/myapp/config.ini'],
    ['/etc/app/', 'must name a file, not a folder (no trailing "/"), e.g. /etc/myapp/config.ini'],
    ['/etc//app.ini', 'must not contain empty segments ("//")'],
    ['/etc/app/../passwd', 'must not contain "." or ".." segments'],
    ['/etc/./app.ini', 'must not contain "." or ".." segments'],
    ['/etc/app\nx', 'must not contain control characters or backslashes'],
    ['/etc/app\\x', 'must not contain control characters or backslashes'],
    [`/${'a'.repeat(256)}`, 'each part of the path must be at most 255 bytes'],
    [`/${'a/'.repeat(600)}b`, 'must be at most 1024 characters'],
  ])('refuses Path %j', (p, message) => {
    expect(problems(files({ path: p, value: 'x' }))).toEqual([{ path: 'File[0].Path', message }]);
  });

  it("refuses the platform's folders and files: /proc, /sys, /dev, /tmp, /run, system folders, the pod's /work, the sandbox's /etc files", () => {
    for (const dir of ['/proc', '/sys', '/dev', '/tmp', '/run', '/usr', '/lib', '/bin', '/opt/wharf', '/work']) {
      expect(pathProblem(`${dir}/x`)).toBe(`is inside ${dir}, which the platform provides in every instance; choose another folder, e.g. /etc/myapp/ or /srv/myapp/`);
    }
    expect(pathProblem('/tmp')).toBe('/tmp is provided by the platform in every instance; choose another path, e.g. /etc/myapp/config.ini');
    expect(pathProblem('/etc/passwd')).toBe('/etc/passwd is provided by the platform in every instance; choose another path, e.g. /etc/myapp/config.ini');
    expect(pathProblem('/etc/resolv.conf')).toMatch(/^\/etc\/resolv\.conf is provided by the platform/);
    expect(pathProblem('/etc/ssl/certs/mine.pem')).toMatch(/^is inside \/etc\/ssl, /);
    expect(pathProblem('/etc')).toBe('is a folder of the system; name a file inside a folder, e.g. /etc/myapp/config.ini');
    expect(pathProblem('/opt')).toBe('would hide /opt/wharf, which the platform provides in every instance; choose a path for a file, e.g. /etc/myapp/config.ini');
    // near misses are fine
    for (const ok of ['/etc/passwd.d/x', '/tmpfile', '/opt/wharfish/x', '/workspace/conf', '/etc/myapp/hosts', '/proc.ini']) {
      expect(parseManifest(files({ path: ok, value: 'x' })).files[0]!.path).toBe(ok);
    }
  });

  it('refuses duplicates and a file inside another, on the later entry', () => {
    expect(problems(files({ path: '/etc/a', value: '1' }, { path: '/etc/b', value: '2' }, { path: '/etc/a', value: '3' }))).toEqual([
      { path: 'File[2].Path', message: 'duplicate: /etc/a is already mounted by File[0]' },
    ]);
    expect(problems(files({ path: '/etc/a', value: '1' }, { path: '/etc/a/b', value: '2' }))).toEqual([
      { path: 'File[1].Path', message: 'is inside /etc/a, the file of File[0]; a file cannot also be a folder' },
    ]);
    expect(problems(files({ path: '/etc/a/b', value: '1' }, { path: '/etc/a', value: '2' }))).toEqual([
      { path: 'File[1].Path', message: 'would be the folder of /etc/a/b (File[0]); a file cannot also be a folder' },
    ]);
  });

  it('refuses a path equal to, inside or above VolumeMount', () => {
    const withVolume = (p: string) => validManifest({ volumeMount: '/data/', volumeSize: '1Gi', files: [{ path: p, value: 'x' }] });
    expect(problems(withVolume('/data/config.ini'))).toEqual([
      { path: 'File[0].Path', message: 'is inside VolumeMount /data, which the app writes; choose a path outside /data (files are read-only)' },
    ]);
    expect(messageAt(withVolume('/data'), 'File[0].Path')).toMatch(/^is inside VolumeMount \/data/);
    expect(problems(validManifest({ volumeMount: '/srv/app/data', volumeSize: '1Gi', files: [{ path: '/srv/app', value: 'x' }] }))).toEqual([
      { path: 'File[0].Path', message: 'would be the folder of VolumeMount /srv/app/data; a file cannot also be a folder' },
    ]);
    expect(parseManifest(withVolume('/database.ini')).files).toEqual([{ path: '/database.ini', value: 'x' }]);
  });

  it('wants exactly one of Value or Secret + SecretKey, with the same messages as [[Env]]', () => {
    expect(problems(files({ path: '/etc/a', value: '1', secret: 's', secretKey: 'k' }))).toEqual([
      { path: 'File[0]', message: 'set either Value, or Secret and SecretKey, not both' },
    ]);
    expect(problems(files({ path: '/etc/a' }))).toEqual([{ path: 'File[0]', message: 'needs a Value, or a Secret and a SecretKey' }]);
    expect(paths(files({ path: '/etc/a', secret: 's' }))).toEqual(['File[0].SecretKey']);
    expect(paths(files({ path: '/etc/a', secretKey: 'k' }))).toEqual(['File[0].Secret']);
    expect(paths(files({ path: '/etc/a', secret: 'My_Secret', secretKey: 'k' }))).toEqual(['File[0].Secret']);
    expect(paths(files({ value: '1' }))).toEqual(['File[0].Path']);
    expect(messageAt(files({ value: '1' }), 'File[0].Path')).toBe('is required');
  });

  it('limits the count and the size of values', () => {
    const many = Array.from({ length: 17 }, (_, i) => ({ path: `/etc/app/f${i}`, value: 'x' }));
    expect(problems(validManifest({ files: many }))).toEqual([
      { path: 'File', message: 'must have at most 16 entries; put more files in the bundle, or one file with several settings' },
    ]);
    expect(parseManifest(validManifest({ files: many.slice(0, 16) })).files).toHaveLength(16);
    expect(problems(files({ path: '/etc/a', value: 'é'.repeat(16 * 1024 + 1) }))).toEqual([
      { path: 'File[0].Value', message: 'must be at most 32768 bytes (UTF-8); ship larger files in the bundle instead' },
    ]);
    expect(parseManifest(files({ path: '/etc/a', value: 'é'.repeat(16 * 1024) })).files).toHaveLength(1);
  });

  it('explains types, unknown keys and the single-bracket mistake', () => {
    expect(messageAt(`${validManifest()}\n[[File]]\nPath = 1\nValue = "x"\n`, 'File[0].Path')).toBe('must be a string, not an integer (put the value in quotes)');
    expect(messageAt(`${validManifest()}\n[[File]]\nPath = "/etc/a"\nValu = "x"\n`, 'File[0].Valu')).toBe(
      'unknown key (did you mean Value?); known keys: Path, Value, Secret, SecretKey',
    );
    expect(messageAt(`${validManifest()}\n[File]\nPath = "/etc/a"\nValue = "1"\n`, 'File')).toBe(
      'must be an array of tables, not a table (write [[File]] with two brackets, not [File])',
    );
    expect(messageAt(`${validManifest()}\n[[Files]]\nPath = "/etc/a"\n`, 'Files')).toBe('unknown section (did you mean File?); known sections: [App], [Link], [Runtime], [[Env]], [[File]]');
  });

  it('lists File problems after App, Runtime and Env, in entry order', () => {
    const text = validManifest({ title: null, env: [{ name: 'WHARF_X', value: '1' }], files: [{ path: 'rel', value: '1' }, { path: '/tmp/x' }] });
    expect(paths(text)).toEqual(['App.Title', 'Env[0].Name', 'File[0].Path', 'File[1].Path', 'File[1]']);
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
