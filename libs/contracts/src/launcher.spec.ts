import { launcherEnvRecord, parseLauncherExit, parseLauncherState } from './launcher';

describe('launcher state files', () => {
  it('reads launcher.json as the launcher writes it', () => {
    const written = { generation: 3, status: 'RUNNING', reason: null, pid: 123, at: '2026-01-01T00:00:00.000Z' };
    expect(parseLauncherState(JSON.parse(JSON.stringify(written)))).toEqual(written);
    expect(parseLauncherState({ generation: 3, status: 'FAILED', reason: 'boom' })).toEqual({ generation: 3, status: 'FAILED', reason: 'boom' });
  });

  it.each([
    ['not an object', 'RUNNING'],
    ['null', null],
    ['an unknown status', { generation: 1, status: 'SLEEPING', reason: null }],
    ['a fractional generation', { generation: 1.5, status: 'RUNNING', reason: null }],
    ['no reason at all', { generation: 1, status: 'RUNNING' }],
    ['a reason that is not text', { generation: 1, status: 'FAILED', reason: 42 }],
  ])('refuses a launcher.json with %s', (_, value) => {
    expect(parseLauncherState(value)).toBeNull();
  });

  it('reads exit.json, refuses what is not one', () => {
    expect(parseLauncherExit({ generation: -1, code: 2, reason: 'bad env', at: 'x' })).toEqual({ generation: -1, code: 2, reason: 'bad env', at: 'x' });
    expect(parseLauncherExit({ generation: 1, code: '0', reason: 'stopped' })).toBeNull();
    expect(parseLauncherExit({ generation: 1, code: 0 })).toBeNull();
    expect(parseLauncherExit([])).toBeNull();
  });
});

describe('launcherEnvRecord', () => {
  it('writes numbers in decimal, the app environment as JSON, leaves absent keys out and keeps empty ones', () => {
    const env = launcherEnvRecord({
      PORT: 8080,
      WHARF_INSTANCE_ID: 'i',
      WHARF_BUNDLE_URL: 'http://x',
      WHARF_BUNDLE_TOKEN: 't',
      WHARF_BUNDLE_SHA256: 'c'.repeat(64),
      WHARF_MODULE: 'app',
      WHARF_APP_ENV: { A: '1' },
      WHARF_PRLIMIT: '',
      WHARF_STATUS_URL: undefined,
    });
    expect(env).toEqual({
      PORT: '8080',
      WHARF_INSTANCE_ID: 'i',
      WHARF_BUNDLE_URL: 'http://x',
      WHARF_BUNDLE_TOKEN: 't',
      WHARF_BUNDLE_SHA256: 'c'.repeat(64),
      WHARF_MODULE: 'app',
      WHARF_APP_ENV: '{"A":"1"}',
      WHARF_PRLIMIT: '',
    });
  });
});
