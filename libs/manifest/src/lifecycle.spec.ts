import { WharfError, type Problem } from '@wharf/contracts';
import { parseManifest } from './manifest';

/** The problems `parseManifest` reports for `text` (fails the test if it accepts it). */
function problems(text: string): Problem[] {
  try {
    parseManifest(text);
  } catch (e) {
    if (!WharfError.is(e, 'INVALID')) throw e;
    return (e.details as { problems: Problem[] }).problems;
  }
  throw new Error('expected app.toml to be refused');
}

const app = (extra = '') => `[App]\nName = "dash"\nVersion = "1.0.0"\nTitle = "Dashboards"\n${extra}`;
const RUNTIME = '\n[Runtime]\nModule = "dash.app"\n';
const LINK = '\n[Link]\nAddress = "https://dashboards.example.com/sales?q=1"\n';

describe('[App] InstanceTimeout', () => {
  it('takes minutes, -1 for never, and leaves the platform default to an absent key', () => {
    expect(parseManifest(app('InstanceTimeout = 90') + RUNTIME).runtime.instanceTimeoutMinutes).toBe(90);
    expect(parseManifest(app('InstanceTimeout = -1') + RUNTIME).runtime.instanceTimeoutMinutes).toBe(-1);
    expect(parseManifest(app() + RUNTIME).runtime.instanceTimeoutMinutes).toBeNull();
  });

  it.each([
    ['0', /between 1 and 43200 minutes, or -1/],
    ['-5', /between 1 and 43200 minutes, or -1/],
    ['43201', /between 1 and 43200 minutes/],
    ['1.5', /whole number of minutes/],
    ['"60"', /remove the quotes, e.g. InstanceTimeout = 60/],
  ])('refuses InstanceTimeout = %s with what to write', (value, message) => {
    expect(problems(app(`InstanceTimeout = ${value}`) + RUNTIME)).toEqual([{ path: 'App.InstanceTimeout', message: expect.stringMatching(message) }]);
  });
});

describe('[App] InstanceLifecycle', () => {
  it('is ON_DEMAND by default; MANAGED keeps everything an instance has', () => {
    expect(parseManifest(app() + RUNTIME).runtime).toMatchObject({ lifecycle: 'ON_DEMAND', linkAddress: null, module: 'dash.app' });
    expect(parseManifest(app('InstanceLifecycle = "MANAGED"\nInstanceTimeout = -1') + RUNTIME).runtime).toMatchObject({
      lifecycle: 'MANAGED',
      instanceTimeoutMinutes: -1,
      module: 'dash.app',
    });
  });

  it('makes a LINK app of [Link] Address, with no [Runtime]', () => {
    const m = parseManifest(app('InstanceLifecycle = "LINK"') + LINK);
    expect(m.runtime).toMatchObject({ lifecycle: 'LINK', linkAddress: 'https://dashboards.example.com/sales?q=1', module: '' });
    expect(m.env).toEqual([]);
  });

  it('names the lifecycles it knows', () => {
    expect(problems(app('InstanceLifecycle = "SHARED"') + RUNTIME)).toEqual([
      { path: 'App.InstanceLifecycle', message: expect.stringMatching(/unknown lifecycle "SHARED"; allowed: ON_DEMAND .*MANAGED .*LINK/) },
    ]);
  });

  it('refuses a LINK app with anything that describes an instance, all at once, each where it is', () => {
    const text = `${app('InstanceLifecycle = "LINK"\nInstanceTimeout = 30')}${LINK}${RUNTIME}\n[[Env]]\nName = "A"\nValue = "b"\n\n[[File]]\nPath = "/etc/dash.conf"\nValue = "x"\n`;
    const got = problems(text);
    expect(got.map((p) => p.path)).toEqual(['App.InstanceTimeout', 'Runtime', 'Env', 'File']);
    expect(got[1]!.message).toMatch(/a LINK app has no instance: remove \[Runtime\]/);
  });

  it('asks a LINK app for its [Link] and an address it can use', () => {
    expect(problems(app('InstanceLifecycle = "LINK"'))).toEqual([{ path: 'Link', message: expect.stringMatching(/is required when InstanceLifecycle = "LINK"/) }]);
    expect(problems(`${app('InstanceLifecycle = "LINK"')}\n[Link]\n`)).toEqual([{ path: 'Link.Address', message: 'is required' }]);
    for (const [address, message] of [
      ['dashboards.example.com', /whole http\(s\) address/],
      ['javascript:alert(1)', /http or https address, not javascript/],
      ['ftp://files.example.com/', /not ftp/],
      ['https://me:secret@example.com/', /must not hold a user name or password/],
      ['https://example.com/a b', /without spaces/],
    ] as const) {
      expect(problems(`${app('InstanceLifecycle = "LINK"')}\n[Link]\nAddress = ${JSON.stringify(address)}\n`)).toEqual([
        { path: 'Link.Address', message: expect.stringMatching(message) },
      ]);
    }
    expect(problems(`${app('InstanceLifecycle = "LINK"')}\n[Link]\nAddress = "https://x.example"\nTarget = "_blank"\n`)[0]!.message).toMatch(/unknown key; known keys: Address/);
  });

  it('refuses [Link] on an app that runs', () => {
    expect(problems(app() + RUNTIME + LINK)).toEqual([{ path: 'Link', message: expect.stringMatching(/only for InstanceLifecycle = "LINK".*remove \[Link\]/) }]);
  });
});
