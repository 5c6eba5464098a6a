/**
 * The contract between the scheduler's drivers and the launcher (`apps/launcher`), which every
 * driver starts the same way (the process driver as a local process, the Kubernetes driver in a
 * pod): the environment it is configured by, and the files it writes to its state folder.
 *
 * No dependencies (not zod, not the package root): the launcher starts once per instance and pays
 * for every module it loads. Importable as `@wharf/contracts/launcher`.
 */
import { LAUNCHER_STATUSES, type LauncherStatus } from './wire';

/**
 * What the launcher reads from its environment (`parseLauncherEnv` in apps/launcher checks it):
 * only the platform's `WHARF_*` variables and the basics (PATH, LANG, HOME, which are not part of
 * this contract). The app's own variables (`[[Env]]`, granted secrets) arrive as one JSON object
 * in `WHARF_APP_ENV` and are given to the app only: they never become the launcher's environment,
 * so an app's PATH, NODE_OPTIONS or LD_PRELOAD cannot change what the launcher runs.
 */
export interface LauncherEnv {
  /** The public port: the launcher listens here from its first second until it exits. */
  PORT: number;
  /**
   * Without a sandbox (`WHARF_SANDBOX=none`): the port the app is given as $PORT, claimed by the
   * process driver like PORT. Absent (in a pod, whose network is its own): one the launcher finds
   * free.
   */
  WHARF_APP_PORT?: number;
  WHARF_INSTANCE_ID: string;
  /** Which start of the instance this is; status reports of older generations are ignored. */
  WHARF_GENERATION: number;
  WHARF_BUNDLE_URL: string;
  /** Sent as `x-wharf-internal-token`, scoped `bundle:read:<appVersionId>`. */
  WHARF_BUNDLE_TOKEN: string;
  WHARF_BUNDLE_SHA256: string;
  /** `[Runtime] Module`, started as `python -m <module>`. */
  WHARF_MODULE: string;
  /** Runtime version name; part of the venv cache key. */
  WHARF_RUNTIME: string;
  WHARF_PYTHON: string;
  /** `POST` target for status reports; without it the launcher only logs its steps. */
  WHARF_STATUS_URL?: string;
  WHARF_STATUS_TOKEN?: string;
  /** Given to the app: the key that verifies the router's X-Wharf-Identity tokens (HS256, base64url). */
  WHARF_IDENTITY_KEY?: string;
  /** Where the bundle is unpacked (`<dir>/app`) and, without a cache, the venv built. Default: the working directory. */
  WHARF_WORK_DIR?: string;
  /** Persistent folder given to the app as WHARF_VOLUME_DIR. */
  WHARF_VOLUME_DIR?: string;
  /**
   * The id of the request that started this launch (its Run, resume or upgrade): on the
   * launcher's first line and on its status reports (X-Request-Id), so a launch can be followed
   * from the gateway's log to the launcher's.
   */
  WHARF_REQUEST_ID?: string;
  /** Given to the app: the path it is served under, `/` (DOMAIN) or `/instance/<id>/` (BASE_URL). Default `/`. */
  WHARF_BASE_PATH?: string;
  /**
   * Process driver only: the instance's state folder. The launcher writes `launcher.json`
   * (its current status) and `exit.json` there, and exits when the folder disappears.
   */
  WHARF_STATE_DIR?: string;
  /** Process driver only: logs go to a bounded ring of two files here instead of stdout. */
  WHARF_LOG_DIR?: string;
  WHARF_LOG_MAX_BYTES: number;
  /** Shared venv cache: one venv per (bundle sha256, runtime), built once, then used read-only. */
  WHARF_VENV_CACHE?: string;
  /** Shared bundle cache: each bundle unpacked once per sha256, then copied into instances. */
  WHARF_BUNDLE_CACHE?: string;
  /** Address-space limit for the app, applied with `prlimit --as` (process driver). */
  WHARF_MEMORY_LIMIT_BYTES?: number;
  /** `prlimit`'s path; empty or absent: memory limits are not enforced. */
  WHARF_PRLIMIT?: string;
  /** How long the app may take to listen on its port. */
  WHARF_START_TIMEOUT_SECONDS: number;
  /** On SIGTERM: how long the app gets to exit before SIGKILL. */
  WHARF_STOP_GRACE_MS: number;
  /** How often the launcher checks that WHARF_STATE_DIR still exists. */
  WHARF_WATCH_INTERVAL_MS: number;
  /** The app's own environment (`[[Env]]` values and granted secrets), a JSON object of strings. */
  WHARF_APP_ENV: Record<string, string>;
  /** Where the launcher listens on `PORT`: loopback (process driver) or every interface (in a pod). */
  WHARF_LISTEN_HOST: string;
  /**
   * `bwrap`: the app and the install of its requirements run confined by bubblewrap (process
   * driver, see apps/launcher/src/sandbox.ts); `none`: as plain child processes (in a pod, which is the sandbox).
   */
  WHARF_SANDBOX: 'bwrap' | 'none';
  /** bubblewrap's path (with WHARF_SANDBOX=bwrap). */
  WHARF_BWRAP: string;
  /** As root: the instance's own uid and gid inside the sandbox, and setpriv's path to drop to them. */
  WHARF_SANDBOX_UID?: number;
  WHARF_SANDBOX_GID?: number;
  WHARF_SETPRIV: string;
  /** With WHARF_SANDBOX=bwrap: the instance's run folder, where the app's relay socket lives. */
  WHARF_RUN_DIR?: string;
  /**
   * The app's `[[File]]` entries, as a JSON array: each a file the driver wrote (`source`, outside
   * every folder the app may write) that the sandbox binds read-only at `path`. Only with
   * WHARF_SANDBOX=bwrap: without a sandbox a launcher given files refuses to start the app. Pods
   * get their files from the kubelet instead, and never this variable.
   */
  WHARF_APP_FILES?: AppFileMount[];
}

/** One `[[File]]` as the launcher mounts it (`WHARF_APP_FILES`). */
export interface AppFileMount {
  /** Absolute path inside the sandbox. */
  path: string;
  /** The file on the host holding the contents (never the contents themselves). */
  source: string;
}

/** The launcher's defaults when these are absent (see `parseLauncherEnv`). */
export const LAUNCHER_ENV_DEFAULTS = {
  WHARF_GENERATION: 0,
  WHARF_RUNTIME: 'default',
  WHARF_PYTHON: 'python3',
  WHARF_LOG_MAX_BYTES: 1024 * 1024,
  WHARF_START_TIMEOUT_SECONDS: 300,
  WHARF_STOP_GRACE_MS: 5000,
  WHARF_WATCH_INTERVAL_MS: 2000,
  WHARF_APP_ENV: {},
  WHARF_LISTEN_HOST: '127.0.0.1',
  WHARF_SANDBOX: 'none',
  WHARF_BWRAP: 'bwrap',
  WHARF_SETPRIV: 'setpriv',
} as const satisfies Partial<LauncherEnv>;

type Defaulted = keyof typeof LAUNCHER_ENV_DEFAULTS;

/** What a driver gives a launcher: every key of {@link LauncherEnv}, those with a default optional. */
export type LauncherEnvInput = Omit<LauncherEnv, Defaulted> & Partial<Pick<LauncherEnv, Defaulted>>;

/**
 * App variables that a driver cannot put in `WHARF_APP_ENV` because their values live elsewhere —
 * a Kubernetes Secret the pod reads through `secretKeyRef` — travel as `WHARF_APP_SECRET__<NAME>`:
 * a platform name, so they never change what the launcher runs; the launcher gives each to the
 * app as `<NAME>` (after `WHARF_APP_ENV`'s own values) and to nothing else.
 */
export const APP_SECRET_ENV_PREFIX = 'WHARF_APP_SECRET__';

/** `WHARF_APP_SECRET__<NAME>` for an app variable `<NAME>` (see APP_SECRET_ENV_PREFIX). */
export const appSecretEnvName = (name: string): string => `${APP_SECRET_ENV_PREFIX}${name}`;

/**
 * What the scheduler signs for each start, the same for every driver (a driver's `LaunchPlan.env`):
 * where to fetch the bundle, where to report, and the app's identity key.
 */
export type LauncherCredentials = Required<Pick<LauncherEnv, 'WHARF_BUNDLE_URL' | 'WHARF_BUNDLE_TOKEN' | 'WHARF_STATUS_URL' | 'WHARF_STATUS_TOKEN' | 'WHARF_IDENTITY_KEY'>>;

/**
 * The environment variables for `env` (a process's environment, a pod's `env`): numbers in
 * decimal, `WHARF_APP_ENV` and `WHARF_APP_FILES` as JSON, absent keys left out. The launcher reads them back with
 * `parseLauncherEnv`.
 */
export function launcherEnvRecord(env: LauncherEnvInput): Record<string, string> {
  return launcherEnvVars(env);
}

/**
 * Some of the launcher's variables, as launcherEnvRecord writes them: for a driver that passes the
 * others another way (a pod reads its tokens from a Secret).
 */
export function launcherEnvVars(env: Partial<LauncherEnv>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(env) as [string, string | number | Record<string, string> | AppFileMount[] | undefined][]) {
    if (v === undefined) continue;
    out[k] = typeof v === 'string' ? v : typeof v === 'number' ? String(v) : JSON.stringify(v);
  }
  return out;
}

/**
 * Standby launchers (process driver): started with this environment only, they wait on stdin for
 * one JSON line, a {@link StandbyAssignment}, and then run as if started with its `env` in its `cwd`.
 */
export interface LauncherStandbyEnv {
  WHARF_STANDBY: '1';
  /** The standbys' folder: their working folder and the idle interpreter's HOME. */
  WHARF_STANDBY_DIR: string;
  /** The default runtime's interpreter, started ahead of time next to the launcher. */
  WHARF_STANDBY_PYTHON?: string;
}

export interface StandbyAssignment {
  /** The launcher's whole environment, as a cold start would get it ({@link launcherEnvRecord} plus PATH, LANG, HOME). */
  env: Record<string, string>;
  cwd: string;
}

/** In the state folder (`WHARF_STATE_DIR`): the launcher's current status, rewritten at each step. */
export const LAUNCHER_STATE_FILE = 'launcher.json';
/** In the state folder: why and how the launcher exited (code 0: stopped on request). */
export const EXIT_FILE = 'exit.json';

/** `launcher.json`. */
export interface LauncherState {
  generation: number;
  status: LauncherStatus;
  reason: string | null;
  /** The launcher's pid and when it wrote the file (for people reading it). */
  pid?: number;
  at?: string;
}

/** `exit.json`. Generation -1: the launcher exited before it could read its environment. */
export interface LauncherExit {
  generation: number;
  /** 0: stopped on request (SIGTERM); otherwise the launcher or the app failed. */
  code: number;
  reason: string;
  at?: string;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const isInt = (v: unknown): v is number => Number.isInteger(v);
const optional = <T>(v: unknown, is: (x: unknown) => x is T): T | undefined => (is(v) ? v : undefined);
const isString = (v: unknown): v is string => typeof v === 'string';

/** The content of `launcher.json` (parsed JSON), or null when it is not one. */
export function parseLauncherState(v: unknown): LauncherState | null {
  if (!isObject(v) || !isInt(v.generation)) return null;
  if (!(LAUNCHER_STATUSES as readonly unknown[]).includes(v.status)) return null;
  if (v.reason !== null && typeof v.reason !== 'string') return null;
  const out: LauncherState = { generation: v.generation, status: v.status as LauncherStatus, reason: v.reason };
  const pid = optional(v.pid, isInt);
  const at = optional(v.at, isString);
  if (pid !== undefined) out.pid = pid;
  if (at !== undefined) out.at = at;
  return out;
}

/** The content of `exit.json` (parsed JSON), or null when it is not one. */
export function parseLauncherExit(v: unknown): LauncherExit | null {
  if (!isObject(v) || !isInt(v.generation) || !isInt(v.code) || typeof v.reason !== 'string') return null;
  const out: LauncherExit = { generation: v.generation, code: v.code, reason: v.reason };
  const at = optional(v.at, isString);
  if (at !== undefined) out.at = at;
  return out;
}
