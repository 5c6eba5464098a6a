import { outgoingPath } from './forward-request';

describe('outgoingPath: the path sent upstream, as http-proxy sent it (urlJoin of the legacy-parsed path)', () => {
  // expected values: http-proxy 1.18.1's `urlJoin('', url.parse(path).path)` for each path
  it.each([
    ['/small', '/small'],
    ['/', '/'],
    ['/a/b?c=d', '/a/b?c=d'],
    ['/a//b', '/a/b'],
    ['//x', '/x'],
    ['/a//b?next=//evil', '/a/b?next=//evil'],
    ['/x{y}', '/x{y}'],
    ['/a|b', '/a|b'],
    ['/a^b', '/a^b'],
    ['/a%20b', '/a%20b'],
    ['/p#frag', '/p'],
    ['/redirect/http:/x', '/redirect/http://x'],
    ['/a/http://b', '/a/http://b'],
    ['/q?u=http://x', '/q?u=http://x'],
    ['/a\\b', '/a/b'],
    ['/api/v1/x:y', '/api/v1/x:y'],
    ['/a%2F%2Fb', '/a%2F%2Fb'],
  ])('%s → %s', (path, expected) => {
    expect(outgoingPath(path)).toBe(expected);
  });
});
