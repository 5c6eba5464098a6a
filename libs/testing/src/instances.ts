import { RoutedInstanceSchema, type RoutedInstance } from '@wharf/contracts';

let seq = 0;

/**
 * An instance record as the scheduler answers the router (valid for RoutedInstanceSchema): RUNNING, PRIVATE,
 * owned by alice, at `address`. Ids are unique valid instance ids unless given.
 */
export function instanceRecord(over: Partial<RoutedInstance> & { address: string | null }): RoutedInstance {
  const id = over.id ?? `t${(++seq).toString(36).padStart(9, '0')}`;
  const now = new Date().toISOString();
  return RoutedInstanceSchema.parse({
    id,
    appVersionId: 'app-v1',
    appName: 'echo',
    appVersion: '1.0.0',
    appOwner: { sub: 'alice', name: 'alice' },
    owner: { sub: 'alice', name: 'alice' },
    visibility: 'PRIVATE',
    runtime: 'python-3.11',
    status: 'RUNNING',
    statusReason: null,
    url: `http://${id}.apps.localhost`,
    aliases: [],
    primaryAlias: null,
    createdAt: now,
    lastActivityAt: now,
    lifecycle: 'ON_DEMAND',
    idle: { timeoutMinutes: 60, disabledByAdmin: false, keepAliveUntil: null },
    warnings: [],
    ...over,
  });
}
