import type { paths } from '@wharf/api';
import createClient from 'openapi-fetch';
import type { Target } from './config';
import { CliError } from './errors';

export const VERSION = process.env.WHARF_CLI_VERSION ?? '0.0.0-dev';
const USER_AGENT = `wharf-cli/${VERSION} (node ${process.versions.node}; ${process.platform})`;

/** Methods that may be sent again after a network error or a 5xx: they change nothing twice. */
const IDEMPOTENT = new Set(['GET', 'HEAD', 'OPTIONS', 'PUT']);
/** Waits before the 2nd, 3rd and 4th try (each with up to 50 % jitter). */
export const RETRY_DELAYS_MS = [300, 1000, 3000];
const RETRY_ERRORS = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'EAI_AGAIN', 'ENOTFOUND', 'EHOSTUNREACH', 'UND_ERR_SOCKET', 'UND_ERR_CONNECT_TIMEOUT']);

/** The system error behind a failed fetch (undici wraps it in a TypeError's cause). */
export function networkCause(e: unknown): { code?: string; message: string } | null {
  if (!(e instanceof TypeError)) return null;
  const cause = (e as { cause?: { code?: string; message?: string; errors?: { code?: string }[] } }).cause;
  const code = cause?.code ?? cause?.errors?.[0]?.code;
  return { code, message: cause?.message || e.message };
}

const sleep = (ms: number, signal?: AbortSignal | null) =>
  new Promise<void>((resolve, reject) => {
    const t = setTimeout(resolve, ms);
    signal?.addEventListener('abort', () => (clearTimeout(t), reject(signal.reason)), { once: true });
  });

/**
 * fetch with retries for idempotent methods: network errors and 5xx answers (but 501) are tried
 * again after RETRY_DELAYS_MS; anything else is the answer. A 503 with Retry-After waits that long
 * (at most 10 s).
 */
export async function retryingFetch(request: Request, delays = RETRY_DELAYS_MS): Promise<Response> {
  const retry = IDEMPOTENT.has(request.method);
  for (let attempt = 0; ; attempt++) {
    const last = !retry || attempt >= delays.length;
    try {
      const res = await fetch(last ? request : request.clone());
      if (last || res.status < 500 || res.status === 501) return res;
      const after = Number(res.headers.get('retry-after'));
      await res.body?.cancel();
      await sleep(Number.isFinite(after) && after > 0 ? Math.min(after * 1000, 10_000) : jitter(delays[attempt]!), request.signal);
    } catch (e) {
      const cause = networkCause(e);
      if (last || !cause || (cause.code && !RETRY_ERRORS.has(cause.code))) throw e;
      await sleep(jitter(delays[attempt]!), request.signal);
    }
  }
}
const jitter = (ms: number) => ms * (1 + Math.random() * 0.5);

/** The API's error envelope: `{ error: { code, message, details } }`. */
interface ApiErrorBody {
  error?: { code?: string; message?: string; details?: unknown };
}

/** Field problems of an INVALID answer (`details.problems`), as "path: message" lines. */
export function problemsOf(details: unknown): string[] {
  const problems = (details as { problems?: unknown } | undefined)?.problems;
  if (!Array.isArray(problems)) return [];
  return problems
    .filter((p): p is { path?: unknown; message: string } => typeof p === 'object' && p !== null && typeof (p as { message?: unknown }).message === 'string')
    .map((p) => (typeof p.path === 'string' && p.path ? `${p.path}: ${p.message}` : p.message));
}

/** A failed answer as the sentence the user reads: the API's own message, and what to do about it. */
export function failure(status: number, body: unknown, url: string): CliError {
  const e = (body as ApiErrorBody | undefined)?.error;
  const said = e && typeof e.message === 'string' ? e.message : null;
  const details = e?.details as { limit?: unknown; retryAfter?: unknown } | undefined;
  switch (status) {
    case 401:
      return new CliError(`not signed in to ${url}${said ? ` (${said})` : ''}: your token is missing, expired or revoked; run \`wharf login\``);
    case 403:
      return new CliError(`not allowed: ${said ?? 'your role may not do this'}`);
    case 404:
      return new CliError(said ?? 'not found');
    case 409:
      return new CliError(`conflict: ${said ?? 'this conflicts with the current state'}`);
    case 429: {
      const limit = details && typeof details.limit === 'string' ? ` (limit: ${details.limit})` : '';
      return new CliError(`limit reached${limit}: ${said ?? 'too many requests; try again later'}`);
    }
    default: {
      const problems = problemsOf(e?.details);
      const head = said ?? `the request failed (HTTP ${status})`;
      return new CliError(problems.length ? `${head}\n${problems.map((p) => `  - ${p}`).join('\n')}` : status >= 500 ? `${url} failed: ${head}` : head);
    }
  }
}

/** A fetch that failed before any answer, as the sentence the user reads. */
export function unreachable(e: unknown, url: string): CliError {
  if (e instanceof DOMException && e.name === 'AbortError') return new CliError('cancelled');
  const cause = networkCause(e);
  if (!cause) return e instanceof CliError ? e : new CliError(e instanceof Error ? e.message : String(e));
  return new CliError(`Wharf at ${url} could not be reached (${cause.code ?? cause.message}): is it running, and is the URL right? (\`wharf config show\`)`);
}

export type Api = ReturnType<typeof createClient<paths>>;

/** The typed REST client of a target (its token as a Bearer token), and `call`, which turns its answers into data or a CliError. */
export function connect(target: Target) {
  const api = createClient<paths>({
    baseUrl: target.url,
    headers: { 'User-Agent': USER_AGENT, ...(target.token ? { Authorization: `Bearer ${target.token}` } : {}) },
    fetch: (request: Request) => retryingFetch(request),
  });
  async function call<T>(answer: Promise<{ data?: T; error?: unknown; response: Response }>): Promise<T> {
    let a: { data?: T; error?: unknown; response: Response };
    try {
      a = await answer;
    } catch (e) {
      throw unreachable(e, target.url);
    }
    if (a.response.ok) return a.data as T;
    throw failure(a.response.status, a.error, target.url);
  }
  return { api, call, target };
}
export type Connection = ReturnType<typeof connect>;
