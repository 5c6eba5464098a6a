import { createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { rm } from 'node:fs/promises';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { INTERNAL_TOKEN_HEADER } from '@wharf/contracts/wire';
import { httpRequest, readSome } from './http-request';

export class FetchError extends Error {}

/**
 * Streams the bundle to `dest` (never whole in memory), hashing on the way, and refuses it unless
 * its sha256 is the one the scheduler promised. Retries connection failures and 5xx a few times
 * (the repository may be restarting); 4xx are final.
 */
export async function fetchBundle(opts: {
  url: string;
  token: string;
  sha256: string;
  dest: string;
  attempts?: number;
  log: (m: string) => void;
}): Promise<{ bytes: number }> {
  const attempts = opts.attempts ?? 5;
  for (let attempt = 1; ; attempt++) {
    try {
      return await fetchOnce(opts);
    } catch (e) {
      await rm(opts.dest, { force: true });
      const retryable = !(e instanceof FetchError);
      if (!retryable || attempt >= attempts) throw e instanceof Error ? e : new Error(String(e));
      const wait = 500 * 2 ** (attempt - 1);
      opts.log(`download failed (${(e as Error).message}); retrying in ${wait} ms`);
      await new Promise((r) => setTimeout(r, wait));
    }
  }
}

class RetryableError extends Error {}

async function fetchOnce(opts: { url: string; token: string; sha256: string; dest: string }): Promise<{ bytes: number }> {
  const res = await httpRequest(opts.url, { headers: { [INTERNAL_TOKEN_HEADER]: opts.token }, timeoutMs: 30_000 });
  const status = res.statusCode ?? 0;
  if (status < 200 || status >= 300) {
    const text = await readSome(res);
    const message = `GET ${opts.url} answered HTTP ${status}${text ? `: ${text}` : ''}`;
    if (status >= 500) throw new RetryableError(message);
    throw new FetchError(message);
  }
  const hash = createHash('sha256');
  let bytes = 0;
  const counter = new Transform({
    transform(chunk: Buffer, _enc, done) {
      hash.update(chunk);
      bytes += chunk.length;
      done(null, chunk);
    },
  });
  // A stalled download fails after two minutes without data instead of hanging the launch.
  res.setTimeout(120_000, () => res.destroy(new Error('the download stalled: no data for 120 s')));
  await pipeline(res, counter, createWriteStream(opts.dest, { mode: 0o600 }));
  const got = hash.digest('hex');
  if (got !== opts.sha256) {
    throw new FetchError(`the bundle's sha256 is ${got}, expected ${opts.sha256}; refusing to run it`);
  }
  return { bytes };
}
