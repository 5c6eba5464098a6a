import { Badge, Group, Loader } from '@mantine/core';
import type { Instance } from '../api/client';

export const STATUS_COLOR: Record<Instance['status'], string> = {
  QUEUED: 'gray',
  PROVISIONING: 'blue',
  INSTALLING: 'blue',
  STARTING: 'blue',
  RUNNING: 'green',
  FAILED: 'red',
  SUSPENDED: 'yellow',
  TERMINATED: 'gray',
};

const SETTLED = new Set<Instance['status']>(['RUNNING', 'FAILED', 'SUSPENDED', 'TERMINATED']);

/** True while the instance is on its way to RUNNING (queued, provisioning, installing, starting). */
export const starting = (i: Pick<Instance, 'status'>): boolean => !SETTLED.has(i.status);

/** An instance's status as a badge, with a spinner while it starts. */
export function InstanceStatus({ instance, size = 'md' }: { instance: Pick<Instance, 'status'>; size?: 'sm' | 'md' | 'lg' }) {
  return (
    <Group gap={6} wrap="nowrap">
      <Badge color={STATUS_COLOR[instance.status]} variant="light" size={size} data-testid="instance-status">
        {instance.status}
      </Badge>
      {starting(instance) && <Loader size="xs" aria-label="Starting" />}
    </Group>
  );
}
