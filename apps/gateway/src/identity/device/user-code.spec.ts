import { formatUserCode, generateUserCode, normalizeUserCode, USER_CODE_ALPHABET } from './user-code';

describe('device user codes', () => {
  it('are 8 characters of the unambiguous alphabet, shown as XXXX-XXXX', () => {
    const seen = new Set<string>();
    for (let i = 0; i < 500; i++) {
      const c = generateUserCode();
      expect(c).toMatch(/^[BCDFGHJKLMNPQRSTVWXZ]{8}$/);
      expect(formatUserCode(c)).toMatch(/^[A-Z]{4}-[A-Z]{4}$/);
      seen.add(c);
    }
    expect(seen.size).toBeGreaterThan(495);
    expect(USER_CODE_ALPHABET).not.toMatch(/[AEIOUY01]/);
  });

  it('normalise what people type', () => {
    expect(normalizeUserCode('bcdf-ghjk')).toBe('BCDFGHJK');
    expect(normalizeUserCode(' BCDF GHJK ')).toBe('BCDFGHJK');
    expect(normalizeUserCode('BCDF-GHJA')).toBeNull(); // vowel: never issued
    expect(normalizeUserCode('BCDF-GHJ')).toBeNull();
    expect(normalizeUserCode(12345678)).toBeNull();
  });
});
