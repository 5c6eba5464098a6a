import { setTimeout as sleep } from 'node:timers/promises';
import { forwardRef, Inject, Injectable, Logger, Optional } from '@nestjs/common';
import {
  APP_NOT_VISIBLE,
  bundleReadScope,
  conflict,
  decodeCursor,
  encodeCursor,
  forbidden,
  instanceStatusScope,
  invalid,
  isAdmin,
  limitExceeded,
  notFound,
  RepositoryContracts,
  instanceIdentityKey,
  instanceAccess,
  instanceBasePath,
  signInternalToken,
  tagGrants,
  unauthenticated,
  visitorGrantMatters,
  WharfError,
  type AppVersion,
  type Caller,
  type EnvSpec,
  type Instance,
  type InstanceAccess,
  type InstanceAccessOptions,
  type ParsedRequestOf,
  type ResponseOf,
  type RoutedInstance,
  type SchedulerContracts,
  type RoutingMode,
  type Visibility,
} from '@wharf/contracts';
import type { LauncherCredentials } from '@wharf/contracts/launcher';
import { RpcClient, serviceMetrics } from '@wharf/nats';
import { INSTANCE_DRIVER, type InstanceDriver, type LaunchPlan, type RecordChange } from '../drivers/instance-driver';
import { LEASE_STORE, type LeaseStore } from '../leases/lease.store';
import { RuntimeCatalog, type ResolvedRuntime } from '../runtimes/runtime.catalog';
import { SCHEDULER_SETTINGS, type SchedulerSettings } from '../scheduler.config';
import { canonicalSecretRef } from '../secrets/secret-access';
import { SECRET_STORE, type SecretGrantee, type SecretRef, type SecretStore } from '../secrets/secret.store';
import { AliasService } from '../aliases/alias.service';
import { resolveAppFiles } from './app-files';
import { InstanceChanges } from './instance.changes';
import { idempotentInstanceId, isLive, managedInstanceId, newInstanceId, routingModeOf, toInstance, toRoutedInstance, type InstanceRecord } from './instance.record';
import { maxGpusFor, maxInstancesFor, resolveResources } from './limits.policy';

type ListQuery = ParsedRequestOf<typeof SchedulerContracts.list>;
type Usage = ResponseOf<typeof SchedulerContracts.usage>;
type UsageUser = ParsedRequestOf<typeof SchedulerContracts.usageList>['users'][number];

const RESERVED = 'WHARF_';

/**
 * Secrets are granted to an app name or to the owner of the app version (who wrote the code that
 * reads them); user secrets also by who runs the instance (PRIVATE, `~/<name>`). A record's
 * version passed this check from the repository's answer when it was created or upgraded
 * (launchSpec), so its name counts here.
 */
const secretGrantee = (r: Pick<InstanceRecord, 'appName' | 'appOwner' | 'owner'>): SecretGrantee => ({
  app: r.appName,
  owner: r.appOwner.sub,
  byNameOwner: true,
  instanceOwner: r.owner.sub,
});

function secretRefs(env: EnvSpec[]): SecretRef[] {
  return env.flatMap((e) => ('secret' in e ? [{ env: e.name, secret: e.secret, key: e.secretKey }] : []));
}

/** Env names the platform owns cannot come from an app (app.toml validation refuses them too). */
function checkEnvNames(env: EnvSpec[]): void {
  const bad = env.filter((e) => e.name.toUpperCase().startsWith(RESERVED) || e.name === 'PORT').map((e) => e.name);
  if (bad.length) {
    throw invalid(`env names ${bad.join(', ')} are reserved for the platform (${RESERVED}*, PORT); the app version cannot run`);
  }
}

const idempotencyKeyRefused = () => conflict('this idempotency key cannot be used; retry the create with another key');

/** Lists page by (createdAt, id), newest first. */
const cursorOf = (r: InstanceRecord) => encodeCursor([r.createdAt, r.id]);
/** Newest first; ties by id. */
const newestFirst = (a: InstanceRecord, b: InstanceRecord) =>
  a.createdAt === b.createdAt ? b.id.localeCompare(a.id) : b.createdAt.localeCompare(a.createdAt);

/**
 * Instances, as users ask for them (create, get, list, visibility, suspend, resume, upgrade,
 * terminate, logs): authorization, limits, runtimes, secrets and the transitions they make.
 * Everything that touches processes, files or the cluster goes through the driver; the per-user
 * limit through the lease store; app versions come from the repository with the caller's
 * identity, so the repository's visibility rules decide who may run what. What the driver
 * observes on its own (reconciliation, launcher reports, activity) is InstanceSupervisor's.
 */
@Injectable()
export class InstanceService {
  private readonly log = new Logger(InstanceService.name);

  constructor(
    @Inject(SCHEDULER_SETTINGS) private readonly settings: SchedulerSettings,
    @Inject(INSTANCE_DRIVER) private readonly driver: InstanceDriver,
    @Inject(LEASE_STORE) private readonly leases: LeaseStore,
    @Inject(SECRET_STORE) private readonly secrets: SecretStore,
    @Inject(RuntimeCatalog) private readonly catalog: RuntimeCatalog,
    @Inject(RpcClient) private readonly rpc: RpcClient,
    @Inject(InstanceChanges) private readonly changes: InstanceChanges,
    /** Aliases (left out in unit tests: none). */
    @Optional() @Inject(forwardRef(() => AliasService)) private readonly aliases?: AliasService,
  ) {
    // counted when scraped, from the driver's records (not kept up to date on every change)
    serviceMetrics().gauge(
      'wharf_instances',
      'Instances that are not terminated, by status and runtime',
      async (g) => {
        g.reset();
        for (const r of await this.driver.list()) if (r.status !== 'TERMINATED') g.inc({ status: r.status, runtime: r.runtime });
      },
      ['status', 'runtime'],
    );
  }

  private get cfg() {
    return this.settings.scheduler;
  }

  /**
   * The access rule's settings here: PUBLIC instances are open to anyone when this platform allows
   * them (Scheduler.AllowPublicInstances or Platform.AllowPublic). AdminsOpenPrivate
   * only changes who opens the UI (the router's question), never status, logs or managing.
   */
  private get accessOptions(): InstanceAccessOptions {
    return { allowPublic: this.cfg.AllowPublicInstances, adminsOpenPrivate: false };
  }

  /** For users: no address; the status reason only with `readLogs` (answers to managers and owners have it). */
  private wire(r: InstanceRecord, extraWarnings: string[] = [], readLogs = true): Instance {
    return toInstance(r, this.cfg, extraWarnings, readLogs, this.aliases?.of(r.id));
  }

  private now(): string {
    return new Date().toISOString();
  }

  // ---------------------------------------------------------------- reads

  /**
   * What the caller may do with `r` (libs/contracts access.ts, the rule the router applies too).
   * A visitor's access to an ALL_USERS instance depends on a tag on its app version granting one
   * of their roles: asked of the repository as that visitor, as the router does.
   */
  private async accessTo(caller: Caller | null, r: InstanceRecord): Promise<InstanceAccess> {
    const grant = visitorGrantMatters(caller, r, this.accessOptions) ? await this.visitorGrant(caller!, r.appVersionId) : false;
    return instanceAccess(caller, r, grant, this.accessOptions);
  }

  private async visitorGrant(caller: Caller, appVersionId: string): Promise<boolean> {
    try {
      // Seeing the version is not enough (a PUBLIC one is seen by everyone): a tag must grant the role.
      const app = await this.rpc.rpc(RepositoryContracts.get, { id: appVersionId }, caller);
      return tagGrants(caller, app.tags.flatMap((t) => t.visitorRoles));
    } catch (e) {
      if (WharfError.is(e) && APP_NOT_VISIBLE.includes(e.code)) return false;
      throw e;
    }
  }

  /**
   * The record and the caller's access if they may see it at all; NOT_FOUND otherwise (existence
   * is not leaked). Anonymous callers see only what the rule opens to them (PUBLIC, when allowed).
   */
  private async visible(caller: Caller | null, id: string): Promise<{ r: InstanceRecord; access: InstanceAccess }> {
    const r = await this.driver.get(id);
    const access = r && r.status !== 'TERMINATED' ? await this.accessTo(caller, r) : null;
    if (!r || !access?.seeStatus) throw caller ? notFound(`instance ${id} not found`) : unauthenticated('sign in to see instances');
    return { r, access };
  }

  /** The record if the caller may manage it: NOT_FOUND when they cannot see it, FORBIDDEN when they can but not manage. */
  private async manageable(caller: Caller | null, id: string): Promise<InstanceRecord & { caller: Caller }> {
    if (!caller) throw unauthenticated('sign in to change instances');
    const { r, access } = await this.visible(caller, id);
    if (!access.manage) throw forbidden(`only the owner of instance ${id} (${r.owner.name}) and admins can change it`);
    return { ...r, caller: caller! };
  }

  async get(caller: Caller | null, id: string): Promise<Instance> {
    const { r, access } = await this.visible(caller, id);
    return this.wire(r, [], access.readLogs);
  }

  /** The router's lookup (no caller check: the router authorizes every request itself), with addresses. */
  async route(ids: string[]): Promise<{ instances: RoutedInstance[] }> {
    return { instances: (await this.existing(ids)).map((r) => toRoutedInstance(r, this.cfg, [], this.aliases?.of(r.id))) };
  }

  /** The records of those of `ids` that exist and are not terminated, each once. */
  private async existing(ids: string[]): Promise<InstanceRecord[]> {
    const rows = await Promise.all([...new Set(ids)].map((id) => this.driver.get(id)));
    return rows.filter((r): r is InstanceRecord => !!r && r.status !== 'TERMINATED');
  }

  /** Where instances are served (the gateway's share links): no caller check, so nothing but the routing mode and base path. */
  async locate(ids: string[]): Promise<{ instances: { id: string; routingMode: RoutingMode; basePath: string }[] }> {
    return { instances: (await this.existing(ids)).map((r) => ({ id: r.id, routingMode: routingModeOf(r), basePath: instanceBasePath(r.id, routingModeOf(r)) })) };
  }

  async list(caller: Caller | null, q: ListQuery): Promise<{ items: Instance[]; nextCursor: string | null }> {
    if (!caller) throw unauthenticated('sign in to list instances');
    if (q.scope === 'all' && !isAdmin(caller)) throw forbidden('only admins list every instance (scope all)');
    if (q.user && q.scope !== 'all' && q.user !== caller.sub) throw forbidden("filtering by another user's instances needs scope all (admins)");
    let rows = (await this.driver.list()).filter((r) => r.status !== 'TERMINATED');
    rows = rows.filter((r) =>
      q.scope === 'mine' ? r.owner.sub === caller.sub : q.scope === 'app-owner' ? r.appOwner.sub === caller.sub : true,
    );
    if (q.user) rows = rows.filter((r) => r.owner.sub === q.user);
    if (q.appVersionId) rows = rows.filter((r) => r.appVersionId === q.appVersionId);
    if (q.appName) rows = rows.filter((r) => r.appName === q.appName);
    if (q.status) rows = rows.filter((r) => r.status === q.status);
    rows.sort(newestFirst);
    if (q.cursor) {
      const [createdAt, id] = decodeCursor(q.cursor, 2)!;
      rows = rows.filter((r) => r.createdAt < createdAt || (r.createdAt === createdAt && r.id < id));
    }
    const page = rows.slice(0, q.limit);
    // every scope lists instances the caller manages or owns the app of, who read logs; the rule still decides
    const readLogs = (r: InstanceRecord) => instanceAccess(caller, r, false, this.accessOptions).readLogs;
    return { items: page.map((r) => this.wire(r, [], readLogs(r))), nextCursor: rows.length > q.limit ? cursorOf(page[page.length - 1]!) : null };
  }

  async count(appVersionId: string): Promise<number> {
    return (await this.driver.list()).filter((r) => r.appVersionId === appVersionId && r.status !== 'TERMINATED').length;
  }

  async logs(caller: Caller | null, id: string, tail: number): Promise<{ id: string; lines: string[]; followPath: string }> {
    await this.authorizeLogs(caller, id);
    return { id, lines: await this.driver.readLogs(id, tail), followPath: `/internal/instances/${id}/logs` };
  }

  /** Logs: owner, admins, and the app version's owner (others who see the instance: FORBIDDEN). */
  async authorizeLogs(caller: Caller | null, id: string): Promise<void> {
    if (!caller) throw unauthenticated('sign in to read logs');
    const { access } = await this.visible(caller, id);
    if (!access.readLogs) throw forbidden(`only the owner of instance ${id}, the app's owner and admins read its logs`);
  }

  followLogs(id: string, tail: number, signal: AbortSignal): AsyncIterable<string> {
    return this.driver.followLogs(id, tail, signal);
  }

  // ---------------------------------------------------------------- usage

  /** The caller's live instances against their limit: the slots the limit check counts, the limit it applies. */
  async usage(caller: Caller | null): Promise<Usage> {
    if (!caller) throw unauthenticated('sign in to see your usage');
    return this.usageOf([{ sub: caller.sub, roles: caller.roles }], await this.leases.held(caller.sub), false);
  }

  /** Admins: the same for the given users, and for every other user who holds a slot (limit unknown: no roles here). */
  async usageList(caller: Caller | null, users: UsageUser[]): Promise<Usage> {
    if (!caller) throw unauthenticated('sign in to see usage');
    if (!isAdmin(caller)) throw forbidden("only admins see other users' usage");
    return this.usageOf(users, await this.leases.held(), true);
  }

  private async usageOf(users: UsageUser[], held: Map<string, string[]>, others: boolean): Promise<Usage> {
    const roles = new Map(users.map((u) => [u.sub, u.roles]));
    const subs = new Set([...roles.keys(), ...(others ? held.keys() : [])]);
    const live = (await this.driver.list()).filter((r) => isLive(r.status) && subs.has(r.owner.sub));
    return {
      users: [...subs].sort().map((sub) => {
        const mine = live.filter((r) => r.owner.sub === sub);
        const given = roles.get(sub);
        // the rule takeSlot applies, for a user with these roles
        const limit = given ? maxInstancesFor({ sub, name: sub, roles: given }, this.cfg) : null;
        return {
          sub,
          name: mine[0]?.owner.name ?? null,
          live: held.get(sub)?.length ?? 0,
          limit: limit && { max: limit.max, setting: limit.setting, reason: limit.role },
          memoryLimitBytes: mine.reduce((n, r) => n + r.launch.memoryLimitBytes, 0),
          memoryReservationBytes: mine.reduce((n, r) => n + (r.launch.memoryReservationBytes ?? 0), 0),
          gpus: mine.reduce((n, r) => n + r.launch.gpuCount, 0),
        };
      }),
      ceilings: {
        maxMemoryLimit: this.cfg.MaxMemoryLimit,
        maxMemoryReservation: this.cfg.MaxMemoryReservation,
        maxGpus: maxGpusFor(this.cfg, this.driver.capabilities),
      },
    };
  }

  // ---------------------------------------------------------------- launches

  /**
   * The app version `ref` names (its id, `name@version`, or `name` for the newest the caller sees),
   * asked of the repository once, as the caller: NOT_FOUND / FORBIDDEN from the repository pass
   * through (its visibility rules decide), and the answer carries the manifest a launch needs.
   */
  private async appVersion(caller: Caller, ref: string): Promise<AppVersion> {
    return this.rpc.rpc(RepositoryContracts.get, { id: ref }, caller);
  }

  /** Everything a launch of `app` on `runtime` needs, checked: resources against ceilings, env names, secrets present. */
  private async launchSpec(app: AppVersion, runtime: ResolvedRuntime, instanceOwner: string): Promise<InstanceRecord['launch']> {
    const res = resolveResources(
      { memoryLimit: app.runtime.memoryLimit, memoryReservation: app.runtime.memoryReservation, gpuCount: app.runtime.gpuCount, gpuType: app.runtime.gpuType },
      this.cfg,
      { name: this.driver.name, maxGpus: this.driver.capabilities.maxGpus },
    );
    checkEnvNames(app.env);
    // a secret that is missing or not granted to this app (name or owner) fails here, before anything starts
    const grantee = { app: app.name, owner: app.owner.sub, byNameOwner: app.byNameOwner !== false, instanceOwner };
    await this.secrets.resolve(secretRefs(app.env), grantee);
    await resolveAppFiles(this.secrets, app.files ?? [], grantee);
    return {
      module: app.runtime.module,
      sha256: app.sha256,
      image: runtime.image,
      python: runtime.python,
      memoryLimitBytes: res.memoryLimitBytes,
      memoryReservationBytes: res.memoryReservationBytes,
      gpuCount: res.gpuCount,
      gpuType: res.gpuType,
      volumeMount: app.runtime.volumeMount,
      volumeSize: app.runtime.volumeSize,
      env: app.env,
      files: app.files ?? [],
      idleTimeoutMinutes: app.runtime.instanceTimeoutMinutes ?? null,
    };
  }

  /**
   * Tokens and env for one start of `r` (built inside the driver's lock, for the generation being
   * started); the supervisor's restarts use it too.
   */
  readonly planFor = async (r: InstanceRecord): Promise<LaunchPlan> => {
    const secret = this.settings.platform.InternalSecret;
    // The app's own variables travel apart from the launcher's: they never become the launcher's
    // environment (a PATH, NODE_OPTIONS or LD_PRELOAD of the app's must not change what it runs).
    const appEnv: Record<string, string> = {};
    for (const e of r.launch.env) if ('value' in e) appEnv[e.name] = e.value;
    const refs = secretRefs(r.launch.env);
    const values = await this.secrets.resolve(refs, secretGrantee(r));
    // `~/<name>` as `<owner>/<name>`: the Kubernetes driver has the pod read that user's Secret
    const appSecrets = refs.map((ref) => ({ ...canonicalSecretRef(ref, r.owner.sub), value: values[ref.env]! }));
    const env: LauncherCredentials = {
      WHARF_BUNDLE_URL: `${this.cfg.repositoryUrl}/internal/bundles/${encodeURIComponent(r.appVersionId)}`,
      WHARF_BUNDLE_TOKEN: signInternalToken(secret, null, bundleReadScope(r.appVersionId), this.cfg.BundleTokenTtlSeconds),
      WHARF_STATUS_URL: `${this.cfg.internalUrl}/internal/instances/${r.id}/status`,
      WHARF_STATUS_TOKEN: signInternalToken(secret, null, instanceStatusScope(r.id, r.generation), this.cfg.StatusTokenTtlSeconds),
      // verifies the X-Wharf-Identity tokens the router adds to every request (see instance-identity.ts)
      WHARF_IDENTITY_KEY: instanceIdentityKey(secret, r.id).toString('base64url'),
    };
    const appFiles = await resolveAppFiles(this.secrets, r.launch.files, secretGrantee(r));
    return { env, appEnv, appSecrets, appFiles };
  };

  private driverWarnings(): string[] {
    return this.driver.capabilities.memoryWarning ? [this.driver.capabilities.memoryWarning] : [];
  }

  /**
   * Where instances of `app` are served: its `[Runtime] RoutingMode`, else the platform's
   * `RoutingMode`; a mode the platform does not offer (`RoutingModes`) is refused before anything
   * is made.
   */
  private routingModeFor(app: AppVersion): RoutingMode {
    const mode = app.runtime.routingMode ?? this.cfg.RoutingMode;
    const offered = this.cfg.RoutingModes ?? [this.cfg.RoutingMode];
    if (!offered.includes(mode)) {
      throw invalid(
        `${app.name} ${app.version} asks to be served in ${mode} mode ([Runtime] RoutingMode in its app.toml), which this platform does not offer (it serves ${offered.join(' and ')}): ` +
          `import a version without RoutingMode, or ask an administrator to add ${mode} to Scheduler.RoutingModes`,
        { routingMode: mode, routingModes: offered },
      );
    }
    return mode;
  }

  /** Takes a slot of the owner's limit for `id`, or LIMIT_EXCEEDED naming the limit and the count. */
  private async takeSlot(caller: Caller, ownerSub: string, id: string): Promise<void> {
    // An admin acting on someone else's instance is not held to a limit (theirs is unknown here).
    const { max, role } = caller.sub === ownerSub ? maxInstancesFor(caller, this.cfg) : { max: null, role: '' };
    const lease = await this.leases.acquire(ownerSub, id, max);
    if (!lease.acquired) {
      throw limitExceeded(
        `you already have ${lease.count} running instance${lease.count === 1 ? '' : 's'}; ${role} may run at most ${max} at a time. Suspend or terminate one first.`,
        { limit: max, running: lease.count, role },
      );
    }
  }

  async create(caller: Caller | null, body: ParsedRequestOf<typeof SchedulerContracts.create>): Promise<Instance> {
    if (!caller) throw unauthenticated('sign in to run apps');
    // the app first: one that the caller cannot see is NOT_FOUND whatever else the request asks
    const app = await this.appVersion(caller, body.appVersionId);
    if (app.runtime.lifecycle === 'LINK') {
      throw invalid(`${app.name} ${app.version} is a link to ${app.runtime.linkAddress ?? 'another site'}, not an app that runs on Wharf: open that address instead`, {
        lifecycle: 'LINK',
        link: app.runtime.linkAddress,
      });
    }
    if (app.runtime.lifecycle === 'MANAGED') return this.openManaged(caller, app, body);
    if (body.visibility === 'PUBLIC' && !this.cfg.AllowPublicInstances) {
      throw forbidden('public instances are disabled on this platform (Scheduler.AllowPublicInstances)');
    }
    const routingMode = this.routingModeFor(app);
    const runtime = this.catalog.resolve(body.runtime, app.runtime.runtimeVersion);
    const launch = await this.launchSpec(app, runtime, caller.sub);
    const key = body.idempotencyKey;
    const id = key ? idempotentInstanceId(caller.sub, key) : newInstanceId();
    if (key) {
      const same = await this.driver.get(id);
      if (same && same.status !== 'TERMINATED') return this.wire(this.ownedBy(caller, same));
    }
    await this.takeSlot(caller, caller.sub, id); // idempotent per id: racing creates of one key share one slot
    const record = this.newRecord(app, runtime, launch, { id, owner: { sub: caller.sub, name: caller.name }, visibility: body.visibility, idempotencyKey: body.idempotencyKey ?? null, routingMode });
    let started: InstanceRecord;
    try {
      started = await this.driver.create(record, this.planFor);
    } catch (e) {
      // Another create with the same idempotency key won the id: answer its instance (its slot is this slot).
      if (key && WharfError.is(e, 'CONFLICT')) {
        const winner = await this.raceWinner(id);
        if (winner.owner.sub === caller.sub) return this.wire(winner);
      }
      await this.changes.releaseSlot(caller.sub, id);
      throw key && WharfError.is(e, 'CONFLICT') ? idempotencyKeyRefused() : e;
    }
    this.log.log(`instance ${id} of ${app.name}@${app.version} for ${caller.name} on ${runtime.name}`);
    await this.changes.publish(started, 'CREATED', null);
    return this.wire(started);
  }

  /** A new instance of `app` on `runtime`, QUEUED at generation 1. */
  private newRecord(
    app: AppVersion,
    runtime: ResolvedRuntime,
    launch: InstanceRecord['launch'],
    who: Pick<InstanceRecord, 'id' | 'owner' | 'visibility' | 'lifecycle' | 'idempotencyKey' | 'routingMode'>,
  ): InstanceRecord {
    const now = this.now();
    return {
      ...who,
      appVersionId: app.id,
      appName: app.name,
      appVersion: app.version,
      appOwner: app.owner,
      runtime: runtime.name,
      status: 'QUEUED',
      statusReason: null,
      address: null,
      createdAt: now,
      updatedAt: now,
      lastActivityAt: now,
      warnings: [...runtime.warnings, ...this.driverWarnings()],
      generation: 1,
      launch,
    };
  }

  /**
   * Run on a MANAGED app version: its one instance (the id is derived from the version, so every
   * replica races for the same one), opened by everyone who may see the version. Only the version's
   * owner and admins start it; it belongs to the version's owner and is shared as widely as the
   * version is visible. Everyone else gets the running one, or is told who starts it.
   */
  private async openManaged(caller: Caller, app: AppVersion, body: ParsedRequestOf<typeof SchedulerContracts.create>): Promise<Instance> {
    const id = managedInstanceId(app.id);
    const existing = await this.driver.get(id);
    if (existing && existing.status !== 'TERMINATED') {
      const access = await this.accessTo(caller, existing);
      return this.wire(existing, [], access.readLogs);
    }
    if (caller.sub !== app.owner.sub && !isAdmin(caller)) {
      throw conflict(
        `${app.title} runs as one shared instance, which its owner (${app.owner.name}) or an admin starts; it is not running now: ask them to start it`,
        { lifecycle: 'MANAGED', owner: app.owner.name },
      );
    }
    const routingMode = this.routingModeFor(app);
    const runtime = this.catalog.resolve(body.runtime, app.runtime.runtimeVersion);
    const launch = await this.launchSpec(app, runtime, app.owner.sub);
    await this.takeSlot(caller, app.owner.sub, id);
    // as widely as the version is seen: PUBLIC versions only where public instances are allowed
    const visibility: Visibility = app.visibility === 'PUBLIC' && !this.cfg.AllowPublicInstances ? 'ALL_USERS' : app.visibility;
    const record = this.newRecord(app, runtime, launch, { id, owner: app.owner, visibility, lifecycle: 'MANAGED', idempotencyKey: null, routingMode });
    let started: InstanceRecord;
    try {
      started = await this.driver.create(record, this.planFor);
    } catch (e) {
      // another replica (or a second click) started it first: open that one
      if (WharfError.is(e, 'CONFLICT')) return this.wire(await this.raceWinner(id));
      await this.changes.releaseSlot(app.owner.sub, id);
      throw e;
    }
    this.log.log(`managed instance ${id} of ${app.name}@${app.version} started by ${caller.name} on ${runtime.name}`);
    await this.changes.publish(started, 'CREATED', null);
    return this.wire(started);
  }

  /**
   * An idempotency key answers only the caller's own instance: an id taken by anyone else's (an id
   * collision) is refused without telling whose it is or what it runs.
   */
  private ownedBy(caller: Caller, r: InstanceRecord): InstanceRecord {
    if (r.owner.sub !== caller.sub) throw idempotencyKeyRefused();
    return r;
  }

  /** The record a concurrent create with the same idempotency key is writing (it may take a moment to appear). */
  private async raceWinner(id: string): Promise<InstanceRecord> {
    for (let i = 0; i < 100; i++) {
      const r = await this.driver.get(id);
      if (r) return r;
      await sleep(20);
    }
    throw conflict(`a create with this idempotency key is still in progress (instance ${id}); retry`);
  }

  async setVisibility(caller: Caller | null, id: string, visibility: Visibility): Promise<Instance> {
    await this.manageable(caller, id);
    if (visibility === 'PUBLIC' && !this.cfg.AllowPublicInstances) {
      throw forbidden('public instances are disabled on this platform (Scheduler.AllowPublicInstances)');
    }
    const change = await this.driver.update(id, (r) => (r.visibility === visibility ? null : { ...r, visibility, updatedAt: this.now() }));
    if (!change) throw notFound(`instance ${id} not found`);
    if (change.after !== change.before) await this.changes.publish(change.after, 'VISIBILITY', change.before.status);
    return this.wire(change.after);
  }

  /** Admin-only: suspension for idleness on (the app's or the platform's timeout) or off for this instance. */
  async setIdleSuspend(caller: Caller | null, id: string, enabled: boolean): Promise<Instance> {
    if (!caller) throw unauthenticated('sign in to change instances');
    if (!isAdmin(caller)) throw forbidden('only admins turn idle suspension on or off for an instance');
    const change = await this.driver.update(id, (r) =>
      r.status === 'TERMINATED' || (r.idleSuspendDisabled ?? false) === !enabled ? null : { ...r, idleSuspendDisabled: !enabled, updatedAt: this.now() },
    );
    if (!change) throw notFound(`instance ${id} not found`);
    return this.wire(change.after);
  }

  async suspend(caller: Caller | null, id: string): Promise<Instance> {
    const r = await this.manageable(caller, id);
    if (r.status === 'SUSPENDED') return this.wire(r);
    const change = await this.driver.stop(id, (cur) =>
      isLive(cur.status) || cur.status === 'FAILED'
        ? { ...cur, status: 'SUSPENDED', statusReason: `suspended by ${r.caller.name}`, address: null, updatedAt: this.now(), lastActivityAt: this.now() }
        : null,
    );
    await this.changes.changed(change, 'STATUS');
    return this.wire(change.after);
  }

  async resume(caller: Caller | null, id: string): Promise<Instance> {
    const r = await this.manageable(caller, id);
    if (isLive(r.status)) return this.wire(r);
    const runtime = this.catalog.resolve(r.runtime, null);
    await this.secrets.resolve(secretRefs(r.launch.env), secretGrantee(r));
    await resolveAppFiles(this.secrets, r.launch.files, secretGrantee(r));
    await this.takeSlot(r.caller, r.owner.sub, id);
    let change: RecordChange;
    try {
      change = await this.driver.start(
        id,
        (cur) =>
          cur.status === 'SUSPENDED' || cur.status === 'FAILED'
            ? {
                ...cur,
                generation: cur.generation + 1,
                status: 'PROVISIONING',
                statusReason: 'Starting the launcher',
                keepAliveUntil: null,
                lastActivityAt: this.now(),
                warnings: [...runtime.warnings, ...this.driverWarnings()],
              }
            : null,
        this.planFor,
      );
    } catch (e) {
      await this.changes.releaseSlot(r.owner.sub, id);
      throw e;
    }
    await this.changes.changed(change, 'STATUS');
    return this.wire(change.after);
  }

  async upgrade(caller: Caller | null, body: ParsedRequestOf<typeof SchedulerContracts.upgrade>): Promise<Instance> {
    if (!caller) throw unauthenticated('sign in to change instances');
    // the version first (as the REST API always answered): one the caller cannot see is NOT_FOUND
    const app = body.appVersionId ? await this.appVersion(caller, body.appVersionId) : null;
    const r = await this.manageable(caller, body.id);
    if (app && app.name !== r.appName) {
      throw invalid(`an instance of ${r.appName} can only be upgraded to another version of ${r.appName}, not to ${app.name}`);
    }
    if (app && app.id !== r.appVersionId && r.lifecycle === 'MANAGED') {
      throw invalid(
        `instance ${r.id} is the shared (MANAGED) instance of ${r.appName} ${r.appVersion} and runs that version only: run ${app.name} ${app.version} to start its own shared instance, then terminate this one`,
      );
    }
    if (app?.runtime.lifecycle === 'LINK' || (app && app.runtime.lifecycle === 'MANAGED' && r.lifecycle !== 'MANAGED')) {
      throw invalid(`${app.name} ${app.version} is a ${app.runtime.lifecycle} app: an instance of one's own cannot be moved to it; Run it instead`);
    }
    const routingMode = app ? this.routingModeFor(app) : routingModeOf(r);
    if (routingMode === 'BASE_URL' && routingModeOf(r) !== 'BASE_URL') {
      const names = this.aliases?.of(r.id).names ?? [];
      if (names.length) {
        throw invalid(
          `${app!.name} ${app!.version} is served in BASE_URL mode, and aliases (${names.join(', ')}) serve instance ${r.id}: an alias is a host name and serves DOMAIN instances only; delete the aliases or move them to another instance first`,
        );
      }
    }
    const runtime = this.catalog.resolve(body.runtime ?? r.runtime, null);
    const launch = app
      ? await this.launchSpec(app, runtime, r.owner.sub)
      : { ...r.launch, image: runtime.image, python: runtime.python };
    if (!app) await this.secrets.resolve(secretRefs(r.launch.env), secretGrantee(r));
    if (!app) await resolveAppFiles(this.secrets, r.launch.files, secretGrantee(r));
    await this.takeSlot(r.caller, r.owner.sub, r.id); // idempotent while it runs; takes a slot when it does not
    let change: RecordChange;
    try {
      change = await this.driver.start(
        r.id,
        (cur) =>
          cur.status === 'TERMINATED'
            ? null
            : {
                ...cur,
                appVersionId: app?.id ?? cur.appVersionId,
                appVersion: app?.version ?? cur.appVersion,
                appOwner: app?.owner ?? cur.appOwner,
                runtime: runtime.name,
                launch,
                routingMode,
                generation: cur.generation + 1,
                status: 'PROVISIONING',
                keepAliveUntil: null,
                statusReason: `Upgrading to ${app ? `${app.name}@${app.version}` : cur.appVersion} on ${runtime.name}`,
                address: null,
                warnings: [...runtime.warnings, ...this.driverWarnings()],
              },
        this.planFor,
      );
    } catch (e) {
      if (!isLive(r.status)) await this.changes.releaseSlot(r.owner.sub, r.id);
      throw e;
    }
    await this.changes.changed(change, 'UPGRADED');
    return this.wire(change.after);
  }

  async terminate(caller: Caller | null, id: string): Promise<Instance> {
    const r = await this.manageable(caller, id);
    const last = (await this.driver.terminate(id)) ?? r;
    await this.changes.releaseSlot(r.owner.sub, id);
    const gone: InstanceRecord = { ...last, status: 'TERMINATED', statusReason: `terminated by ${r.caller.name}`, address: null, updatedAt: this.now() };
    await this.changes.publish(gone, 'TERMINATED', r.status);
    await this.unassignAliases(id, r.caller);
    return this.wire(gone, [], true);
  }

  /** A terminated instance's aliases point at nothing (404) until an admin moves them; a failure is only logged. */
  async unassignAliases(id: string, by: { sub: string; name: string }): Promise<void> {
    try {
      await this.aliases?.unassignInstance(id, { sub: by.sub, name: by.name });
    } catch (e) {
      this.log.warn(`instance ${id}: could not unassign its aliases: ${e instanceof Error ? e.message : String(e)}`);
    }
  }
}
