import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { conflict, invalid, notFound, type LauncherStatusReport } from '@wharf/contracts';
import { CLOCK, type Clock } from '../common/clock';
import { INSTANCE_DRIVER, type InstanceDriver, type Observation } from '../drivers/instance-driver';
import { LEASE_STORE, type LeaseStore } from '../leases/lease.store';
import { SCHEDULER_SETTINGS, type SchedulerSettings } from '../scheduler.config';
import { InstanceChanges } from './instance.changes';
import { idleReason, idleTimeoutOf, isLive, isProgress, type InstanceRecord } from './instance.record';
import { InstanceService } from './instance.service';

/** How often idle instances are looked for (idle timeouts are whole minutes). */
const IDLE_CHECK_MS = 10_000;
const isoNow = () => new Date().toISOString();
const message = (e: unknown) => (e instanceof Error ? e.message : String(e));

/**
 * Keeps the records true; the work no user request asks for: what the driver observes
 * (`driver.reconcile()`: adopted launchers, dead ones, interrupted terminations, launches a dead
 * scheduler left unstarted), launcher reports, the routers' activity, apps' keep-alive leases, the
 * suspension of idle instances, lease repair and the suspension of everything at shutdown
 * (SuspendOnShutdown).
 *
 * The loop: a pass at boot, then every ReconcileIntervalMs and at once when the driver signals a
 * change; leases are reconciled at boot and every 30 s. Never overlaps with itself; safe with any
 * number of replicas (the driver locks per instance). Requests are InstanceService's.
 */
@Injectable()
export class InstanceSupervisor implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly log = new Logger('Supervisor');
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;
  private again = false;
  private stopped = false;
  private lastLeaseCheck = 0;
  private lastIdleCheck = 0;

  constructor(
    @Inject(InstanceService) private readonly instances: InstanceService,
    @Inject(InstanceChanges) private readonly changes: InstanceChanges,
    @Inject(INSTANCE_DRIVER) private readonly driver: InstanceDriver,
    @Inject(LEASE_STORE) private readonly leases: LeaseStore,
    @Inject(SCHEDULER_SETTINGS) private readonly settings: SchedulerSettings,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  // ---------------------------------------------------------------- the loop

  async onApplicationBootstrap(): Promise<void> {
    this.driver.subscribe?.(() => this.kick());
    await this.pass();
    this.schedule();
  }

  /** Reconcile soon (debounced to one pass at a time). */
  kick(): void {
    if (this.stopped) return;
    if (this.running) {
      this.again = true;
      return;
    }
    void this.pass();
  }

  private schedule(): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      void this.pass().finally(() => this.schedule());
    }, this.settings.scheduler.ReconcileIntervalMs);
    this.timer.unref();
  }

  /** One pass; concurrent callers share it. */
  pass(): Promise<void> {
    if (this.running) return this.running;
    this.running = (async () => {
      do {
        this.again = false;
        try {
          await this.reconcile();
          if (Date.now() - this.lastIdleCheck >= IDLE_CHECK_MS) {
            this.lastIdleCheck = Date.now();
            await this.suspendIdle();
          }
          if (Date.now() - this.lastLeaseCheck > 30_000) {
            this.lastLeaseCheck = Date.now();
            await this.reconcileLeases();
          }
        } catch (e) {
          this.log.warn(`reconcile failed: ${message(e)}`);
        }
      } while (this.again && !this.stopped);
    })().finally(() => (this.running = null));
    return this.running;
  }

  async onApplicationShutdown(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    await this.running;
    if (this.settings.scheduler.SuspendOnShutdown) await this.suspendAll('the platform was stopped');
    await this.driver.close();
    await this.leases.close();
  }

  // ---------------------------------------------------------------- observations

  /** One reconciliation pass over what the driver observed: changes, terminations, unstarted launches. */
  async reconcile(): Promise<void> {
    const observations: Observation[] = await this.driver.reconcile();
    for (const o of observations) {
      try {
        if (o.kind === 'changed') await this.changes.changed(o, 'STATUS');
        else if (o.kind === 'terminated') {
          await this.changes.releaseSlot(o.record.owner.sub, o.record.id);
          await this.changes.publish({ ...o.record, status: 'TERMINATED', statusReason: null, address: null }, 'TERMINATED', null);
          await this.instances.unassignAliases(o.record.id, { sub: 'wharf:scheduler', name: 'Wharf' });
        } else await this.restartUnstarted(o.record);
      } catch (e) {
        this.log.warn(`reconcile ${o.kind} ${o.kind === 'changed' ? o.after.id : o.record.id}: ${message(e)}`);
      }
    }
  }

  /** A live record with no launcher for its generation: the scheduler died mid-launch. Start it now. */
  private async restartUnstarted(r: InstanceRecord): Promise<void> {
    this.log.log(`instance ${r.id} was never started (generation ${r.generation}); starting it now`);
    try {
      const change = await this.driver.start(
        r.id,
        (cur) =>
          cur.generation === r.generation && isLive(cur.status)
            ? { ...cur, generation: cur.generation + 1, status: 'PROVISIONING', statusReason: 'Starting the launcher (after a scheduler restart)' }
            : null,
        this.instances.planFor,
      );
      await this.changes.changed(change, 'STATUS');
    } catch (e) {
      const reason = `could not start the instance: ${message(e)}`;
      const change = await this.driver.update(r.id, (cur) =>
        isLive(cur.status) ? { ...cur, status: 'FAILED', statusReason: reason, address: null, updatedAt: isoNow() } : null,
      );
      if (change) await this.changes.changed(change, 'STATUS');
    }
  }

  /** A launcher's report (already authenticated for this instance and generation). */
  async reportStatus(id: string, report: LauncherStatusReport): Promise<void> {
    const change = await this.driver.update(id, (cur) =>
      cur.generation === report.generation && isProgress(cur.status, report.status, cur.statusReason, report.reason)
        ? {
            ...cur,
            status: report.status,
            statusReason: report.reason,
            address: report.status === 'FAILED' ? null : cur.address,
            updatedAt: isoNow(),
            lastActivityAt: isoNow(),
          }
        : null,
    );
    if (!change || change.before.status === 'TERMINATED') throw notFound(`instance ${id} not found`);
    if (change.before.generation !== report.generation) {
      throw conflict(`instance ${id} runs generation ${change.before.generation}; this report is for ${report.generation}`);
    }
    await this.changes.changed(change, 'STATUS');
  }

  /**
   * Traffic the routers saw since their last report: moves `lastActivityAt` to now, by this
   * scheduler's clock (never back; unknown and terminated ids are ignored). The routers' own
   * clocks are not trusted: they may be skewed, and a report is at most `ActivityReportSeconds`
   * old, which `IdleGraceSeconds` covers.
   */
  async touch(ids: string[]): Promise<void> {
    const iso = new Date(this.clock.now()).toISOString();
    for (const id of new Set(ids)) {
      await this.driver.update(id, (r) => (r.status === 'TERMINATED' || r.lastActivityAt >= iso ? null : { ...r, lastActivityAt: iso }));
    }
  }

  /**
   * The app's keep-alive lease (through its launcher, authenticated for this instance and
   * generation): not suspended for idleness for `minutes` from now (at most MaxKeepAliveMinutes);
   * 0 ends the lease. Answers until when.
   */
  async keepAlive(id: string, generation: number, minutes: number): Promise<{ until: string | null }> {
    const max = this.settings.scheduler.MaxKeepAliveMinutes;
    if (minutes > max) {
      throw invalid(`a keep-alive lease lasts at most ${max} minutes on this platform (Scheduler.MaxKeepAliveMinutes); renew it before it ends`, {
        limit: 'MaxKeepAliveMinutes',
        requested: minutes,
        allowed: max,
      });
    }
    const until = minutes === 0 ? null : new Date(this.clock.now() + minutes * 60_000).toISOString();
    const change = await this.driver.update(id, (cur) =>
      cur.generation === generation && cur.status !== 'TERMINATED' ? { ...cur, keepAliveUntil: until } : null,
    );
    if (!change || change.before.status === 'TERMINATED') throw notFound(`instance ${id} not found`);
    if (change.before.generation !== generation) {
      throw conflict(`instance ${id} runs generation ${change.before.generation}; this lease is for ${generation}`);
    }
    return { until };
  }

  /**
   * Suspends RUNNING instances nobody used for their idle timeout (plus IdleGraceSeconds, for
   * traffic the routers have not reported yet) and whose app holds no keep-alive lease. The
   * decision is made again inside the driver's per-instance lock on the record as it is then, so
   * any number of replicas may run this at once: traffic reported in between keeps it running, and
   * only one of them suspends it.
   */
  async suspendIdle(): Promise<void> {
    const defaultTimeout = this.settings.scheduler.IdleTimeoutMinutes;
    const graceMs = this.settings.scheduler.IdleGraceSeconds * 1000;
    const idleFor = (r: InstanceRecord, now: number): number | null => {
      const minutes = idleTimeoutOf(r, defaultTimeout);
      if (r.status !== 'RUNNING' || minutes === null) return null;
      if (r.keepAliveUntil && Date.parse(r.keepAliveUntil) > now) return null;
      const quiet = now - Math.max(Date.parse(r.lastActivityAt), r.keepAliveUntil ? Date.parse(r.keepAliveUntil) : 0);
      return quiet > minutes * 60_000 + graceMs ? minutes : null;
    };
    const now = this.clock.now();
    for (const r of await this.driver.list()) {
      if (idleFor(r, now) === null) continue;
      try {
        let minutes: number | null = null;
        const change = await this.driver.stop(r.id, (cur) => {
          minutes = idleFor(cur, this.clock.now());
          return minutes === null ? null : { ...cur, status: 'SUSPENDED', statusReason: idleReason(minutes), address: null, updatedAt: isoNow() };
        });
        if (change.after === change.before) continue;
        this.log.log(`instance ${r.id} suspended: ${idleReason(minutes!)}`);
        await this.changes.changed(change, 'STATUS');
      } catch (e) {
        this.log.warn(`could not suspend idle instance ${r.id}: ${message(e)}`);
      }
    }
  }

  /** Makes the lease sets match the live instances (frees leases of launches that died half-way). */
  async reconcileLeases(): Promise<void> {
    const live = new Map<string, Set<string>>();
    for (const r of await this.driver.list()) {
      if (!isLive(r.status)) continue;
      const set = live.get(r.owner.sub) ?? new Set<string>();
      set.add(r.id);
      live.set(r.owner.sub, set);
    }
    await this.leases.reconcile(live, this.settings.scheduler.LeaseGraceSeconds * 1000);
  }

  /** Suspends every live instance (SuspendOnShutdown). */
  async suspendAll(why: string): Promise<void> {
    for (const r of await this.driver.list()) {
      if (!isLive(r.status)) continue;
      try {
        const change = await this.driver.stop(r.id, (cur) =>
          isLive(cur.status) ? { ...cur, status: 'SUSPENDED', statusReason: why, address: null, updatedAt: isoNow() } : null,
        );
        await this.changes.changed(change, 'STATUS');
      } catch (e) {
        this.log.warn(`could not suspend ${r.id}: ${message(e)}`);
      }
    }
  }
}
