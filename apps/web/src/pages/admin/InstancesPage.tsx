import { Anchor, Badge, Group, Select, Stack, Table, Text, TextInput, Title } from '@mantine/core';
import { useDebouncedValue } from '@mantine/hooks';
import { useState } from 'react';
import { Link } from 'react-router';
import { INSTANCE_STATUSES, useAllInstances, type InstanceStatus } from '../../api/admin-queries';
import { STATUS_COLOR } from '../../components/InstanceStatus';
import { formatDate } from '../AppPage';
import { ListState, ScrollTable } from './common';

/** Admin tab: every instance, newest first, filtered by owner (user id), app name and status on the server. */
export function AdminInstancesPage() {
  const [user, setUser] = useState('');
  const [appName, setAppName] = useState('');
  const [status, setStatus] = useState<InstanceStatus | null>(null);
  const [owner] = useDebouncedValue(user.trim(), 250);
  const [app] = useDebouncedValue(appName.trim(), 250);
  const instances = useAllInstances({ user: owner, appName: app, ...(status ? { status } : {}) });
  return (
    <Stack gap="md">
      <Title order={2}>Instances</Title>
      <Group align="flex-end" gap="sm" wrap="wrap" role="search" aria-label="Filter instances">
        <TextInput label="Owner" description="User id, e.g. svc:alice" value={user} onChange={(e) => setUser(e.currentTarget.value)} w={220} />
        <TextInput label="App" description="App name" value={appName} onChange={(e) => setAppName(e.currentTarget.value)} w={200} />
        <Select
          label="Status"
          description="Any status when empty"
          data={INSTANCE_STATUSES.filter((s) => s !== 'TERMINATED')}
          value={status}
          onChange={(v) => setStatus(v as InstanceStatus | null)}
          clearable
          placeholder="Any"
          w={180}
        />
      </Group>
      <ListState query={instances} label="instances" empty="No instance matches.">
        <ScrollTable minWidth={760} label="Every instance">
          <Table striped highlightOnHover aria-label="Every instance">
            <Table.Thead>
              <Table.Tr>
                <Table.Th scope="col">Instance</Table.Th>
                <Table.Th scope="col">App</Table.Th>
                <Table.Th scope="col">Owner</Table.Th>
                <Table.Th scope="col">Status</Table.Th>
                <Table.Th scope="col">Runtime</Table.Th>
                <Table.Th scope="col">Visibility</Table.Th>
                <Table.Th scope="col">Created</Table.Th>
                <Table.Th scope="col">Last activity</Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {instances.items.map((i) => (
                <Table.Tr key={i.id} data-instance={i.id}>
                  <Table.Td>
                    <Anchor component={Link} to={`/instances/${i.id}`}>
                      <code>{i.id}</code>
                    </Anchor>
                  </Table.Td>
                  <Table.Td>
                    {i.appName} {i.appVersion}
                  </Table.Td>
                  <Table.Td>
                    {i.owner.name}
                    <Text size="xs" c="dimmed">
                      {i.owner.sub}
                    </Text>
                  </Table.Td>
                  <Table.Td>
                    <Badge color={STATUS_COLOR[i.status]} variant="light">
                      {i.status}
                    </Badge>
                    {i.status === 'FAILED' && i.statusReason && (
                      <Text size="xs" c="red" lineClamp={2} title={i.statusReason}>
                        {i.statusReason}
                      </Text>
                    )}
                  </Table.Td>
                  <Table.Td>{i.runtime}</Table.Td>
                  <Table.Td>{i.visibility}</Table.Td>
                  <Table.Td>{formatDate(i.createdAt)}</Table.Td>
                  <Table.Td>{formatDate(i.lastActivityAt)}</Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        </ScrollTable>
      </ListState>
    </Stack>
  );
}
