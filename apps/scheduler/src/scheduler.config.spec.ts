import { ConfigError } from '@wharf/config';
// The one platform key is read by three services: the spec checks them together.
import { loadRepositorySettings } from '../../repository/src/repository.config';
import { loadRouterSettings } from '../../router/src/router.config';
import { loadSchedulerSettings } from './scheduler.config';

/** Platform.InternalSecret has no default. */
const SECRET = { WHARF_PLATFORM_INTERNAL_SECRET: 'scheduler-spec-internal-secret-0123' };

const problems = (env: NodeJS.ProcessEnv): string => {
  try {
    loadSchedulerSettings({ ...SECRET, ...env });
  } catch (e) {
    expect(e).toBeInstanceOf(ConfigError);
    return (e as ConfigError).problems.join('\n');
  }
  throw new Error('expected a ConfigError');
};

describe('[Scheduler] configuration', () => {
  it('takes launcher ports from ProcessPortRange, below the kernel\'s ephemeral ports by default, and refuses a range upside down', () => {
    expect(loadSchedulerSettings({ ...SECRET, WHARF_DATA_DIR: '/tmp/x' }).scheduler.ProcessPortRange).toEqual([20_000, 29_999]);
    expect(loadSchedulerSettings({ ...SECRET, WHARF_DATA_DIR: '/tmp/x', WHARF_SCHEDULER_PROCESS_PORT_RANGE: '[40000, 40100]' }).scheduler.ProcessPortRange).toEqual([40_000, 40_100]);
    expect(problems({ WHARF_SCHEDULER_PROCESS_PORT_RANGE: '[30000, 20000]' })).toMatch(/ProcessPortRange.*the first port must not be above the last/);
    expect(problems({ WHARF_SCHEDULER_PROCESS_PORT_RANGE: '[80, 90]' })).toMatch(/ProcessPortRange/);
  });

  it('has working defaults', () => {
    const s = loadSchedulerSettings({ ...SECRET, WHARF_DATA_DIR: '/tmp/x' });
    expect(s.scheduler).toMatchObject({
      Port: 8083,
      Driver: 'process',
      AppsDomain: 'apps.localhost',
      MaxInstancesFullAccess: 10,
      MaxInstancesVisitor: 5,
      internalUrl: 'http://127.0.0.1:8083',
      repositoryUrl: 'http://127.0.0.1:8082',
      dataDir: '/tmp/x',
    });
    expect(s.scheduler.RuntimeVersions).toEqual([{ Name: 'python-3.11', Image: 'wharf/python:3.11', Default: true, State: 'ACTIVE', StateReason: '' }]);
    expect(s.scheduler.launcherPath).toMatch(/apps\/launcher\/dist\/main\.js$/);
  });

  it('takes PUBLIC instances from the one platform key, or from its own', () => {
    expect(loadSchedulerSettings(SECRET).scheduler.AllowPublicInstances).toBe(false);
    expect(loadSchedulerSettings({ ...SECRET, WHARF_PLATFORM_ALLOW_PUBLIC: 'true' }).scheduler.AllowPublicInstances).toBe(true);
    expect(loadSchedulerSettings({ ...SECRET, WHARF_SCHEDULER_ALLOW_PUBLIC_INSTANCES: 'true' }).scheduler.AllowPublicInstances).toBe(true);
    // the router and the repository read the same key
    const secret = SECRET.WHARF_PLATFORM_INTERNAL_SECRET;
    const env = { WHARF_PLATFORM_INTERNAL_SECRET: secret, WHARF_PLATFORM_ALLOW_PUBLIC: 'true' };
    expect(loadRouterSettings(env).router.AllowPublic).toBe(true);
    expect(loadRouterSettings({ WHARF_PLATFORM_INTERNAL_SECRET: secret }).router.AllowPublic).toBe(false);
    expect(loadRepositorySettings({ ...env, WHARF_REPOSITORY_DATABASE_URL: 'postgresql://x/y' }).repository.AllowPublic).toBe(true);
  });

  it('takes runtimes from env as TOML and checks them at boot, naming the key', () => {
    const two = '[{Name="a",Image="wharf/a:1",Default=true},{Name="b",Image="quay.io/x/b:1",Default=true}]';
    const text = problems({ WHARF_SCHEDULER_RUNTIME_VERSIONS: two });
    expect(text).toMatch(/Scheduler\.RuntimeVersions .*exactly one runtime version must have Default = true \(found 2: a, b\)/);
    expect(text).toMatch(/Scheduler\.RuntimeVersions\.1\.Image .*quay\.io\/x\/b:1 is not from an allowed registry \(AllowedRegistries: docker\.io\)/);
    const disabled = '[{Name="a",Image="wharf/a:1",Default=true,State="DISABLED"}]';
    expect(problems({ WHARF_SCHEDULER_RUNTIME_VERSIONS: disabled })).toMatch(/RuntimeVersions\.0\.State .*cannot be DISABLED/);
    expect(problems({ WHARF_SCHEDULER_RUNTIME_VERSIONS: '[]' })).toMatch(/at least one runtime version/);
  });

  it('accepts registries from the allowlist and checks memory settings', () => {
    const ok = loadSchedulerSettings({
      ...SECRET,
      WHARF_SCHEDULER_ALLOWED_REGISTRIES: '["quay.io/x"]',
      WHARF_SCHEDULER_RUNTIME_VERSIONS: '[{Name="b",Image="quay.io/x/b:1",Default=true}]',
    });
    expect(ok.scheduler.RuntimeVersions[0]!.Name).toBe('b');
    expect(problems({ WHARF_SCHEDULER_DEFAULT_MEMORY_LIMIT: '8Gi' })).toMatch(/DefaultMemoryLimit.*must not exceed MaxMemoryLimit/);
    expect(problems({ WHARF_SCHEDULER_MAX_MEMORY_LIMIT: 'lots' })).toMatch(/MaxMemoryLimit.*quantity/);
  });
});
