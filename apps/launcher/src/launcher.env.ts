import { z } from 'zod';

const int = (min: number, max: number) => z.coerce.number().int().min(min).max(max);
const optionalText = z
  .string()
  .optional()
  .transform((v) => (v === undefined || v === '' ? undefined : v));

/**
 * What the launcher reads from its environment. Everything starting with `WHARF_` is the
 * platform's; every other variable is the app's and is passed on to it unchanged.
 */
export const LauncherEnvSchema = z.object({
  /** The public port: the launcher listens here from its first second until it exits. */
  PORT: int(1, 65535),
  WHARF_INSTANCE_ID: z.string().min(1),
  /** Which start of the instance this is; status reports of older generations are ignored. */
  WHARF_GENERATION: int(0, Number.MAX_SAFE_INTEGER).default(0),
  WHARF_BUNDLE_URL: z.url(),
  /** Sent as `x-wharf-internal-token`, scoped `bundle:read:<appVersionId>`. */
  WHARF_BUNDLE_TOKEN: z.string().min(1),
  WHARF_BUNDLE_SHA256: z.string().regex(/^[0-9a-f]{64}$/, 'must be a sha256 in hex'),
  /** `[Runtime] Module`, started as `python -m <module>`. */
  WHARF_MODULE: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$/, 'must be a Python module name'),
  /** Runtime version name; part of the venv cache key. */
  WHARF_RUNTIME: z.string().min(1).default('default'),
  WHARF_PYTHON: z.string().min(1).default('python3'),
  /** `POST` target for status reports; without it the launcher only logs its steps. */
  WHARF_STATUS_URL: optionalText.pipe(z.url().optional()),
  WHARF_STATUS_TOKEN: optionalText,
  /** Given to the app: the key that verifies the router's X-Wharf-Identity tokens (HS256, base64url). */
  WHARF_IDENTITY_KEY: optionalText,
  /** Where the bundle is unpacked (`<dir>/app`) and, without a cache, the venv built. Default: the working directory. */
  WHARF_WORK_DIR: optionalText,
  /** Persistent folder given to the app as WHARF_VOLUME_DIR. */
  WHARF_VOLUME_DIR: optionalText,
  /**
   * Process driver only: the instance's state folder. The launcher writes `launcher.json`
   * (its current status) and `exit.json` there, and exits when the folder disappears.
   */
  WHARF_STATE_DIR: optionalText,
  /** Process driver only: logs go to a bounded ring of two files here instead of stdout. */
  WHARF_LOG_DIR: optionalText,
  WHARF_LOG_MAX_BYTES: int(4096, 1024 ** 3).default(1024 * 1024),
  /** Shared venv cache: one venv per (bundle sha256, runtime), built once, then used read-only. */
  WHARF_VENV_CACHE: optionalText,
  /** Address-space limit for the app, applied with `prlimit --as` (process driver). */
  WHARF_MEMORY_LIMIT_BYTES: optionalText.transform((v) => (v === undefined ? undefined : Number(v))).pipe(z.number().int().min(1).optional()),
  WHARF_PRLIMIT: optionalText,
  /** How long the app may take to listen on its port. */
  WHARF_START_TIMEOUT_SECONDS: int(1, 86_400).default(300),
  /** On SIGTERM: how long the app gets to exit before SIGKILL. */
  WHARF_STOP_GRACE_MS: int(0, 600_000).default(5000),
  /** How often the launcher checks that WHARF_STATE_DIR still exists. */
  WHARF_WATCH_INTERVAL_MS: int(100, 600_000).default(2000),
});
export type LauncherEnv = z.output<typeof LauncherEnvSchema>;

/** The app's environment: everything that is not the platform's, plus what the platform gives every app. */
export function appEnvironment(env: NodeJS.ProcessEnv, extra: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(env)) {
    if (v === undefined || k.toUpperCase().startsWith('WHARF_') || k === 'PORT') continue;
    out[k] = v;
  }
  return { ...out, ...extra };
}
