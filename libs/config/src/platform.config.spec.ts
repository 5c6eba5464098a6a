import { ConfigError } from './load-config';
import { loadPlatformConfig, loadPlatformConfigWithoutSecret } from './platform.config';

const problems = (f: () => unknown): string => {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(ConfigError);
    return (e as ConfigError).problems.join('\n');
  }
  throw new Error('expected a ConfigError');
};

describe('[Platform] secrets and NATS credentials', () => {
  const SECRET = 'a-real-secret-0123456789abcdef';

  it('requires InternalSecret, naming the key and how to generate one', () => {
    const p = problems(() => loadPlatformConfig({}));
    expect(p).toMatch(/Platform\.InternalSecret \(env WHARF_PLATFORM_INTERNAL_SECRET\): required/);
    expect(p).toMatch(/openssl rand -hex 32/);
  });

  it.each(['wharf-dev-internal-secret-change-me', 'wharf-dev-client-secret-change-me'])('refuses the known default %s', (known) => {
    expect(problems(() => loadPlatformConfig({ WHARF_PLATFORM_INTERNAL_SECRET: known }))).toMatch(/InternalSecret.*publicly known default.*openssl rand -hex 32/);
  });

  it('refuses a short secret', () => {
    expect(problems(() => loadPlatformConfig({ WHARF_PLATFORM_INTERNAL_SECRET: 'short' }))).toMatch(/at least 16 characters/);
  });

  it('reads the NATS user and password, both or neither', () => {
    const open = loadPlatformConfig({ WHARF_PLATFORM_INTERNAL_SECRET: SECRET });
    expect([open.InternalSecret, open.NatsUser, open.NatsPassword]).toEqual([SECRET, undefined, undefined]);
    expect(loadPlatformConfig({ WHARF_PLATFORM_INTERNAL_SECRET: SECRET, WHARF_PLATFORM_NATS_USER: 'gateway', WHARF_PLATFORM_NATS_PASSWORD: 'pw' })).toMatchObject({
      NatsUser: 'gateway',
      NatsPassword: 'pw',
    });
    expect(problems(() => loadPlatformConfig({ WHARF_PLATFORM_INTERNAL_SECRET: SECRET, WHARF_PLATFORM_NATS_USER: 'gateway' }))).toMatch(/NatsPassword.*set both or neither/);
  });

  it('lets the embedded launcher read the data dir without a secret, still refusing a known one', () => {
    const c = loadPlatformConfigWithoutSecret({ WHARF_DATA_DIR: '/tmp/x' });
    expect([c.DataDir, c.InternalSecret]).toEqual(['/tmp/x', undefined]);
    expect(problems(() => loadPlatformConfigWithoutSecret({ WHARF_PLATFORM_INTERNAL_SECRET: 'wharf-dev-internal-secret-change-me' }))).toMatch(/publicly known/);
  });
});
