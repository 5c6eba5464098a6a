import { decodeCursor, encodeCursor } from './cursor';
import { WharfError } from './errors';

describe('cursor codec', () => {
  it('round-trips a sort key through an opaque base64url string', () => {
    const c = encodeCursor(['2026-01-01T00:00:00.000Z', 'abc']);
    expect(c).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(c).not.toContain('abc');
    expect(decodeCursor(c, 2)).toEqual(['2026-01-01T00:00:00.000Z', 'abc']);
    expect(decodeCursor(encodeCursor(['a name with "quotes" and ünïcode']), 1)).toEqual(['a name with "quotes" and ünïcode']);
  });

  it('answers null when there is no cursor (the first page)', () => {
    expect(decodeCursor(undefined, 1)).toBeNull();
    expect(decodeCursor(null, 1)).toBeNull();
    expect(decodeCursor('', 1)).toBeNull();
  });

  it.each([
    ['not base64url', 'a+b/c='],
    ['not JSON', Buffer.from('{oops').toString('base64url')],
    ['not an array', Buffer.from('"x"').toString('base64url')],
    ['too few fields', encodeCursor(['only'])],
    ['too many fields', encodeCursor(['a', 'b', 'c'])],
    ['not strings', Buffer.from('[1,2]').toString('base64url')],
    ['garbage', 'garbage'],
  ])('refuses a cursor that is %s with INVALID naming the parameter', (_, bad) => {
    const e = (() => {
      try {
        decodeCursor(bad, 2, 'after');
      } catch (x) {
        return x;
      }
      return null;
    })();
    expect(e).toBeInstanceOf(WharfError);
    expect(e).toMatchObject({ code: 'INVALID', message: 'after is not valid: pass the nextCursor of a previous page unchanged', details: { param: 'after' } });
  });

  it("names `cursor` by default, and a previous page's raw key is not a cursor", () => {
    expect(() => decodeCursor('tok_123', 1)).toThrow('cursor is not valid');
  });
});
