import { Badge, Group, Loader, Stack, Table, Text, Title } from '@mantine/core';
import type { Runtime } from '../../api/client';
import { useRuntimes } from '../../api/queries';
import { ErrorAlert } from '../../components/ErrorAlert';
import { ScrollTable } from './common';

const STATE_COLOR: Record<Runtime['state'], string> = { ACTIVE: 'green', DEPRECATED: 'yellow', DISABLED: 'red' };

/** Admin tab: the runtime catalogue (Scheduler.RuntimeVersions) and each runtime's state. */
export function AdminRuntimesPage() {
  const runtimes = useRuntimes();
  return (
    <Stack gap="md">
      <Title order={2}>Runtimes</Title>
      <Text c="dimmed" size="sm">
        The runtime catalogue comes from the scheduler’s configuration (<code>[[Scheduler.RuntimeVersions]]</code>): deprecated runtimes still run and are warned
        about; disabled ones are not offered.
      </Text>
      {runtimes.isPending ? (
        <Group justify="center">
          <Loader size="sm" aria-label="Loading the runtimes" />
        </Group>
      ) : runtimes.isError ? (
        <ErrorAlert error={runtimes.error} title="The runtimes could not be loaded" onRetry={() => void runtimes.refetch()} />
      ) : runtimes.data.items.length === 0 ? (
        <Text c="dimmed">No runtime is configured.</Text>
      ) : (
        <ScrollTable minWidth={560} label="Runtimes">
          <Table striped aria-label="Runtimes">
            <Table.Thead>
              <Table.Tr>
                <Table.Th scope="col">Name</Table.Th>
                <Table.Th scope="col">Image</Table.Th>
                <Table.Th scope="col">State</Table.Th>
                <Table.Th scope="col">Why</Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {runtimes.data.items.map((r) => (
                <Table.Tr key={r.name} data-runtime={r.name}>
                  <Table.Td>
                    {r.name}
                    {r.default && (
                      <Badge ml={6} size="xs" variant="light" color="blue" tt="none">
                        default
                      </Badge>
                    )}
                  </Table.Td>
                  <Table.Td>
                    <code>{r.image}</code>
                  </Table.Td>
                  <Table.Td>
                    <Badge color={STATE_COLOR[r.state]} variant="light">
                      {r.state}
                    </Badge>
                  </Table.Td>
                  <Table.Td>{r.stateReason ?? '—'}</Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        </ScrollTable>
      )}
    </Stack>
  );
}
