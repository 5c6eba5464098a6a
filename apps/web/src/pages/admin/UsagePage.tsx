import { Stack, Table, Text, TextInput, Title } from '@mantine/core';
import { useDebouncedValue } from '@mantine/hooks';
import { useState } from 'react';
import { usageCeilings, useUsage, type Ceilings, type UserUsage } from '../../api/admin-queries';
import { ListState, Meter, ScrollTable, formatBytes } from './common';

/** What one user's live instances were given (there is no per-user total; each instance is held to the ceilings). */
export function resources(u: Pick<UserUsage['instances'], 'memoryLimitBytes' | 'memoryReservationBytes' | 'gpus'>): string {
  if (u.memoryLimitBytes === 0 && u.gpus === 0) return '—';
  const memory = `${formatBytes(u.memoryLimitBytes)} memory limit${u.memoryReservationBytes ? `, ${formatBytes(u.memoryReservationBytes)} reserved` : ''}`;
  return u.gpus ? `${memory}, ${u.gpus} GPU${u.gpus === 1 ? '' : 's'}` : memory;
}

export function CeilingsText({ ceilings }: { ceilings: Ceilings | undefined }) {
  if (!ceilings) return null;
  return (
    <Text size="sm" c="dimmed" data-testid="ceilings">
      Each instance may have at most {ceilings.maxMemoryLimit} of memory ({ceilings.maxMemoryReservation} reserved) and {ceilings.maxGpus} GPU
      {ceilings.maxGpus === 1 ? '' : 's'}.
    </Text>
  );
}

/** Admin tab: every user's live instances and imported versions against their limits, as the scheduler and the repository count them. */
export function AdminUsagePage() {
  const [q, setQ] = useState('');
  const [debounced] = useDebouncedValue(q.trim(), 250);
  const usage = useUsage(debounced);
  return (
    <Stack gap="md">
      <Title order={2}>Usage</Title>
      <Text c="dimmed" size="sm">
        Live instances count against the instance limit of the user’s role; imported app versions against Repository.MaxVersionsPerUser. The numbers are the ones the
        limits are checked with.
      </Text>
      <TextInput label="Find a user" description="Name or user id" value={q} onChange={(e) => setQ(e.currentTarget.value)} maw={360} />
      <CeilingsText ceilings={usageCeilings(usage)} />
      <ListState query={usage} label="users" empty={debounced ? 'No user matches.' : 'No users yet.'}>
        <ScrollTable minWidth={720} label="Usage per user">
          <Table striped aria-label="Usage per user">
            <Table.Thead>
              <Table.Tr>
                <Table.Th scope="col">User</Table.Th>
                <Table.Th scope="col">Roles</Table.Th>
                <Table.Th scope="col">Live instances</Table.Th>
                <Table.Th scope="col">Resources of live instances</Table.Th>
                <Table.Th scope="col">App versions</Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {usage.items.map((u) => (
                <Table.Tr key={u.user.sub} data-user={u.user.sub}>
                  <Table.Td>
                    {u.user.name}
                    <Text size="xs" c="dimmed">
                      {u.user.sub}
                    </Text>
                  </Table.Td>
                  <Table.Td>{u.user.roles ? u.user.roles.join(', ') || 'none' : 'unknown'}</Table.Td>
                  <Table.Td>
                    <Meter label={`Live instances of ${u.user.name}`} used={u.instances.live} limit={u.instances.limit} />
                  </Table.Td>
                  <Table.Td>{resources(u.instances)}</Table.Td>
                  <Table.Td>
                    <Meter label={`App versions of ${u.user.name}`} used={u.versions.count} limit={u.versions.limit} />
                  </Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        </ScrollTable>
      </ListState>
    </Stack>
  );
}
