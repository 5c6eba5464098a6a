import { createHash, randomInt } from 'node:crypto';
import {
  EnvSpecSchema,
  FileSpecSchema,
  genericStatusReason,
  hostPortSuffix,
  instanceBasePath,
  InstanceIdSchema,
  InstanceStatusSchema,
  LIVE_STATUSES,
  ROUTING_MODES,
  VisibilitySchema,
  type Instance,
  type InstanceStatus,
  type RoutedInstance,
  type RoutingMode,
} from '@wharf/contracts';
import { z } from 'zod';

const UserRef = z.object({ sub: z.string(), name: z.string() });

/**
 * What the scheduler stores about an instance, with the driver (process: `instance.json` in the
 * instance's folder; Kubernetes: labels and annotations). Never holds secret values: env entries
 * that name secrets are resolved again at each start.
 */
export const InstanceRecordSchema = z.object({
  id: InstanceIdSchema,
  appVersionId: z.string(),
  appName: z.string(),
  appVersion: z.string(),
  appOwner: UserRef,
  owner: UserRef,
  visibility: VisibilitySchema,
  /** MANAGED: the one shared instance of its app version; absent (records before lifecycles): ON_DEMAND. */
  lifecycle: z.enum(['ON_DEMAND', 'MANAGED']).optional(),
  /** Where it is served, decided at each create or upgrade; absent (records before routing modes): DOMAIN. */
  routingMode: z.enum(ROUTING_MODES).optional(),
  runtime: z.string(),
  status: InstanceStatusSchema,
  statusReason: z.string().nullable(),
  address: z.string().nullable(),
  createdAt: z.string(),
  updatedAt: z.string(),
  lastActivityAt: z.string(),
  warnings: z.array(z.string()),
  /** Bumped at every start; reports from older launchers are ignored. */
  generation: z.number().int().min(0),
  idempotencyKey: z.string().nullable(),
  /** An admin turned suspension for idleness off (absent in records made before it existed: on). */
  idleSuspendDisabled: z.boolean().optional(),
  /** The app's keep-alive lease: not suspended for idleness before this time. */
  keepAliveUntil: z.string().nullable().optional(),
  launch: z.object({
    module: z.string(),
    sha256: z.string(),
    image: z.string(),
    python: z.string(),
    memoryLimitBytes: z.number().int().positive(),
    memoryReservationBytes: z.number().int().min(0).nullable(),
    gpuCount: z.number().int().min(0),
    /** The GPU type of `Scheduler.GpuTypes` (null without GPUs; absent in records made before types). */
    gpuType: z.string().nullable().optional(),
    volumeMount: z.string().nullable(),
    /** The volume's size (`VolumeSize`, a Kubernetes quantity); absent in records made before it was kept. */
    volumeSize: z.string().nullable().optional(),
    env: z.array(EnvSpecSchema),
    /** `[[File]]` entries (secret ones by name and key only); absent in records made before files existed. */
    files: z.array(FileSpecSchema).default([]),
    /** `[App] InstanceTimeout` in minutes (-1: never); null or absent: the platform's `IdleTimeoutMinutes`. */
    idleTimeoutMinutes: z.number().int().min(-1).nullable().optional(),
  }),
});
export type InstanceRecord = z.infer<typeof InstanceRecordSchema>;

export const isLive = (s: InstanceStatus): boolean => (LIVE_STATUSES as readonly string[]).includes(s);

const ORDER: InstanceStatus[] = ['QUEUED', 'PROVISIONING', 'INSTALLING', 'STARTING', 'RUNNING'];

/** Whether a launcher-reported status moves a live record forward (FAILED always does). */
export function isProgress(from: InstanceStatus, to: InstanceStatus, fromReason: string | null, toReason: string | null): boolean {
  if (!isLive(from)) return false;
  if (to === 'FAILED') return true;
  const a = ORDER.indexOf(from);
  const b = ORDER.indexOf(to);
  return b > a || (b === a && fromReason !== toReason);
}


const LETTERS = 'abcdefghijklmnopqrstuvwxyz';
const ALNUM = `${LETTERS}0123456789`;

/** 10 characters, `[a-z][a-z0-9]{9}`: a DNS label, ~1.6e15 values. */
export function newInstanceId(): string {
  let id = LETTERS[randomInt(LETTERS.length)]!;
  for (let i = 0; i < 9; i++) id += ALNUM[randomInt(ALNUM.length)]!;
  return id;
}

/**
 * The id of the instance a create with an idempotency key makes: derived from (owner, key), so
 * that concurrent creates with one key — on any replica — race for the same id, and the driver's
 * "id taken" decides the winner (race-free, no shared memory needed).
 */
export function idempotentInstanceId(ownerSub: string, key: string): string {
  // JSON keeps (sub, key) pairs apart that a plain separator would not ("a\nb" + "c" vs "a" + "b\nc")
  const h = createHash('sha256').update(JSON.stringify([ownerSub, key])).digest();
  let id = LETTERS[h[0]! % LETTERS.length]!;
  for (let i = 1; i < 10; i++) id += ALNUM[h[i]! % ALNUM.length]!;
  return id;
}

export interface UrlSettings {
  AppsDomain: string;
  RouterPort: number;
  RouterScheme: 'http' | 'https';
}

/** What the wire shape needs of the scheduler's settings. */
export interface WireSettings extends UrlSettings {
  /** The platform's idle timeout (minutes, -1 never) for apps that set none. */
  IdleTimeoutMinutes: number;
}

/** After how many minutes without traffic the instance is suspended; null: never. */
export function idleTimeoutOf(r: InstanceRecord, platformDefault: number): number | null {
  if (r.idleSuspendDisabled) return null;
  const t = r.launch.idleTimeoutMinutes ?? platformDefault;
  return t === -1 ? null : t;
}

/** The reason an instance suspended for idleness shows ("idle for 60 min"). */
export const idleReason = (minutes: number): string => `idle for ${minutes} min`;

/** `<scheme>://<label>.<AppsDomain>[:port]`: an instance (DOMAIN) or alias host. */
export function instanceUrl(id: string, s: UrlSettings): string {
  return `${s.RouterScheme}://${id}.${s.AppsDomain}${hostPortSuffix(s.RouterScheme, s.RouterPort)}`;
}

/** `<scheme>://<AppsDomain>[:port]/instance/<id>/`: a BASE_URL instance. */
export function baseUrlInstanceUrl(id: string, s: UrlSettings): string {
  return `${s.RouterScheme}://${s.AppsDomain}${hostPortSuffix(s.RouterScheme, s.RouterPort)}${instanceBasePath(id, 'BASE_URL')}`;
}

export const routingModeOf = (r: Pick<InstanceRecord, 'routingMode'>): RoutingMode => r.routingMode ?? 'DOMAIN';

/** An instance's aliases: names, the primary one first (or none). */
export interface InstanceAliases {
  names: string[];
  primary: string | null;
}
export const NO_ALIASES: InstanceAliases = { names: [], primary: null };

/**
 * The wire shape users get: no address; the status reason (which holds the last log lines of a
 * failure) only for those who may read the logs, a generic one for everyone else.
 */
export function toInstance(r: InstanceRecord, s: WireSettings, extraWarnings: string[] = [], readLogs = true, aliases: InstanceAliases = NO_ALIASES): Instance {
  const mode = routingModeOf(r);
  const names = aliases.primary ? [aliases.primary, ...aliases.names.filter((n) => n !== aliases.primary)] : aliases.names;
  return {
    id: r.id,
    appVersionId: r.appVersionId,
    appName: r.appName,
    appVersion: r.appVersion,
    appOwner: r.appOwner,
    owner: r.owner,
    visibility: r.visibility,
    lifecycle: r.lifecycle ?? 'ON_DEMAND',
    runtime: r.runtime,
    status: r.status,
    statusReason: readLogs ? r.statusReason : genericStatusReason(r.status),
    // an alias host serves it like the id host (instanceUrl works for any label under the apps domain)
    url: mode === 'BASE_URL' ? baseUrlInstanceUrl(r.id, s) : instanceUrl(aliases.primary ?? r.id, s),
    routingMode: mode,
    basePath: instanceBasePath(r.id, mode),
    aliases: names.map((name) => ({ name, url: instanceUrl(name, s), primary: name === aliases.primary })),
    primaryAlias: aliases.primary,
    createdAt: r.createdAt,
    lastActivityAt: r.lastActivityAt,
    idle: {
      timeoutMinutes: idleTimeoutOf(r, s.IdleTimeoutMinutes),
      disabledByAdmin: r.idleSuspendDisabled ?? false,
      keepAliveUntil: r.keepAliveUntil ?? null,
    },
    warnings: [...new Set([...r.warnings, ...extraWarnings])],
  };
}

/**
 * The id of an app version's MANAGED instance: derived from the version, so that starts on any
 * replica race for the same id (three parts: never the id of an idempotency key's (owner, key)).
 */
export function managedInstanceId(appVersionId: string): string {
  const h = createHash('sha256').update(JSON.stringify(['managed', appVersionId, 'instance'])).digest();
  let id = LETTERS[h[0]! % LETTERS.length]!;
  for (let i = 1; i < 10; i++) id += ALNUM[h[i]! % ALNUM.length]!;
  return id;
}

/** The router's shape (lookup and events): with the address it proxies to and the full status reason. */
export function toRoutedInstance(r: InstanceRecord, s: WireSettings, extraWarnings: string[] = [], aliases: InstanceAliases = NO_ALIASES): RoutedInstance {
  return { ...toInstance(r, s, extraWarnings, true, aliases), address: r.address };
}
