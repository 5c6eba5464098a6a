import { APP_SECRET_ENV_PREFIX, appSecretEnvName, LAUNCHER_ENV_DEFAULTS, launcherEnvRecord, type LauncherEnv, type LauncherEnvInput } from '@wharf/contracts/launcher';
import { parseLauncherEnv } from './launcher.env';

/** Every key of the contract set, none to its default: what a driver builds must read back the same. */
const everything: LauncherEnv = {
  PORT: 41234,
  WHARF_INSTANCE_ID: 'i-round-trip',
  WHARF_GENERATION: 7,
  WHARF_BUNDLE_URL: 'http://127.0.0.1:8082/internal/bundles/app%401.0.0',
  WHARF_BUNDLE_TOKEN: 'bundle-token',
  WHARF_BUNDLE_SHA256: 'a'.repeat(64),
  WHARF_MODULE: 'pkg.app',
  WHARF_RUNTIME: 'python-3.11',
  WHARF_PYTHON: '/usr/bin/python3.11',
  WHARF_STATUS_URL: 'http://127.0.0.1:8083/internal/instances/i-round-trip/status',
  WHARF_STATUS_TOKEN: 'status-token',
  WHARF_IDENTITY_KEY: 'aWRlbnRpdHk',
  WHARF_WORK_DIR: '/data/instances/i-round-trip/work',
  WHARF_VOLUME_DIR: '/data/instances/i-round-trip/data',
  WHARF_STATE_DIR: '/data/instances/i-round-trip',
  WHARF_LOG_DIR: '/data/instances/i-round-trip/logs',
  WHARF_LOG_MAX_BYTES: 65536,
  WHARF_VENV_CACHE: '/data/venvs',
  WHARF_BUNDLE_CACHE: '/data/bundles',
  WHARF_MEMORY_LIMIT_BYTES: 536870912,
  WHARF_PRLIMIT: '/usr/bin/prlimit',
  WHARF_START_TIMEOUT_SECONDS: 120,
  WHARF_STOP_GRACE_MS: 4500,
  WHARF_WATCH_INTERVAL_MS: 500,
  WHARF_APP_ENV: { GREETING: 'héllo "world"', EMPTY: '', PATH: '/app/bin' },
  WHARF_LISTEN_HOST: '0.0.0.0',
  WHARF_SANDBOX: 'bwrap',
  WHARF_BWRAP: '/usr/bin/bwrap',
  WHARF_SANDBOX_UID: 200123,
  WHARF_SANDBOX_GID: 200123,
  WHARF_SETPRIV: '/usr/bin/setpriv',
  WHARF_RUN_DIR: '/data/instances/i-round-trip/run',
  WHARF_APP_FILES: [{ path: '/etc/app/config.ini', source: '/data/instances/i-round-trip/files/0' }],
};

describe('the launcher contract, end to end', () => {
  it('reads back every key a driver sets, with its type', () => {
    const env = launcherEnvRecord(everything);
    expect(Object.values(env).every((v) => typeof v === 'string')).toBe(true);
    expect(parseLauncherEnv(env)).toEqual({ success: true, data: everything });
  });

  it('keys a driver leaves out read back as the contract says they default', () => {
    const minimal: LauncherEnvInput = {
      PORT: 8080,
      WHARF_INSTANCE_ID: 'i-minimal',
      WHARF_BUNDLE_URL: 'https://repository.example/internal/bundles/x',
      WHARF_BUNDLE_TOKEN: 't',
      WHARF_BUNDLE_SHA256: 'b'.repeat(64),
      WHARF_MODULE: 'app',
    };
    const env = launcherEnvRecord(minimal);
    expect(Object.keys(env).sort()).toEqual(Object.keys(minimal).sort());
    const parsed = parseLauncherEnv(env);
    expect(parsed.success && parsed.data).toMatchObject({ ...minimal, ...LAUNCHER_ENV_DEFAULTS });
  });

  it("gives the app the values a driver passes one by one (WHARF_APP_SECRET__<NAME>), after WHARF_APP_ENV's, and nothing else of them", () => {
    const env = {
      ...launcherEnvRecord({ ...everything, WHARF_APP_ENV: { GREETING: 'hi', API_TOKEN: 'from-json' } }),
      [appSecretEnvName('API_TOKEN')]: 's3cr3t',
      [appSecretEnvName('DB_PASSWORD')]: 'pw',
      [APP_SECRET_ENV_PREFIX]: 'no name: ignored',
    };
    const parsed = parseLauncherEnv(env);
    expect(parsed.success && parsed.data.WHARF_APP_ENV).toEqual({ GREETING: 'hi', API_TOKEN: 's3cr3t', DB_PASSWORD: 'pw' });
  });

  it('refuses [[File]] mounts that are not absolute paths, naming the variable', () => {
    for (const bad of ['{}', '[{"path":"etc/x","source":"/f/0"}]', '[{"path":"/etc/x"}]', '[{"path":"/etc/x","source":"f/0"}]', 'not json']) {
      const parsed = parseLauncherEnv({ ...launcherEnvRecord(everything), WHARF_APP_FILES: bad });
      expect(parsed.success ? [] : parsed.problems).toEqual([{ path: 'WHARF_APP_FILES', message: expect.stringMatching(/^must be a JSON array of \{"path"/) }]);
    }
  });

  it('what is wrong is still named by variable', () => {
    const env = launcherEnvRecord({ ...everything, WHARF_MODULE: 'not a module' });
    const parsed = parseLauncherEnv({ ...env, PORT: '0' });
    expect(parsed.success ? [] : parsed.problems.map((p) => p.path).sort()).toEqual(['PORT', 'WHARF_MODULE']);
  });
});
