import { hideSecretRefs, type AppVersion, type Caller } from './index';

const owner: Caller = { sub: 'u-author', name: 'author', roles: ['full-access'] };
const runner: Caller = { sub: 'u-runner', name: 'runner', roles: ['full-access'] };
const version = {
  owner: { sub: owner.sub, name: owner.name },
  env: [
    { name: 'GREETING', value: 'hi' },
    { name: 'DB', secret: 'platform-db', secretKey: 'password' },
    { name: 'THEIRS', secret: 'u-author/api', secretKey: 'token' },
    { name: 'MINE', secret: '~/openai', secretKey: 'API_KEY' },
  ],
  files: [
    { path: '/etc/a.key', secret: 'platform-db', secretKey: 'key' },
    { path: '/etc/mine.key', secret: '~/tls', secretKey: 'key' },
  ],
} as unknown as AppVersion;

describe('hideSecretRefs', () => {
  it("hides which platform and named users' secrets a version reads from all but its owner and admins", () => {
    expect(hideSecretRefs(owner, version)).toBe(version);
    const seen = hideSecretRefs(runner, version);
    expect(seen.env).toEqual([
      { name: 'GREETING', value: 'hi' },
      { name: 'DB', secret: null, secretKey: null },
      { name: 'THEIRS', secret: null, secretKey: null },
      // the runner's own secret: whoever runs it should know the app reads it
      { name: 'MINE', secret: '~/openai', secretKey: 'API_KEY' },
    ]);
    expect(seen.files).toEqual([
      { path: '/etc/a.key', secret: null, secretKey: null },
      { path: '/etc/mine.key', secret: '~/tls', secretKey: 'key' },
    ]);
    expect(hideSecretRefs(null, version).env[3]).toEqual({ name: 'MINE', secret: '~/openai', secretKey: 'API_KEY' });
  });
});
