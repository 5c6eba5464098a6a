import { closeSync, fstatSync, mkdirSync, openSync, renameSync, writeSync } from 'node:fs';
import path from 'node:path';

/**
 * A bounded log: `current.log` grows to `maxBytes`, then becomes `previous.log` (replacing the
 * older one) and a new `current.log` starts. At most 2 × maxBytes on disk, the newest lines
 * always kept. The scheduler reads the same two files (previous, then current) for tails and follows.
 */
export const CURRENT_LOG = 'current.log';
export const PREVIOUS_LOG = 'previous.log';

export interface LogSink {
  write(text: string): void;
  close(): void;
}

export class RingLog implements LogSink {
  private fd: number;
  private size: number;

  constructor(
    private readonly dir: string,
    private readonly maxBytes: number,
  ) {
    mkdirSync(dir, { recursive: true });
    this.fd = openSync(path.join(dir, CURRENT_LOG), 'a', 0o600);
    this.size = fstatSync(this.fd).size;
  }

  write(text: string): void {
    const data = Buffer.from(text, 'utf8');
    if (this.size > 0 && this.size + data.length > this.maxBytes) this.rotate();
    // A single chunk bigger than the whole ring keeps only its end.
    const chunk = data.length > this.maxBytes ? data.subarray(data.length - this.maxBytes) : data;
    writeSync(this.fd, chunk);
    this.size += chunk.length;
  }

  private rotate(): void {
    closeSync(this.fd);
    renameSync(path.join(this.dir, CURRENT_LOG), path.join(this.dir, PREVIOUS_LOG));
    this.fd = openSync(path.join(this.dir, CURRENT_LOG), 'a', 0o600);
    this.size = 0;
  }

  close(): void {
    try {
      closeSync(this.fd);
    } catch {
      /* already closed */
    }
  }
}

/** Kubernetes: container logs are stdout. */
export class StdoutLog implements LogSink {
  write(text: string): void {
    process.stdout.write(text);
  }
  close(): void {}
}

/**
 * Splits a byte stream into whole lines before they reach the sink, so that interleaved
 * stdout and stderr never mix half lines; remembers the last lines for failure reasons.
 */
export class LineLog {
  private readonly recent: string[] = [];
  private readonly partial = new Map<string, string>();

  constructor(
    private readonly sink: LogSink,
    private readonly keep = 40,
    private readonly onLine?: (line: string) => void,
  ) {}

  /** A launcher message, prefixed so users tell it from the app's output. */
  info(message: string): void {
    this.line(`[wharf] ${message}`);
  }

  chunk(stream: string, data: Buffer | string): void {
    const text = (this.partial.get(stream) ?? '') + data.toString();
    const lines = text.split('\n');
    this.partial.set(stream, lines.pop() ?? '');
    for (const l of lines) this.line(l.replace(/\r$/, ''));
  }

  flush(stream: string): void {
    const rest = this.partial.get(stream);
    if (rest) this.line(rest);
    this.partial.delete(stream);
  }

  private line(l: string): void {
    this.sink.write(`${l}\n`);
    this.recent.push(l);
    if (this.recent.length > this.keep) this.recent.shift();
    this.onLine?.(l);
  }

  lastLines(n = 20): string[] {
    return this.recent.slice(-n);
  }
}
