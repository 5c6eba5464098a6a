import { appCommand } from './app-process';
import { appEnvironment, parseLauncherEnv } from './launcher.env';
import { renderProgressPage } from './progress-page';
import { hasRequirements, venvKey } from './requirements';

describe('launcher helpers', () => {
  it('installs only when requirements.txt names something', () => {
    expect(hasRequirements(null)).toBe(false);
    expect(hasRequirements('')).toBe(false);
    expect(hasRequirements('# nothing\n\n   # at all\n')).toBe(false);
    expect(hasRequirements('requests==2.0  # pinned\n')).toBe(true);
    expect(venvKey('ab', 'python 3.11/x')).toBe('ab-python_3.11_x');
  });

  it('wraps the app in prlimit only with a limit and prlimit, with 1 MiB thread stacks', () => {
    expect(appCommand({ python: 'python3', module: 'a.b' })).toEqual(['python3', ['-m', 'a.b']]);
    expect(appCommand({ python: 'python3', module: 'a.b', memoryLimitBytes: 1024, prlimit: 'prlimit' })).toEqual([
      'prlimit',
      ['--as=1024', '--stack=1048576', '--', 'python3', '-m', 'a.b'], // small thread stacks within the address space
    ]);
  });

  it("gives the app the basics, then its own variables (never the platform's), then the platform's extras", () => {
    const env = appEnvironment(
      { PATH: '/bin', HOME: '/w' },
      { PATH: '/opt/bin', GREETING: 'hi', WHARF_BUNDLE_TOKEN: 't', wharf_status_token: 't', PORT: '1' },
      { PORT: '2' },
    );
    expect(env).toEqual({ PATH: '/opt/bin', HOME: '/w', GREETING: 'hi', PORT: '2' });
  });

  it('takes the app environment only as a JSON object of strings, and the sandbox settings together', () => {
    const base = { PORT: '1', WHARF_INSTANCE_ID: 'a', WHARF_BUNDLE_URL: 'http://x', WHARF_BUNDLE_TOKEN: 't', WHARF_BUNDLE_SHA256: 'a'.repeat(64), WHARF_MODULE: 'm' };
    const ok = parseLauncherEnv({ ...base, WHARF_APP_ENV: '{"A":"1"}', WHARF_SANDBOX: 'bwrap', WHARF_RUN_DIR: '/r', WHARF_SANDBOX_UID: '200001', WHARF_SANDBOX_GID: '200001' });
    expect(ok.success && ok.data).toMatchObject({ WHARF_APP_ENV: { A: '1' }, WHARF_SANDBOX: 'bwrap', WHARF_SANDBOX_UID: 200001, WHARF_LISTEN_HOST: '127.0.0.1' });
    const bad = parseLauncherEnv({ ...base, WHARF_APP_ENV: '{"A":1}', WHARF_SANDBOX: 'bwrap', WHARF_SANDBOX_UID: '5' });
    expect(bad.success ? [] : bad.problems.map((p) => p.path).sort()).toEqual(['WHARF_APP_ENV', 'WHARF_RUN_DIR', 'WHARF_SANDBOX_GID']);
  });

  it('validates its environment, naming every bad variable', () => {
    const ok = parseLauncherEnv({
      PORT: '8000',
      WHARF_INSTANCE_ID: 'abc',
      WHARF_BUNDLE_URL: 'http://x/y',
      WHARF_BUNDLE_TOKEN: 't',
      WHARF_BUNDLE_SHA256: 'a'.repeat(64),
      WHARF_MODULE: 'hello.app',
      WHARF_MEMORY_LIMIT_BYTES: '',
      WHARF_STATUS_URL: '',
    });
    expect(ok.success && ok.data).toMatchObject({
      PORT: 8000,
      WHARF_GENERATION: 0,
      WHARF_RUNTIME: 'default',
      WHARF_LOG_MAX_BYTES: 1024 * 1024,
      WHARF_MEMORY_LIMIT_BYTES: undefined,
      WHARF_STATUS_URL: undefined,
    });
    const bad = parseLauncherEnv({ PORT: 'x', WHARF_MODULE: 'not a module', WHARF_BUNDLE_URL: 'ftp://x', WHARF_MEMORY_LIMIT_BYTES: '-1' });
    expect(bad.success).toBe(false);
    const problems = bad.success ? [] : bad.problems;
    expect(problems).toEqual(
      expect.arrayContaining([
        { path: 'PORT', message: 'must be a whole number from 1 to 65535, got "x"' },
        { path: 'WHARF_INSTANCE_ID', message: 'is required' },
        { path: 'WHARF_BUNDLE_URL', message: 'must be an http(s) URL, got "ftp://x"' },
        { path: 'WHARF_BUNDLE_TOKEN', message: 'is required' },
        { path: 'WHARF_BUNDLE_SHA256', message: 'is required' },
        { path: 'WHARF_MODULE', message: 'must be a Python module name' },
        { path: 'WHARF_MEMORY_LIMIT_BYTES', message: expect.stringContaining('must be a whole number from 1') },
      ]),
    );
    expect(problems).toHaveLength(7);
  });

  it('renders the progress page with the current step and escaped output', () => {
    const html = renderProgressPage({ instanceId: 'i', step: 'Installing dependencies', skipped: [], output: ['<script>'] });
    expect(html).toContain('<li class="done">✓ Fetching bundle</li>');
    expect(html).toContain('<li class="current">… Installing dependencies</li>');
    expect(html).toContain('&lt;script&gt;');
    expect(html).toContain('http-equiv="refresh"');
  });
});
