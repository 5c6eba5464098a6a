import createClient from 'openapi-fetch';
import type { paths, Schemas } from '@wharf/api';

export type { Schemas };
// (the UI never shows `env` or `files`, whose shapes differ between the list's and the single version's answer)
export type AppVersion = Omit<Schemas['PublicAppVersion'], 'env' | 'files'>;
export type AppTag = AppVersion['tags'][number];
export type Category = AppVersion['categories'][number];
export type Visibility = AppVersion['visibility'];
export type Tag = Schemas['Tag'];
export type Instance = Schemas['Instance'];
export type Runtime = Schemas['RuntimeVersion'];
export type SessionInfo = Schemas['SessionInfo'];
export type SignedIn = Extract<SessionInfo, { authenticated: true }>;
export type ErrorCode = Schemas['ErrorCode'];

/** Every category an app may declare (app.toml `Categories`), in the API's order. */
export const CATEGORIES = [
  'All',
  'Data Science',
  'Financial Services',
  'Healthcare',
  'Insurance',
  'Manufacturing',
  'Marketing',
  'Retail',
  'Sales',
  'Telecommunications',
  'Other',
] as const satisfies readonly Category[];
// the list above is the API's whole enum: a category added to the API fails the type check here
const _allCategories: Exclude<Category, (typeof CATEGORIES)[number]> extends never ? true : never = true;
void _allCategories;

export const VISIBILITIES: { value: Visibility; label: string; hint: string }[] = [
  { value: 'PRIVATE', label: 'Private', hint: 'you and admins' },
  { value: 'ALL_USERS', label: 'All users', hint: 'every signed-in user' },
  { value: 'PUBLIC', label: 'Public', hint: 'anyone, signed in or not (when the platform allows it)' },
];

/** An answer of the API that is not a success: `{ error: { code, message, details } }`, or a status alone. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: ErrorCode | 'NETWORK',
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
    this.name = 'ApiError';
  }

  /** Field problems of an INVALID answer (`details.problems`), as "path: message" lines. */
  get problems(): string[] {
    const problems = (this.details as { problems?: unknown } | undefined)?.problems;
    if (!Array.isArray(problems)) return [];
    return problems
      .filter((p): p is { path?: unknown; message: string } => typeof p === 'object' && p !== null && typeof (p as { message?: unknown }).message === 'string')
      .map((p) => (typeof p.path === 'string' && p.path ? `${p.path}: ${p.message}` : p.message));
  }
}

const STATUS_TEXT: Record<number, string> = {
  400: 'The request was not accepted',
  401: 'You are not signed in',
  403: 'You may not do this',
  404: 'Not found',
  409: 'This conflicts with the current state',
  429: 'Too many requests or a limit reached; try again later',
  500: 'The server failed',
  502: 'The server could not be reached (bad gateway)',
  503: 'The service is unavailable right now',
  504: 'The server took too long to answer',
};

/** The ApiError of a failed answer: the API's own message when it sent one, else a sentence for its status. */
export function toApiError(status: number, body: unknown): ApiError {
  const e = (body as { error?: { code?: unknown; message?: unknown; details?: unknown } } | undefined)?.error;
  if (e && typeof e.code === 'string' && typeof e.message === 'string') return new ApiError(status, e.code as ErrorCode, e.message, e.details);
  return new ApiError(status, 'INTERNAL', `${STATUS_TEXT[status] ?? 'The request failed'} (HTTP ${status})`);
}

/** A readable sentence for anything a request may throw. */
export function errorMessage(e: unknown): string {
  if (e instanceof ApiError) return e.message;
  if (e instanceof TypeError) return 'Wharf could not be reached. Check your connection and try again.';
  return e instanceof Error ? e.message : String(e);
}

/** Browser navigation, in one place (tests watch it). */
export const browser = {
  assign(url: string): void {
    window.location.assign(url);
  },
  /** The path to come back to after signing in. */
  here(): string {
    return `${window.location.pathname}${window.location.search}${window.location.hash}`;
  },
};

/** Sends the browser through the gateway's sign-in, back to where it is now. */
export function signIn(): void {
  browser.assign(`/auth/login?next=${encodeURIComponent(browser.here())}`);
}

let csrfToken: string | null = null;
/** The session's CSRF token, sent as X-CSRF-Token with every change (GET /auth/session gives it). */
export function setCsrfToken(token: string | null): void {
  csrfToken = token;
}

const SAFE = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * The typed REST client: paths, parameters and bodies come from the gateway's OpenAPI document
 * (@wharf/api, generated from its OpenAPI document). Requests carry the session cookie; changes the CSRF token.
 */
export const api = createClient<paths>({
  baseUrl: typeof window === 'undefined' ? '' : window.location.origin,
  credentials: 'same-origin',
  // resolved at each call, so that tests can stand in for the network
  fetch: (request: Request) => globalThis.fetch(request),
});
api.use({
  onRequest({ request }) {
    if (!SAFE.has(request.method) && csrfToken) request.headers.set('X-CSRF-Token', csrfToken);
    return request;
  },
});

type Answer<T> = { data?: T; error?: unknown; response: Response };

/**
 * The data of a successful answer, or an ApiError. A 401 means the session ended (expired, or
 * signed out elsewhere): the browser goes through sign-in and comes back here.
 */
export async function unwrap<T>(call: Promise<Answer<T>>, opts: { signInOn401?: boolean } = {}): Promise<T> {
  let answer: Answer<T>;
  try {
    answer = await call;
  } catch (e) {
    throw new ApiError(0, 'NETWORK', errorMessage(e instanceof TypeError ? e : new TypeError(String(e))));
  }
  const { data, error, response } = answer;
  if (response.ok) return data as T;
  if (response.status === 401 && opts.signInOn401 !== false) signIn();
  throw toApiError(response.status, error);
}

/** Where the API serves an app version's images and bundle (plain links: the browser sends the cookie). */
export const links = {
  icon: (v: Pick<AppVersion, 'id'>) => `/api/v1/apps/${encodeURIComponent(v.id)}/icon`,
  screenshot: (v: Pick<AppVersion, 'id'>, n: number) => `/api/v1/apps/${encodeURIComponent(v.id)}/screenshots/${n}`,
  bundle: (v: Pick<AppVersion, 'id'>) => `/api/v1/apps/${encodeURIComponent(v.id)}/bundle`,
};
