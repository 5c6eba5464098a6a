import { APP_SECRET_ENV_PREFIX, LAUNCHER_ENV_DEFAULTS as DEFAULTS, type AppFileMount, type LauncherEnv } from '@wharf/contracts/launcher';
import { REQUEST_ID_PATTERN } from '@wharf/contracts/wire';

export type { LauncherEnv } from '@wharf/contracts/launcher';

/*
 * The launcher's environment is the contract `LauncherEnv` of `@wharf/contracts/launcher` (what
 * each key means, and the function drivers build it with). Parsed by hand, not with zod: the
 * launcher starts once per instance, and zod (with the schemas of `@wharf/contracts`) costs about
 * 100 ms of CPU to load, which ten instances started together pay on the same two cores. The rules
 * are few and flat; each problem names the variable and the fix.
 */

type Key = keyof LauncherEnv;

export interface EnvProblem {
  path: string;
  message: string;
}

export type EnvParse = { success: true; data: LauncherEnv } | { success: false; problems: EnvProblem[] };

const SHA256 = /^[0-9a-f]{64}$/;
const MODULE = /^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$/;

/** Reads and checks the launcher's variables; every problem is reported, not just the first. */
export function parseLauncherEnv(env: NodeJS.ProcessEnv): EnvParse {
  const problems: EnvProblem[] = [];
  const text = (name: Key): string | undefined => {
    const v = env[name];
    return v === undefined || v === '' ? undefined : v;
  };
  const required = (name: Key, check?: { test: (v: string) => boolean; message: string }): string => {
    const v = text(name);
    if (v === undefined) problems.push({ path: name, message: 'is required' });
    else if (check && !check.test(v)) problems.push({ path: name, message: check.message });
    return v ?? '';
  };
  const int = (name: Key, min: number, max: number, fallback?: number): number => {
    const v = text(name);
    if (v === undefined) {
      if (fallback === undefined) problems.push({ path: name, message: 'is required' });
      return fallback ?? 0;
    }
    const n = Number(v);
    if (!Number.isInteger(n) || n < min || n > max) {
      problems.push({ path: name, message: `must be a whole number from ${min} to ${max}, got "${v.slice(0, 40)}"` });
      return fallback ?? 0;
    }
    return n;
  };
  const url = (name: Key, isRequired: boolean): string | undefined => {
    const v = isRequired ? required(name) : text(name);
    if (v && !/^https?:\/\/./.test(v)) problems.push({ path: name, message: `must be an http(s) URL, got "${v.slice(0, 80)}"` });
    return v || undefined;
  };

  const appEnv = (): Record<string, string> => {
    // Values a driver passes one by one (secretKeyRef in a pod): WHARF_APP_SECRET__<NAME> → <NAME>.
    const secrets: Record<string, string> = {};
    for (const [k, v] of Object.entries(env)) {
      if (k.startsWith(APP_SECRET_ENV_PREFIX) && k.length > APP_SECRET_ENV_PREFIX.length && v !== undefined) secrets[k.slice(APP_SECRET_ENV_PREFIX.length)] = v;
    }
    const v = text('WHARF_APP_ENV');
    if (v === undefined) return secrets;
    try {
      const parsed = JSON.parse(v) as unknown;
      if (parsed && typeof parsed === 'object' && !Array.isArray(parsed) && Object.values(parsed).every((x) => typeof x === 'string')) {
        return { ...(parsed as Record<string, string>), ...secrets };
      }
    } catch {
      /* reported below */
    }
    problems.push({ path: 'WHARF_APP_ENV', message: 'must be a JSON object of strings ({"NAME": "value"})' });
    return secrets;
  };
  const appFiles = (): AppFileMount[] | undefined => {
    const v = text('WHARF_APP_FILES');
    if (v === undefined) return undefined;
    const absolute = (x: unknown): x is string => typeof x === 'string' && x.startsWith('/') && !x.includes('\0');
    try {
      const parsed = JSON.parse(v) as unknown;
      if (Array.isArray(parsed) && parsed.every((f: { path?: unknown; source?: unknown } | null) => f !== null && typeof f === 'object' && absolute(f.path) && absolute(f.source))) {
        return (parsed as AppFileMount[]).map(({ path, source }) => ({ path, source }));
      }
    } catch {
      /* reported below */
    }
    problems.push({ path: 'WHARF_APP_FILES', message: 'must be a JSON array of {"path": "/absolute/path/in/the/app", "source": "/absolute/path/of/the/file"}' });
    return undefined;
  };
  const sandbox = text('WHARF_SANDBOX') ?? DEFAULTS.WHARF_SANDBOX;
  if (sandbox !== 'bwrap' && sandbox !== 'none') problems.push({ path: 'WHARF_SANDBOX', message: `must be bwrap or none, got "${sandbox.slice(0, 40)}"` });
  const uid = text('WHARF_SANDBOX_UID') === undefined ? undefined : int('WHARF_SANDBOX_UID', 1, 2 ** 32 - 2);
  const gid = text('WHARF_SANDBOX_GID') === undefined ? undefined : int('WHARF_SANDBOX_GID', 1, 2 ** 32 - 2);
  if ((uid === undefined) !== (gid === undefined)) problems.push({ path: 'WHARF_SANDBOX_GID', message: 'WHARF_SANDBOX_UID and WHARF_SANDBOX_GID go together' });
  if (sandbox === 'bwrap' && !text('WHARF_RUN_DIR')) problems.push({ path: 'WHARF_RUN_DIR', message: 'is required with WHARF_SANDBOX=bwrap' });
  const memory = text('WHARF_MEMORY_LIMIT_BYTES');
  const memoryBytes = memory === undefined ? undefined : int('WHARF_MEMORY_LIMIT_BYTES', 1, Number.MAX_SAFE_INTEGER);
  const data: LauncherEnv = {
    PORT: int('PORT', 1, 65535),
    WHARF_APP_PORT: text('WHARF_APP_PORT') === undefined ? undefined : int('WHARF_APP_PORT', 1, 65535),
    WHARF_INSTANCE_ID: required('WHARF_INSTANCE_ID'),
    WHARF_GENERATION: int('WHARF_GENERATION', 0, Number.MAX_SAFE_INTEGER, DEFAULTS.WHARF_GENERATION),
    WHARF_BUNDLE_URL: url('WHARF_BUNDLE_URL', true) ?? '',
    WHARF_BUNDLE_TOKEN: required('WHARF_BUNDLE_TOKEN'),
    WHARF_BUNDLE_SHA256: required('WHARF_BUNDLE_SHA256', { test: (v) => SHA256.test(v), message: 'must be a sha256 in hex' }),
    WHARF_MODULE: required('WHARF_MODULE', { test: (v) => MODULE.test(v), message: 'must be a Python module name' }),
    WHARF_RUNTIME: text('WHARF_RUNTIME') ?? DEFAULTS.WHARF_RUNTIME,
    WHARF_PYTHON: text('WHARF_PYTHON') ?? DEFAULTS.WHARF_PYTHON,
    WHARF_STATUS_URL: url('WHARF_STATUS_URL', false),
    WHARF_STATUS_TOKEN: text('WHARF_STATUS_TOKEN'),
    WHARF_IDENTITY_KEY: text('WHARF_IDENTITY_KEY'),
    WHARF_WORK_DIR: text('WHARF_WORK_DIR'),
    WHARF_VOLUME_DIR: text('WHARF_VOLUME_DIR'),
    WHARF_BASE_PATH: text('WHARF_BASE_PATH') === undefined ? undefined : required('WHARF_BASE_PATH', { test: (v) => /^\/([a-z0-9-]+\/)*$/.test(v), message: 'must be a path such as / or /instance/<id>/' }),
    WHARF_REQUEST_ID: text('WHARF_REQUEST_ID') === undefined ? undefined : required('WHARF_REQUEST_ID', { test: (v) => REQUEST_ID_PATTERN.test(v), message: 'must be 1-128 letters, digits or . _ : -' }),
    WHARF_STATE_DIR: text('WHARF_STATE_DIR'),
    WHARF_LOG_DIR: text('WHARF_LOG_DIR'),
    WHARF_LOG_MAX_BYTES: int('WHARF_LOG_MAX_BYTES', 4096, 1024 ** 3, DEFAULTS.WHARF_LOG_MAX_BYTES),
    WHARF_VENV_CACHE: text('WHARF_VENV_CACHE'),
    WHARF_BUNDLE_CACHE: text('WHARF_BUNDLE_CACHE'),
    WHARF_MEMORY_LIMIT_BYTES: memoryBytes,
    WHARF_PRLIMIT: text('WHARF_PRLIMIT'),
    WHARF_START_TIMEOUT_SECONDS: int('WHARF_START_TIMEOUT_SECONDS', 1, 86_400, DEFAULTS.WHARF_START_TIMEOUT_SECONDS),
    WHARF_STOP_GRACE_MS: int('WHARF_STOP_GRACE_MS', 0, 600_000, DEFAULTS.WHARF_STOP_GRACE_MS),
    WHARF_WATCH_INTERVAL_MS: int('WHARF_WATCH_INTERVAL_MS', 100, 600_000, DEFAULTS.WHARF_WATCH_INTERVAL_MS),
    WHARF_APP_ENV: appEnv(),
    WHARF_LISTEN_HOST: text('WHARF_LISTEN_HOST') ?? DEFAULTS.WHARF_LISTEN_HOST,
    WHARF_SANDBOX: sandbox === 'bwrap' ? 'bwrap' : 'none',
    WHARF_BWRAP: text('WHARF_BWRAP') ?? DEFAULTS.WHARF_BWRAP,
    WHARF_SANDBOX_UID: uid,
    WHARF_SANDBOX_GID: gid,
    WHARF_SETPRIV: text('WHARF_SETPRIV') ?? DEFAULTS.WHARF_SETPRIV,
    WHARF_RUN_DIR: text('WHARF_RUN_DIR'),
    WHARF_APP_FILES: appFiles(),
  };
  return problems.length ? { success: false, problems } : { success: true, data };
}

/**
 * The app's environment: the basics every app gets (PATH, LANG, HOME), then the app's own variables
 * (`WHARF_APP_ENV`; `WHARF_*` and PORT are the platform's and never taken from it), then what the
 * platform gives every app (`extra`: PORT, WHARF_INSTANCE_ID, …).
 */
export function appEnvironment(base: Record<string, string>, appEnv: Record<string, string>, extra: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = { ...base };
  for (const [k, v] of Object.entries(appEnv)) {
    if (k.toUpperCase().startsWith('WHARF_') || k === 'PORT') continue;
    out[k] = v;
  }
  return { ...out, ...extra };
}
