import type { Request, Response } from 'express';
import { nulPath, refuseNul } from './refuse-nul';

const run = (url: string, body?: unknown) => {
  let passed: unknown = 'not called';
  refuseNul({ originalUrl: url, url, body } as Request, {} as Response, (e?: unknown) => (passed = e));
  return passed as { code?: string; message?: string; details?: unknown } | undefined;
};

describe('refuseNul', () => {
  it('lets ordinary requests through', () => {
    expect(run('/api/v1/apps/hello?limit=5', { name: 'ok', list: ['a', { b: 'c' }] })).toBeUndefined();
  });

  it('refuses a NUL in the path or query, encoded or not, with what to do', () => {
    for (const url of ['/api/v1/apps/a%00b', '/api/v1/apps?q=x%00', '/api/v1/apps/a\u0000b']) {
      expect(run(url)).toMatchObject({ code: 'INVALID', message: expect.stringMatching(/NUL character.*remove it/) });
    }
  });

  it('names where in the body the NUL is, keys included', () => {
    expect(run('/x', { data: { k: ['ok', 'b\u0000d'] } })).toMatchObject({ code: 'INVALID', details: { path: 'data.k[1]' } });
    expect(nulPath({ 'a\u0000': 1 })).toBe('a\u0000');
    expect(nulPath('\u0000')).toBe('(the body)');
    expect(nulPath({ a: 1, b: null, c: [true] })).toBeNull();
  });

  it('refuses a body nested deeper than any API needs, without exhausting the stack', () => {
    const deep = JSON.parse(`${'['.repeat(20000)}${']'.repeat(20000)}`) as unknown;
    expect(run('/x', deep)).toMatchObject({ code: 'INVALID', message: expect.stringMatching(/nested more than 64 levels deep .*send a flatter one/) });
    let ok: unknown = 'leaf';
    for (let i = 0; i < 63; i++) ok = { a: ok };
    expect(run('/x', ok)).toBeUndefined();
  });
});
