import { safeInstancePath } from '@wharf/contracts';
import { safeNext } from './safe-redirect';

const gw = 'https://wharf.example.com';

describe('safeNext (no open redirects)', () => {
  it.each([
    ['/apps?x=1#y', '/apps?x=1#y'],
    ['/api/v1/me', '/api/v1/me'],
    ['https://wharf.example.com/tokens', '/tokens'],
  ])('keeps %s', (input, out) => expect(safeNext(input, gw)).toBe(out));

  it.each([
    'https://evil.example/',
    'http://wharf.example.com/', // other scheme = other origin
    '//evil.example/x',
    '/\\evil.example',
    '\\\\evil.example',
    '/%0d%0aSet-Cookie:x',
    'javascript:alert(1)',
    'relative/path',
    'https://wharf.example.com.evil.example/',
    'https://user@evil.example',
    '/\t/evil.example',
    '',
    undefined,
    ['/a'],
  ])('refuses %p', (input) => {
    const out = safeNext(input, gw);
    expect(out.startsWith('/')).toBe(true);
    expect(out.startsWith('//')).toBe(false);
    expect(out === '/' || out === '/%0d%0aSet-Cookie:x').toBe(true);
  });
});

describe('instance hosts and paths', () => {
  // instance hosts for tickets: tickets/ticket-host.spec.ts
  it('keeps relative instance paths only', () => {
    expect(safeInstancePath('/notebook?a=1')).toBe('/notebook?a=1');
    expect(safeInstancePath('//evil')).toBe('/');
    expect(safeInstancePath('https://evil')).toBe('/');
  });
});
