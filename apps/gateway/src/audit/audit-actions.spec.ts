import { describeAction, safeDetails } from './audit-actions';

describe('audit actions', () => {
  it.each([
    ['POST', '/api/v1/bundles', {}, 'app.import', null],
    ['PATCH', '/api/v1/apps/:id', { id: 'hello@1.0.0' }, 'app.visibility', 'hello@1.0.0'],
    ['DELETE', '/api/v1/apps/:id', { id: 'a1' }, 'app.delete', 'a1'],
    ['PUT', '/api/v1/apps/:name/owner', { name: 'hello' }, 'app.owner', 'hello'],
    ['DELETE', '/api/v1/tokens/:id', { id: 'tok_1' }, 'token.revoke', 'tok_1'],
    ['DELETE', '/api/v1/instances/:id', { id: 'i1' }, 'instance.terminate', 'i1'],
    ['POST', '/api/v1/instances/:id/upgrade', { id: 'i1' }, 'instance.upgrade', 'i1'],
    ['PUT', '/api/v1/secrets/:name', { name: 'db' }, 'secret.change', 'db'],
    ['DELETE', '/api/v1/secrets/:name', { name: 'db' }, 'secret.delete', 'db'],
    ['GET', '/api/v1/audit', {}, 'audit.read', null],
    ['POST', '/api/v1/instances/:id/shares', { id: 'i1' }, 'share.create', 'i1'],
    ['DELETE', '/api/v1/instances/:id/shares/:shareId', { id: 'i1', shareId: 'sh_1' }, 'share.revoke', 'sh_1'],
  ])('%s %s → %s', (method, route, params, action, target) => {
    const a = describeAction(method, route, params as Record<string, string>);
    expect(a.action).toBe(action);
    expect(a.targetValue).toBe(target);
  });

  it('keeps only known, non-secret request fields and redacts token-looking strings', () => {
    const d = safeDetails({
      name: 'laptop wharf_pat_abcdefghijklmnopqrstuvwxyz0123456789ABCD',
      roles: ['admin'],
      value: 'super-secret',
      password: 'x',
      token: 'wharf_pat_xyz',
      nested: { a: 1 },
      visibility: 'ALL_USERS',
    });
    expect(d).toEqual({ name: 'laptop [redacted]', roles: ['admin'], visibility: 'ALL_USERS' });
    expect(JSON.stringify(safeDetails({ note: 'eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.c2ln', secretValue: 'v', tokenId: 'tok_1' }, null))).toBe(
      '{"note":"[redacted]","tokenId":"tok_1"}',
    );
    // a share link's secret, in a path or anywhere else
    expect(safeDetails({ path: `/share/wsh_${'a'.repeat(43)}`, expiresIn: '24h', oneTime: true }, null)).toEqual({ path: '/share/[redacted]', expiresIn: '24h', oneTime: true });
  });
});
