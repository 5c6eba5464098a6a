import { createReadStream, statSync } from 'node:fs';
import { Readable } from 'node:stream';
import type { Schemas } from '@wharf/api';
import { failure, unreachable, VERSION } from '../client';
import type { Ctx } from '../context';
import { CliError } from '../errors';

type AppVersion = Schemas['AppVersion'];

/** Ctrl-C: the command stopped on the user's request (exit code 130, as a shell reports SIGINT). */
export class Interrupted extends CliError {
  constructor(message: string) {
    super(message);
    Object.defineProperty(this, 'exitCode', { value: 130 });
    this.name = 'Interrupted';
  }
}

/**
 * Runs `work` with an AbortSignal that Ctrl-C fires (while it runs, Ctrl-C does not end the
 * process: the work ends itself and cleans up). An abort becomes an Interrupted error.
 */
export async function abortableOnSigint<T>(what: string, work: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const ac = new AbortController();
  const onSigint = () => ac.abort(new Interrupted(`${what} cancelled (Ctrl-C)`));
  process.on('SIGINT', onSigint);
  try {
    return await work(ac.signal);
  } catch (e) {
    if (ac.signal.aborted) throw e instanceof Interrupted ? e : (ac.signal.reason as Interrupted);
    throw e;
  } finally {
    process.off('SIGINT', onSigint);
  }
}

/**
 * Uploads a bundle zip to `POST /api/v1/bundles` as the raw body (streamed from the file, never
 * whole in memory), with a progress bar of the bytes sent. Aborting `signal` cuts the request: the
 * gateway then aborts the import, which removes the blob and the staged file and writes no version.
 */
export async function uploadBundle(ctx: Ctx, file: string, signal: AbortSignal): Promise<AppVersion> {
  const c = ctx.connect();
  const { url, token } = c.target;
  const size = statSync(file).size;
  const progress = ctx.term.progress('Uploading', size);
  let sent = 0;
  const counted = Readable.from(
    (async function* () {
      for await (const chunk of createReadStream(file, { highWaterMark: 256 * 1024 })) {
        sent += (chunk as Buffer).length;
        progress.update(sent);
        yield chunk as Buffer;
      }
    })(),
  );
  let res: Response;
  try {
    res = await fetch(`${url}/api/v1/bundles`, {
      method: 'POST',
      headers: {
        'Content-Type': 'application/zip',
        'Content-Length': String(size),
        'User-Agent': `wharf-cli/${VERSION} (node ${process.versions.node}; ${process.platform})`,
        ...(token ? { Authorization: `Bearer ${token}` } : {}),
      },
      body: Readable.toWeb(counted) as ReadableStream<Uint8Array>,
      duplex: 'half',
      signal,
    } as RequestInit & { duplex: 'half' });
  } catch (e) {
    progress.stop();
    if (signal.aborted && sent >= size) {
      // every byte had left: the platform may still finish this import
      throw new Interrupted(`upload cancelled (Ctrl-C) after all ${size} bytes were sent: the platform may still import it; look with \`wharf app list --all-versions\``);
    }
    if (signal.aborted) throw new Interrupted(`upload cancelled (Ctrl-C) after ${sent} of ${size} bytes: the platform discards a partial upload, nothing was imported`);
    throw unreachable(e, url);
  }
  progress.stop();
  const text = await res.text();
  let body: unknown = null;
  try {
    body = text ? JSON.parse(text) : null;
  } catch {
    body = { error: { message: text.slice(0, 500) } };
  }
  if (!res.ok) {
    if (res.status === 400) throw failure(400, rewordInvalid(body), url);
    throw failure(res.status, body, url);
  }
  return body as AppVersion;
}

/** The server's INVALID answer with its title kept short: the problems are listed after it. */
function rewordInvalid(body: unknown): unknown {
  const e = (body as { error?: { message?: string; details?: { problems?: unknown } } } | null)?.error;
  if (!e || !Array.isArray(e.details?.problems) || !e.message) return body;
  return { error: { ...e, message: `the platform refused the bundle (${e.message.split(':')[0]})` } };
}

/** The page of an app version in the web UI. */
export const versionPage = (baseUrl: string, v: Pick<AppVersion, 'id'>) => `${baseUrl}/apps/${encodeURIComponent(v.id)}`;
