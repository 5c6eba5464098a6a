import { Inject, Injectable, Logger, Optional } from '@nestjs/common';
import { InstanceChangedEvent, InstanceUpdatedEvent, type Instance } from '@wharf/contracts';
import { RpcClient, serviceMetrics } from '@wharf/nats';
import type { RecordChange } from '../drivers/instance-driver';
import { ALIAS_STORE, type KvAliasStore } from '../aliases/kv-alias.store';
import { LEASE_STORE, type LeaseStore } from '../leases/lease.store';
import { SCHEDULER_SETTINGS, type SchedulerSettings } from '../scheduler.config';
import { isLive, toInstance, toRoutedInstance, type InstanceRecord } from './instance.record';

export type Change = 'CREATED' | 'STATUS' | 'VISIBILITY' | 'UPGRADED' | 'TERMINATED' | 'ALIASES';

/**
 * What follows a stored change, whoever made it (a request in InstanceService, an observation in
 * InstanceSupervisor): the owner's slot is given back when the instance stops being live, and
 * `events.instance.changed.v1` (with the address, for the routers) then `events.instance.updated.v1`
 * (without it, for the gateway's live events) are published.
 */
@Injectable()
export class InstanceChanges {
  private readonly log = new Logger('InstanceChanges');

  constructor(
    @Inject(SCHEDULER_SETTINGS) private readonly settings: SchedulerSettings,
    @Inject(LEASE_STORE) private readonly leases: LeaseStore,
    @Inject(RpcClient) private readonly rpc: RpcClient,
    /** The alias table's copy in memory (left out in unit tests: no aliases). */
    @Optional() @Inject(ALIAS_STORE) private readonly aliases?: Pick<KvAliasStore, 'of'>,
  ) {}

  /** After a stored change: free the slot when the instance stopped being live, publish the event. */
  /** Starts (runs, resumes, upgrades) by how they ended, and how long a new instance took from Run to RUNNING. */
  private readonly starts = serviceMetrics().counter('wharf_instance_starts_total', 'Instance starts (runs, resumes, upgrades) by outcome: RUNNING or FAILED', ['outcome']);
  private readonly runToRunning = serviceMetrics().histogram('wharf_instance_run_to_running_seconds', 'From Run to RUNNING, for new instances', [0.25, 0.5, 1, 2, 5, 10, 30, 60, 120, 300]);

  async changed(change: RecordChange, kind: Change): Promise<void> {
    const { before, after } = change;
    if (before === after) return;
    if (before.status !== after.status && isLive(before.status) && before.status !== 'RUNNING' && (after.status === 'RUNNING' || after.status === 'FAILED')) {
      this.starts.inc({ outcome: after.status });
      if (after.status === 'RUNNING' && after.generation === 1) this.runToRunning.observe((Date.now() - Date.parse(after.createdAt)) / 1000);
    }
    if (isLive(before.status) && !isLive(after.status)) await this.releaseSlot(after.owner.sub, after.id);
    if (before.status !== after.status) this.log.log(`instance ${after.id}: ${before.status} → ${after.status}`);
    await this.publish(after, kind, before.status);
  }

  async publish(r: InstanceRecord, change: Change, previous: Instance['status'] | null): Promise<void> {
    const at = new Date().toISOString();
    const aliases = this.aliases?.of(r.id);
    await this.rpc.emit(InstanceChangedEvent, { instance: toRoutedInstance(r, this.settings.scheduler, [], aliases), change, previousStatus: previous, at });
    await this.rpc.emit(InstanceUpdatedEvent, { instance: toInstance(r, this.settings.scheduler, [], true, aliases), change, previousStatus: previous, at });
  }

  /** Gives the owner's slot for `id` back; a failure is left to the periodic lease reconciliation. */
  async releaseSlot(ownerSub: string, id: string): Promise<void> {
    try {
      await this.leases.release(ownerSub, id);
    } catch (e) {
      this.log.warn(`could not release the lease of ${id}: ${e instanceof Error ? e.message : String(e)}`);
    }
  }
}
