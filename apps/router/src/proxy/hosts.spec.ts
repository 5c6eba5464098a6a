import { safeInstancePath } from '@wharf/contracts';
import { headerSafe, instanceIdOf } from './hosts';

describe('hosts', () => {
  it('maps instance hosts to ids, other hosts to null, impossible ids to ""', () => {
    expect(instanceIdOf('abcdefghij.apps.localhost:8081', 'apps.localhost')).toBe('abcdefghij');
    expect(instanceIdOf('ABCDEFGHIJ.Apps.Localhost', 'apps.localhost')).toBe('abcdefghij');
    expect(instanceIdOf('127.0.0.1:8081', 'apps.localhost')).toBeNull();
    expect(instanceIdOf('apps.localhost:8081', 'apps.localhost')).toBeNull();
    expect(instanceIdOf('evilapps.localhost', 'apps.localhost')).toBeNull();
    expect(instanceIdOf('a.b.apps.localhost', 'apps.localhost')).toBe('');
    expect(instanceIdOf('1bcdefghij.apps.localhost', 'apps.localhost')).toBe('');
  });

  it('returns only to same-host paths', () => {
    expect(safeInstancePath('/a?b=1')).toBe('/a?b=1');
    for (const bad of [null, '', 'http://evil', '//evil', '/\\evil', '/a\r\nSet-Cookie: x']) expect(safeInstancePath(bad)).toBe('/');
  });

  it('keeps header values Latin-1 safe', () => {
    expect(headerSafe('alice')).toBe('alice');
    expect(headerSafe('李')).toBe('%E6%9D%8E');
  });
});
