/**
 * Per-user sets of live instance ids, shared by every scheduler replica: the limit check.
 * Every change is a compare-and-set, so N replicas racing on one user never let through more
 * than the limit.
 */
export interface LeaseStore {
  init(): Promise<void>;
  /** Adds `id` to the owner's set unless it already holds `max` (null: no limit). Idempotent. */
  acquire(ownerSub: string, id: string, max: number | null): Promise<{ acquired: boolean; count: number }>;
  /** Removes `id` from the owner's set. Idempotent. */
  release(ownerSub: string, id: string): Promise<void>;
  /**
   * The slots held, as `acquire` counts them: owner → instance ids (owners holding none are left
   * out). `ownerSub` reads that owner's set alone.
   */
  held(ownerSub?: string): Promise<Map<string, string[]>>;
  /**
   * Makes the sets agree with the instances that are live: drops leases of instances that are not
   * (after `graceMs`, so that launches in flight keep theirs) and adds missing ones.
   */
  reconcile(live: ReadonlyMap<string, ReadonlySet<string>>, graceMs: number): Promise<{ dropped: number; added: number }>;
  ping(): Promise<boolean>;
  close(): Promise<void>;
}

export const LEASE_STORE = Symbol('LEASE_STORE');

/** The value stored per user: instance id → when its lease was taken (ms). */
export interface LeaseSet {
  leases: Record<string, number>;
}

export function parseLeaseSet(data: Uint8Array | null): LeaseSet {
  if (!data || data.length === 0) return { leases: {} };
  try {
    const v = JSON.parse(Buffer.from(data).toString('utf8')) as Partial<LeaseSet>;
    return { leases: typeof v.leases === 'object' && v.leases !== null ? v.leases : {} };
  } catch {
    return { leases: {} };
  }
}

/** KV keys allow `[-/_=.a-zA-Z0-9]`; user subs may hold anything, so they are base64url-encoded. */
export const leaseKey = (ownerSub: string): string => `u.${Buffer.from(ownerSub, 'utf8').toString('base64url')}`;
export const ownerOfKey = (key: string): string => Buffer.from(key.slice(2), 'base64url').toString('utf8');
