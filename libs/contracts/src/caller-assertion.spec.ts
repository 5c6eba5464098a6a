import { signCallerAssertion, verifyCallerAssertion } from './caller-assertion';
import { signInternalToken } from './internal-token';

describe('caller assertions of NATS requests', () => {
  const secret = 'test-internal-secret-0123456789';
  const admin = { sub: 'root', name: 'Root', roles: ['admin' as const] };
  const alice = { sub: 'alice', name: 'Alice', roles: ['full-access' as const] };
  const subject = 'scheduler.instance.get.v1';
  const body = { id: 'i-1', nested: { a: [1, 'x', null] } };
  // what travels: JSON, parsed again on the other side
  const wire = <T>(v: T): T => JSON.parse(JSON.stringify(v)) as T;

  it('verifies what was signed, after a JSON round trip', () => {
    const a = signCallerAssertion(secret, subject, alice, body);
    expect(verifyCallerAssertion(secret, subject, wire(alice), wire(body), a)).toBe(true);
    expect(verifyCallerAssertion(secret, subject, null, {}, signCallerAssertion(secret, subject, null, {}))).toBe(true);
  });

  it('refuses a missing, malformed or forged assertion', () => {
    expect(verifyCallerAssertion(secret, subject, admin, body, undefined)).toBe(false);
    expect(verifyCallerAssertion(secret, subject, admin, body, 42)).toBe(false);
    expect(verifyCallerAssertion(secret, subject, admin, body, 'x.y')).toBe(false);
    expect(verifyCallerAssertion(secret, subject, admin, body, signCallerAssertion('another-secret-0123456789', subject, admin, body))).toBe(false);
    // a token of the internal HTTP ports is not an assertion
    expect(verifyCallerAssertion(secret, subject, admin, body, signInternalToken(secret, admin, subject))).toBe(false);
  });

  it('refuses another subject, another caller or another body', () => {
    const a = signCallerAssertion(secret, subject, alice, body);
    expect(verifyCallerAssertion(secret, 'scheduler.instance.terminate.v1', alice, body, a)).toBe(false);
    expect(verifyCallerAssertion(secret, subject, admin, body, a)).toBe(false);
    expect(verifyCallerAssertion(secret, subject, null, body, a)).toBe(false);
    expect(verifyCallerAssertion(secret, subject, alice, { ...body, id: 'i-2' }, a)).toBe(false);
  });

  it('refuses an expired assertion', () => {
    const now = jest.spyOn(Date, 'now').mockReturnValue(1_000_000_000_000);
    const a = signCallerAssertion(secret, subject, alice, body, 30);
    now.mockReturnValue(1_000_000_000_000 + 29_000);
    expect(verifyCallerAssertion(secret, subject, alice, body, a)).toBe(true);
    now.mockReturnValue(1_000_000_000_000 + 31_000);
    expect(verifyCallerAssertion(secret, subject, alice, body, a)).toBe(false);
    now.mockRestore();
  });
});
