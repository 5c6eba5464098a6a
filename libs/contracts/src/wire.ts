/**
 * Wire constants with no dependencies, importable as `@wharf/contracts/wire` by code that must
 * start fast (the launcher runs once per instance start and pays for every module it loads; the
 * package root pulls in zod and every schema). The root re-exports these, so there is one source.
 */

/** Header carrying a signed internal token (bundle downloads, launcher status reports). */
export const INTERNAL_TOKEN_HEADER = 'x-wharf-internal-token';

/** The statuses a launcher reports about its instance. */
export const LAUNCHER_STATUSES = ['INSTALLING', 'STARTING', 'RUNNING', 'FAILED'] as const;
export type LauncherStatus = (typeof LAUNCHER_STATUSES)[number];

/**
 * A request id from outside (an X-Request-Id header, a NATS message, the launcher's environment)
 * that is safe to log and pass on: 1–128 letters, digits or `. _ : -`.
 */
export const REQUEST_ID_PATTERN = /^[A-Za-z0-9._:-]{1,128}$/;
