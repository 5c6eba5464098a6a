import { versionKey } from './version-key';

describe('versionKey', () => {
  it('orders versions newest first when sorted descending (C collation)', () => {
    const versions = ['1.0.0', '1.10.0', '1.2.0', '2.0.0-rc.1', '2.0.0', '0.9.9', '1.0.0-alpha', '10.0.0'];
    const sorted = [...versions].sort((a, b) => (versionKey(a) < versionKey(b) ? 1 : -1));
    expect(sorted).toEqual(['10.0.0', '2.0.0', '2.0.0-rc.1', '1.10.0', '1.2.0', '1.0.0', '1.0.0-alpha', '0.9.9']);
  });
  it('refuses non-semver', () => {
    expect(() => versionKey('1.0')).toThrow(/semver/);
  });
});
