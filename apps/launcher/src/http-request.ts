import type { IncomingMessage, OutgoingHttpHeaders, RequestOptions } from 'node:http';

/**
 * One HTTP(S) request with node's own client. Not `fetch`: its first call loads undici, about
 * 60 ms of CPU that every instance start would pay twice (bundle download, status report).
 * Resolves with the response head (the body is the caller's to read or drain); rejects on
 * connection errors and when no response head arrives within `timeoutMs`.
 */
export function httpRequest(
  url: string,
  opts: { method?: string; headers?: OutgoingHttpHeaders; body?: string; timeoutMs: number },
): Promise<IncomingMessage> {
  const target = new URL(url);
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const client = target.protocol === 'https:' ? (require('node:https') as typeof import('node:https')) : (require('node:http') as typeof import('node:http'));
  const headers: OutgoingHttpHeaders = { ...opts.headers };
  if (opts.body !== undefined) headers['content-length'] = Buffer.byteLength(opts.body);
  const options: RequestOptions = { method: opts.method ?? 'GET', headers };
  return new Promise((resolve, reject) => {
    const req = client.request(target, options, (res) => {
      clearTimeout(timer);
      resolve(res);
    });
    const timer = setTimeout(() => req.destroy(new Error(`no answer from ${target.host} within ${opts.timeoutMs} ms`)), opts.timeoutMs);
    req.once('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    req.end(opts.body);
  });
}

/** The first `max` characters of a response body (for error messages); drains the rest. */
export function readSome(res: IncomingMessage, max = 300): Promise<string> {
  return new Promise((resolve) => {
    let text = '';
    res.setEncoding('utf8');
    res.on('data', (c: string) => {
      if (text.length < max) text += c;
    });
    res.once('end', () => resolve(text.slice(0, max)));
    res.once('error', () => resolve(text.slice(0, max)));
  });
}
