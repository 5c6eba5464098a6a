import { Readable } from 'node:stream';

/** Byte `i` of every generated stream: deterministic, so a test can check what arrived. */
export const generatedByte = (i: number): number => i % 251;

/**
 * `n` deterministic bytes (`generatedByte`) made chunk by chunk, never held whole; errors after
 * `failAt` bytes when asked (`failWith`: the error, or 'destroy' for a destroy without one).
 */
export function generatedStream(
  n: number,
  opts: { chunkSize?: number; failAt?: number; failWith?: Error | 'destroy' } = {},
): Readable {
  const chunkSize = opts.chunkSize ?? 64 * 1024;
  let sent = 0;
  return new Readable({
    highWaterMark: chunkSize,
    read() {
      if (opts.failAt !== undefined && sent >= opts.failAt) {
        if (opts.failWith === 'destroy') this.destroy();
        else this.destroy(opts.failWith ?? new Error('the source went away'));
        return;
      }
      if (sent >= n) {
        this.push(null);
        return;
      }
      const len = Math.min(chunkSize, n - sent);
      const chunk = Buffer.alloc(len);
      for (let i = 0; i < len; i++) chunk[i] = generatedByte(sent + i);
      sent += len;
      this.push(chunk);
    },
  });
}
