import { z } from 'zod';
import { defineEvent, defineRequest, pageOf, PageRequestSchema } from './define';
import { RoutingModeSchema } from './app';
import { AppNameSchema, InstanceStatusSchema, RuntimeStateSchema, VisibilitySchema } from './enums';
import { SchedulerUsageSchema, UsageListRequestSchema } from './usage';
import { LAUNCHER_STATUSES } from './wire';

/** Instance ids: 10 characters `[a-z0-9]` starting with a letter, so `<id>.<apps-domain>` is a DNS label. */
export const INSTANCE_ID_PATTERN = /^[a-z][a-z0-9]{9}$/;
export const InstanceIdSchema = z.string().regex(INSTANCE_ID_PATTERN, 'must be an instance id: 10 characters [a-z0-9] starting with a letter');

/** Runtime version names, e.g. `python-3.11`. */
export const RUNTIME_NAME_PATTERN = /^[a-z0-9][a-z0-9.-]{0,62}$/;
export const RuntimeNameSchema = z.string().regex(RUNTIME_NAME_PATTERN, 'must match [a-z0-9][a-z0-9.-]* (at most 63 characters)');

/** Admin-managed secret names and keys (Kubernetes Secret rules, so both drivers accept the same names). */
export const SecretNameSchema = z
  .string()
  .max(253)
  .regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/, 'must be a DNS subdomain: lower-case letters, digits, dashes and dots');
export const SecretKeySchema = z.string().max(253).regex(/^[-._a-zA-Z0-9]+$/, 'must be letters, digits, dashes, dots or underscores');

const UserRefSchema = z.object({ sub: z.string(), name: z.string() });


/** How an instance is suspended when nobody uses it. */
export const InstanceIdleSchema = z
  .object({
    /**
     * Minutes without proxied traffic (HTTP or websocket frames, either way) before the instance is
     * suspended; null: never (its app's `InstanceTimeout = -1`, the platform's default of -1, or
     * an admin turned it off for this instance).
     */
    timeoutMinutes: z.number().int().min(1).nullable(),
    /** An admin turned idle suspension off for this instance (`PATCH … {"idleSuspend": false}`). */
    disabledByAdmin: z.boolean(),
    /** The app holds a keep-alive lease until then (its control socket's `POST /keep-alive`): not suspended before. */
    keepAliveUntil: z.string().nullable(),
  })
  .meta({ id: 'InstanceIdle' });
export type InstanceIdle = z.infer<typeof InstanceIdleSchema>;
/** Statuses in which an instance holds resources and counts against its owner's limit. */
export const LIVE_STATUSES = ['QUEUED', 'PROVISIONING', 'INSTALLING', 'STARTING', 'RUNNING'] as const;

export const InstanceSchema = z.object({
  id: InstanceIdSchema,
  appVersionId: z.string(),
  appName: z.string(),
  appVersion: z.string(),
  /** The app version's owner: may see status and logs (not the UI) of every instance of it. */
  appOwner: UserRefSchema,
  owner: UserRefSchema,
  /** Who may open the instance's UI: PRIVATE (owner), ALL_USERS (signed-in users), PUBLIC (anyone, when enabled). */
  visibility: VisibilitySchema,
  /** ON_DEMAND: someone's own instance; MANAGED: the one shared instance of its app version (owned by the version's owner). */
  lifecycle: z.enum(['ON_DEMAND', 'MANAGED']),
  /** Runtime version name, e.g. `python-3.11`. */
  runtime: z.string(),
  status: InstanceStatusSchema,
  /**
   * Why the instance is in its status: the failure reason (with the last log lines), or the current
   * step — for those who may read its logs (owner, admins, the app version's owner); others get a
   * generic reason.
   */
  statusReason: z.string().nullable(),
  /**
   * Where users open it: its primary alias's URL when it has one, else `http://<id>.<AppsDomain>:<RouterPort>`
   * (DOMAIN) or `http://<AppsDomain>:<RouterPort>/instance/<id>/` (BASE_URL).
   */
  url: z.string(),
  /** DOMAIN: served at `<id>.<AppsDomain>` (its own origin); BASE_URL: at `<AppsDomain>/instance/<id>/`. */
  // defaults: events from a scheduler that predates routing modes (during a rolling upgrade) mean DOMAIN
  routingMode: RoutingModeSchema.default('DOMAIN'),
  /** The path the app is served under, given to it as `WHARF_BASE_PATH`: `/` or `/instance/<id>/`. */
  basePath: z.string().default('/'),
  /** The admin-managed aliases that serve it (`<alias>.<AppsDomain>`), primary first. */
  aliases: z.array(z.object({ name: z.string(), url: z.string(), primary: z.boolean() })),
  /** The alias its id host and its other aliases redirect to; null: none. */
  primaryAlias: z.string().nullable(),
  createdAt: z.string(),
  lastActivityAt: z.string(),
  /** Suspension for idleness: after how long, whether an admin turned it off, the app's keep-alive lease. */
  idle: InstanceIdleSchema,
  /** Things the caller should know, e.g. a deprecated runtime. */
  warnings: z.array(z.string()),
}).meta({ id: 'Instance' });
/** An instance as users see it (API answers): never where it listens. */
export type Instance = z.infer<typeof InstanceSchema>;

/**
 * An instance as the router needs it: with the internal address it proxies to. Only in the
 * router's lookup (`scheduler.instance.route.v1`) and in `events.instance.changed.v1`, never in
 * an answer to a user.
 */
export const RoutedInstanceSchema = InstanceSchema.extend({
  /** `host:port` the router proxies to; null while nothing listens (queued, suspended, failed). */
  address: z.string().nullable(),
});
export type RoutedInstance = z.infer<typeof RoutedInstanceSchema>;

export const RuntimeVersionSchema = z.object({
  name: z.string(),
  image: z.string(),
  default: z.boolean(),
  state: RuntimeStateSchema,
  stateReason: z.string().nullable(),
}).meta({ id: 'RuntimeVersion' });
export type RuntimeVersion = z.infer<typeof RuntimeVersionSchema>;

const ById = z.object({ id: InstanceIdSchema });

export const InstanceCreateRequestSchema = z.object({
  /**
   * The app version to run, as the user named it: its id, `name@version`, or `name` (the newest
   * version the caller sees). The scheduler asks the repository once, as the caller.
   */
  appVersionId: z.string().min(1).max(64),
  /** Runtime version name; default: the app's `RuntimeVersion`, else the catalogue's default. */
  runtime: RuntimeNameSchema.optional(),
  visibility: VisibilitySchema.default('PRIVATE'),
  /**
   * Makes a retried create safe: a second create by the same owner with the same key answers the
   * instance the first one made (while it exists) instead of starting another.
   */
  idempotencyKey: z.string().min(1).max(128).optional(),
});

export const InstanceListRequestSchema = PageRequestSchema.extend({
  /**
   * `mine` (default): the caller's instances; `app-owner`: instances of app versions the caller owns
   * (status and logs only); `all`: every instance (admins only).
   */
  scope: z.enum(['mine', 'app-owner', 'all']).default('mine'),
  /** Owner's `sub` (admins, with scope `all`). */
  user: z.string().max(200).optional(),
  appVersionId: z.string().max(64).optional(),
  appName: z.string().max(63).optional(),
  status: InstanceStatusSchema.optional(),
});

export const InstanceLogsRequestSchema = z.object({
  id: InstanceIdSchema,
  tail: z.coerce.number().int().min(1).max(10_000).default(200),
});

export const InstanceUpgradeRequestSchema = z
  .object({
    id: InstanceIdSchema,
    /** Another version of the same app: its id, `name@version` or `name` (asked of the repository once, as the caller). */
    appVersionId: z.string().min(1).max(64).optional(),
    /** Another runtime version. */
    runtime: RuntimeNameSchema.optional(),
  })
  .refine((b) => b.appVersionId !== undefined || b.runtime !== undefined, {
    message: 'give appVersionId, runtime or both',
    path: ['appVersionId'],
  });

/**
 * Who may read a secret through `[[Env]]`: apps by name (any version; only a name's owner and
 * admins publish versions of it) and app owners by user id (every app they publish). An app
 * that names a secret not granted to it does not start.
 */
export const SecretGrantsSchema = z
  .object({
    apps: z.array(AppNameSchema).max(500).default([]),
    owners: z.array(z.string().trim().min(1).max(200)).max(500).default([]),
  })
  .strict();
export type SecretGrants = z.output<typeof SecretGrantsSchema>;

export const SecretSummarySchema = z.object({
  name: SecretNameSchema,
  /** Key names only; values never leave the scheduler. */
  keys: z.array(z.string()),
  grants: z.object({ apps: z.array(z.string()), owners: z.array(z.string()) }),
  updatedAt: z.string(),
}).meta({ id: 'SecretSummary' });

export const SchedulerContracts = {
  /** How many live (not TERMINATED) instances an app version has; the repository's delete check. */
  countInstances: defineRequest(
    'scheduler.instance.count.v1',
    z.object({ appVersionId: z.string().min(1) }),
    z.object({ count: z.number().int().min(0) }),
  ),
  /** Starts an instance of an app version the caller can see. Answers at once (status QUEUED/PROVISIONING). */
  create: defineRequest('scheduler.instance.create.v1', InstanceCreateRequestSchema, InstanceSchema),
  /**
   * Whoever may see its status (access.ts): owner, admins, the app version's owner, and whoever
   * may open it (the router's rule, visitor grants included). No address; the status reason only
   * for those who may read its logs.
   */
  get: defineRequest('scheduler.instance.get.v1', ById, InstanceSchema),
  /**
   * The router's lookup: the records of the given instances, with no caller check (the router
   * authorizes each request itself). Missing or TERMINATED ids are absent from the answer.
   */
  route: defineRequest(
    'scheduler.instance.route.v1',
    z.object({ ids: z.array(InstanceIdSchema).min(1).max(500) }),
    z.object({ instances: z.array(RoutedInstanceSchema) }),
  ),
  /**
   * Where instances are served, for the gateway's share links (whose guests may not see the
   * instance): routing mode and base path only, no caller check, never an address or owner.
   * Missing or TERMINATED ids are absent from the answer.
   */
  locate: defineRequest(
    'scheduler.instance.locate.v1',
    z.object({ ids: z.array(InstanceIdSchema).min(1).max(100) }),
    z.object({ instances: z.array(z.object({ id: InstanceIdSchema, routingMode: RoutingModeSchema, basePath: z.string() })) }),
  ),
  list: defineRequest('scheduler.instance.list.v1', InstanceListRequestSchema, pageOf(InstanceSchema)),
  setVisibility: defineRequest(
    'scheduler.instance.set-visibility.v1',
    z.object({ id: InstanceIdSchema, visibility: VisibilitySchema }),
    InstanceSchema,
  ),
  /** Admin-only: turns suspension for idleness on (the app's or platform's timeout applies) or off for one instance. */
  setIdleSuspend: defineRequest(
    'scheduler.instance.set-idle-suspend.v1',
    z.object({ id: InstanceIdSchema, enabled: z.boolean() }),
    InstanceSchema,
  ),
  /** Stops the instance's processes, keeps its volume; frees a slot of the owner's limit. */
  suspend: defineRequest('scheduler.instance.suspend.v1', ById, InstanceSchema),
  /** Starts a SUSPENDED or FAILED instance again (takes a slot of the owner's limit). */
  resume: defineRequest('scheduler.instance.resume.v1', ById, InstanceSchema),
  /** Restarts the instance on another version of the same app and/or another runtime; keeps its volume. */
  upgrade: defineRequest('scheduler.instance.upgrade.v1', InstanceUpgradeRequestSchema, InstanceSchema),
  /** Stops everything and removes every file; answers the instance as TERMINATED, after which it is gone. */
  terminate: defineRequest('scheduler.instance.terminate.v1', ById, InstanceSchema),
  /**
   * The last `tail` log lines (owner, admins, the app version's owner). To follow, the gateway
   * proxies `GET <scheduler internal URL><followPath>?follow=1&tail=N` (followPath is
   * `/internal/instances/:id/logs`, no query) with header
   * `x-wharf-internal-token: signInternalToken(secret, caller, 'logs:<id>')`.
   */
  logs: defineRequest(
    'scheduler.instance.logs.v1',
    InstanceLogsRequestSchema,
    z.object({ id: InstanceIdSchema, lines: z.array(z.string()), followPath: z.string() }),
  ),
  /** The runtime catalogue (every signed-in user). */
  runtimes: defineRequest('scheduler.runtime.list.v1', z.object({}), pageOf(RuntimeVersionSchema)),
  /** Admin-only: creates or replaces a secret (all its keys) and who may read it (`grants`). */
  secretPut: defineRequest(
    'scheduler.secret.put.v1',
    z.object({
      name: SecretNameSchema,
      data: z.record(SecretKeySchema, z.string().max(64 * 1024)),
      /** Left out: a new secret is granted to nobody, a replaced one keeps its grants. */
      grants: SecretGrantsSchema.optional(),
    }),
    SecretSummarySchema,
  ),
  /** Admin-only: names and key names, never values. */
  secretList: defineRequest('scheduler.secret.list.v1', PageRequestSchema, pageOf(SecretSummarySchema)),
  secretDelete: defineRequest(
    'scheduler.secret.delete.v1',
    z.object({ name: SecretNameSchema }),
    z.object({ name: SecretNameSchema, deleted: z.literal(true) }),
  ),
  /** The caller's live instances against their limit (the leases and the rule the limit check uses), and the per-instance ceilings. */
  usage: defineRequest('scheduler.usage.get.v1', z.object({}), SchedulerUsageSchema),
  /**
   * Admin-only: the same for the given users (limits from the roles given) and for every other
   * user holding a slot (limit null: their roles are not known here).
   */
  usageList: defineRequest('scheduler.usage.list.v1', UsageListRequestSchema, SchedulerUsageSchema),
} as const;

export const INSTANCE_CHANGES = ['CREATED', 'STATUS', 'VISIBILITY', 'UPGRADED', 'TERMINATED', 'ALIASES'] as const;

/** Published on every status change (and on visibility changes, upgrades and changes of its aliases), by the replica that made it. */
export const InstanceChangedEvent = defineEvent(
  'events.instance.changed.v1',
  z.object({
    /** With the address (routers keep their directory from these events); internal, never shown to users. */
    instance: RoutedInstanceSchema,
    change: z.enum(INSTANCE_CHANGES),
    /** The status before the change (null on CREATED). */
    previousStatus: InstanceStatusSchema.nullable(),
    at: z.string(),
  }),
);

/**
 * The same change as `events.instance.changed.v1`, published right after it, with the instance as
 * users see it: no address (services that show instances to users must never learn where they
 * listen, and are not allowed to subscribe to `events.instance.changed.v1`). The status reason is
 * the full one (the launcher's current step, or the failure with the last log lines): the
 * listener gives it only to those who may read logs (access.ts), like the scheduler's answers.
 * The gateway streams it to browsers (`GET /api/v1/events`).
 */
export const InstanceUpdatedEvent = defineEvent(
  'events.instance.updated.v1',
  z.object({
    instance: InstanceSchema,
    change: z.enum(INSTANCE_CHANGES),
    previousStatus: InstanceStatusSchema.nullable(),
    at: z.string(),
  }),
);

/**
 * Published by every router replica every `Router.ActivityReportSeconds` for the instances it
 * served (requests, or websockets held open) since its last report. One scheduler replica moves
 * their `lastActivityAt` forward (no InstanceChangedEvent: activity is not a change of state).
 */
export const InstanceActivityEvent = defineEvent(
  'events.instance.activity.v1',
  z.object({ ids: z.array(InstanceIdSchema).min(1).max(1000), at: z.string() }),
);

/**
 * What a launcher POSTs to `<scheduler>/internal/instances/:id/status` with header
 * `x-wharf-internal-token` scoped `instance:status:<id>:<generation>`.
 */
export const LauncherStatusReportSchema = z.object({
  generation: z.number().int().min(0),
  status: z.enum(LAUNCHER_STATUSES),
  /** The current step ("Fetching bundle", …) or, for FAILED, the reason with the last log lines. */
  reason: z.string().max(16 * 1024).nullable(),
});
export type LauncherStatusReport = z.infer<typeof LauncherStatusReportSchema>;

/**
 * What a launcher POSTs to `<scheduler>/internal/instances/:id/keep-alive` (same token as its
 * status reports) when its app asks for a keep-alive lease: `minutes` from now, 0 to end it.
 */
export const KeepAliveRequestSchema = z.object({
  generation: z.number().int().min(0),
  minutes: z.number().int().min(0),
});

export const instanceStatusScope = (id: string, generation: number) => `instance:status:${id}:${generation}`;
export const instanceLogsScope = (id: string) => `logs:${id}`;
export const bundleReadScope = (appVersionId: string) => `bundle:read:${appVersionId}`;
