import { appCommand } from './app-process';
import { appEnvironment, LauncherEnvSchema } from './launcher.env';
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

  it('wraps the app in prlimit only with a limit and prlimit', () => {
    expect(appCommand({ python: 'python3', module: 'a.b' })).toEqual(['python3', ['-m', 'a.b']]);
    expect(appCommand({ python: 'python3', module: 'a.b', memoryLimitBytes: 1024, prlimit: 'prlimit' })).toEqual([
      'prlimit',
      ['--as=1024', '--', 'python3', '-m', 'a.b'],
    ]);
  });

  it("passes the app everything except the platform's variables", () => {
    const env = appEnvironment({ PATH: '/bin', GREETING: 'hi', WHARF_BUNDLE_TOKEN: 't', wharf_status_token: 't', PORT: '1' }, { PORT: '2' });
    expect(env).toEqual({ PATH: '/bin', GREETING: 'hi', PORT: '2' });
  });

  it('validates its environment', () => {
    const ok = LauncherEnvSchema.safeParse({
      PORT: '8000',
      WHARF_INSTANCE_ID: 'abc',
      WHARF_BUNDLE_URL: 'http://x/y',
      WHARF_BUNDLE_TOKEN: 't',
      WHARF_BUNDLE_SHA256: 'a'.repeat(64),
      WHARF_MODULE: 'hello.app',
      WHARF_MEMORY_LIMIT_BYTES: '',
      WHARF_STATUS_URL: '',
    });
    expect(ok.success && ok.data).toMatchObject({ PORT: 8000, WHARF_GENERATION: 0, WHARF_MEMORY_LIMIT_BYTES: undefined, WHARF_STATUS_URL: undefined });
    const bad = LauncherEnvSchema.safeParse({ PORT: 'x', WHARF_MODULE: 'not a module' });
    expect(bad.success).toBe(false);
  });

  it('renders the progress page with the current step and escaped output', () => {
    const html = renderProgressPage({ instanceId: 'i', step: 'Installing dependencies', skipped: [], output: ['<script>'] });
    expect(html).toContain('<li class="done">✓ Fetching bundle</li>');
    expect(html).toContain('<li class="current">… Installing dependencies</li>');
    expect(html).toContain('&lt;script&gt;');
    expect(html).toContain('http-equiv="refresh"');
  });
});
