import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { INSTANCE_DRIVER, type InstanceDriver } from '../drivers/instance-driver';
import { LEASE_STORE, type LeaseStore } from '../leases/lease.store';
import { SCHEDULER_SETTINGS, type SchedulerSettings } from '../scheduler.config';
import { InstanceService } from './instance.service';

/**
 * Keeps the records true: reconciles at boot (adopting launchers that outlived a previous
 * scheduler, marking dead ones, restarting interrupted launches), then every ReconcileIntervalMs
 * and at once when the driver signals a change; reconciles leases at boot and every 30 s.
 * Never overlaps with itself; safe with any number of replicas (the driver locks per instance).
 */
@Injectable()
export class InstanceSupervisor implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly log = new Logger('Supervisor');
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;
  private again = false;
  private stopped = false;
  private lastLeaseCheck = 0;

  constructor(
    private readonly instances: InstanceService,
    @Inject(INSTANCE_DRIVER) private readonly driver: InstanceDriver,
    @Inject(LEASE_STORE) private readonly leases: LeaseStore,
    @Inject(SCHEDULER_SETTINGS) private readonly settings: SchedulerSettings,
  ) {}

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
          await this.instances.reconcile();
          if (Date.now() - this.lastLeaseCheck > 30_000) {
            this.lastLeaseCheck = Date.now();
            await this.instances.reconcileLeases();
          }
        } catch (e) {
          this.log.warn(`reconcile failed: ${e instanceof Error ? e.message : String(e)}`);
        }
      } while (this.again && !this.stopped);
    })().finally(() => (this.running = null));
    return this.running;
  }

  async onApplicationShutdown(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    await this.running;
    if (this.settings.scheduler.SuspendOnShutdown) await this.instances.suspendAll('the platform was stopped');
    await this.driver.close();
    await this.leases.close();
  }
}
