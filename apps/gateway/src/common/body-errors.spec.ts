import express from 'express';
import { clearBodyErrors, httpStatusOf, toWire } from '@wharf/nats';

/** What Express's JSON body parser throws, taken from the parser itself. */
async function parserError(body: string, limit = '1kb'): Promise<unknown> {
  const parse = express.json({ limit });
  const { Readable } = await import('node:stream');
  const req = Object.assign(Readable.from([Buffer.from(body)]), {
    headers: { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(body)) },
    method: 'POST',
    url: '/',
  });
  return new Promise((resolve) => parse(req as never, {} as never, (e?: unknown) => resolve(e)));
}

describe('the exception filter and the body parsers', () => {
  it('answers a body over the limit with 413 and what to do', async () => {
    const e = await parserError(`{"a":"${'x'.repeat(2000)}"}`);
    expect(httpStatusOf(e, toWire(e))).toBe(413);
    expect(toWire(e)).toEqual({ code: 'INVALID', message: 'the request body is larger than the 1024 bytes allowed here; send a smaller one' });
  });

  it('answers a body that is not JSON with 400 and what is wrong', async () => {
    const e = await parserError('{"a": ');
    expect(httpStatusOf(e, toWire(e))).toBe(400);
    expect(toWire(e).message).toMatch(/^the request body is not valid JSON \(.+\); send a JSON object$/);
  });

  it('hands on a body that is not JSON as a clear INVALID error, before Nest can make it a bare 400; anything else as it was', async () => {
    const e = await parserError('{"a": ');
    const passed: unknown[] = [];
    clearBodyErrors(e, {}, {}, (x) => passed.push(x));
    expect(passed[0]).not.toBeInstanceOf(SyntaxError); // what Nest would turn into BadRequestException(e.message)
    expect(toWire(passed[0])).toEqual({ code: 'INVALID', message: expect.stringMatching(/^the request body is not valid JSON \(.+\); send a JSON object$/) });
    const big = await parserError(`{"a":"${'x'.repeat(2000)}"}`);
    clearBodyErrors(big, {}, {}, (x) => passed.push(x));
    expect(passed[1]).toBe(big);
  });

  it('keeps anything else an internal error that tells nothing', () => {
    const e = Object.assign(new Error('db password is hunter2'), { status: 500 });
    expect(toWire(e)).toEqual({ code: 'INTERNAL', message: 'internal error' });
    expect(httpStatusOf(e, toWire(e))).toBe(500);
  });
});
