import { Injectable } from '@nestjs/common';
import {
  genericStatusReason,
  instanceAccess,
  SchedulerContracts as S,
  visitorGrantMatters,
  WharfError,
  type Caller,
  type ErrorCode,
  type Instance,
  type InstanceAccessOptions,
} from '@wharf/contracts';
import { AnswerCache, RpcClient } from '@wharf/nats';

/**
 * The rule with only what it can decide from the instance alone: PUBLIC as ALL_USERS, no visitor
 * grant. Both only ever add access, so whoever sees an instance under these options sees it under
 * the scheduler's own (Scheduler.AllowPublicInstances, tags), with the same status reason.
 */
const FROM_MEMORY: InstanceAccessOptions = { allowPublic: false, adminsOpenPrivate: false };

/** What GET /api/v1/instances/:id answers when it says "not for you". */
const NOT_SHOWN: readonly ErrorCode[] = ['NOT_FOUND', 'FORBIDDEN', 'UNAUTHENTICATED'];

/** An instance as someone who may see it but not read its logs gets it: the generic status reason. */
export const withGenericReason = (i: Instance): Instance => ({ ...i, statusReason: genericStatusReason(i.status) });

/**
 * Which instances a caller of the live event stream sees, and how: the answer GET
 * /api/v1/instances/:id would give them. That route asks the scheduler, which applies
 * `instanceAccess` (libs/contracts access.ts). Here the same function decides from memory for
 * everyone it can (owners, admins, the app version's owner, full-access users of shared
 * instances); what needs more than the instance — a visitor's view of an ALL_USERS or PUBLIC
 * instance, which depends on tags and on the scheduler's AllowPublicInstances — is asked of the
 * scheduler with that very GET, as the caller (answers kept per caller like catalog answers, and
 * dropped with them when apps or tags change).
 */
@Injectable()
export class InstanceVisibility {
  constructor(
    private readonly rpc: RpcClient,
    private readonly cache: AnswerCache,
  ) {}

  /**
   * From memory: the instance as the caller gets it, null when they may not see it, or 'ask' when
   * only the scheduler can tell (and then they may not read its logs: see `view`).
   */
  settled(caller: Caller, i: Instance): Instance | null | 'ask' {
    const access = instanceAccess(caller, i, false, FROM_MEMORY);
    if (access.seeStatus) return access.readLogs ? i : withGenericReason(i);
    return visitorGrantMatters(caller, i, FROM_MEMORY) ? 'ask' : null;
  }

  /** The instance as GET /api/v1/instances/:id answers the caller, or null when it answers 404. */
  async view(caller: Caller, i: Instance): Promise<Instance | null> {
    const settled = this.settled(caller, i);
    if (settled !== 'ask') return settled;
    // a visitor who neither owns nor manages it, nor owns its app: never the logs' reason
    return (await this.schedulerShows(caller, i)) ? withGenericReason(i) : null;
  }

  private schedulerShows(caller: Caller, i: Instance): Promise<boolean> {
    const key = this.cache.key(caller, 'events.instance-visible', [i.id, i.visibility, i.appVersionId]);
    return this.cache.getOrLoad(key, async () => {
      try {
        await this.rpc.rpc(S.get, { id: i.id }, caller);
        return true;
      } catch (e) {
        if (WharfError.is(e) && NOT_SHOWN.includes(e.code)) return false;
        throw e;
      }
    });
  }
}
