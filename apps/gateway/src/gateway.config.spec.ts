import { ConfigError } from '@wharf/config';
import { loadGatewaySettings } from './gateway.config';

describe('[Gateway] secrets', () => {
  const env = { WHARF_PLATFORM_INTERNAL_SECRET: 'gateway-spec-internal-secret-0123', WHARF_GATEWAY_DATABASE_URL: 'postgresql://x@127.0.0.1/x' };

  it('stops at boot on the dev provider\'s old default client secret, naming the key', () => {
    let problems = '';
    try {
      loadGatewaySettings({ ...env, WHARF_GATEWAY_OIDC_CLIENT_SECRET: 'wharf-dev-client-secret-change-me' });
    } catch (e) {
      expect(e).toBeInstanceOf(ConfigError);
      problems = (e as ConfigError).problems.join('\n');
    }
    expect(problems).toMatch(/Gateway\.OidcClientSecret \(from env WHARF_GATEWAY_OIDC_CLIENT_SECRET\): is a publicly known default/);
  });

  it('takes any other client secret', () => {
    expect(loadGatewaySettings({ ...env, WHARF_GATEWAY_OIDC_CLIENT_SECRET: 'from-my-provider' }).gateway.OidcClientSecret).toBe('from-my-provider');
  });
});

describe('[Gateway] WebDir', () => {
  const env = { WHARF_PLATFORM_INTERNAL_SECRET: 'gateway-spec-internal-secret-0123', WHARF_GATEWAY_DATABASE_URL: 'postgresql://x@127.0.0.1/x' };

  it('is unset by default (the monorepo build), and set by env WHARF_GATEWAY_WEB_DIR', () => {
    expect(loadGatewaySettings(env).gateway.WebDir).toBeUndefined();
    expect(loadGatewaySettings({ ...env, WHARF_GATEWAY_WEB_DIR: '/app/web' }).gateway.WebDir).toBe('/app/web');
  });

  it('refuses an empty folder, naming the key', () => {
    expect(() => loadGatewaySettings({ ...env, WHARF_GATEWAY_WEB_DIR: '' })).toThrow(/Gateway\.WebDir/);
  });
});
