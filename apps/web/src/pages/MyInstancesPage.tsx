import { Anchor, Button, Group, Loader, SegmentedControl, Stack, Table, Text, Title } from '@mantine/core';
import { useState } from 'react';
import { Link } from 'react-router';
import type { Instance, SignedIn } from '../api/client';
import { useInstanceAction, useInstanceEvents, useInstances, type InstanceScope } from '../api/instance-queries';
import { Confirm } from '../components/Confirm';
import { ErrorAlert } from '../components/ErrorAlert';
import { TERMINATE_WARNING } from '../components/InstanceControls';
import { InstanceStatus } from '../components/InstanceStatus';
import { formatDate } from './AppPage';

const VISIBILITY_LABEL: Record<Instance['visibility'], string> = { PRIVATE: 'Private', ALL_USERS: 'All users', PUBLIC: 'Public' };

/**
 * My instances: your own (or those of your apps), kept current live from the server-sent events
 * stream (no polling), with Open, Suspend, Resume and Terminate on each of yours.
 */
export function MyInstancesPage({ session }: { session: SignedIn }) {
  const me = session.user.sub;
  const [scope, setScope] = useState<InstanceScope>('mine');
  const list = useInstances(scope);
  useInstanceEvents(me);
  const action = useInstanceAction(me);
  const [terminating, setTerminating] = useState<Instance | null>(null);
  const own = scope === 'mine';

  const act = (i: Instance, a: 'suspend' | 'resume' | 'terminate') => action.mutate({ id: i.id, action: a }, { onSettled: () => setTerminating(null) });

  return (
    <Stack gap="md">
      <Group justify="space-between" align="flex-end">
        <Title order={1}>{own ? 'My instances' : 'Instances of my apps'}</Title>
        <SegmentedControl
          aria-label="Which instances"
          value={scope}
          onChange={(v) => setScope(v as InstanceScope)}
          data={[
            { value: 'mine', label: 'Mine' },
            { value: 'app-owner', label: 'Of my apps' },
          ]}
        />
      </Group>
      {action.isError && <ErrorAlert error={action.error} title="That did not work" />}
      {list.isPending ? (
        <Group justify="center" p="xl">
          <Loader aria-label="Loading instances" />
        </Group>
      ) : list.isError ? (
        <ErrorAlert error={list.error} title="Your instances could not be loaded" onRetry={() => void list.refetch()} />
      ) : list.data.length === 0 ? (
        <Text>
          {own ? (
            <>
              You have no instances. Find an app in the <Anchor component={Link} to="/">catalog</Anchor> and press Run.
            </>
          ) : (
            'Nobody runs your apps right now.'
          )}
        </Text>
      ) : (
        <Table.ScrollContainer minWidth={640}>
          <Table striped highlightOnHover aria-label={own ? 'My instances' : 'Instances of my apps'}>
            <Table.Thead>
              <Table.Tr>
                <Table.Th>App</Table.Th>
                <Table.Th>Status</Table.Th>
                {!own && <Table.Th>Owner</Table.Th>}
                <Table.Th>Visibility</Table.Th>
                <Table.Th>Started</Table.Th>
                <Table.Th>
                  <span className="visually-hidden">Actions</span>
                </Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {list.data.map((i) => (
                <Table.Tr key={i.id} data-instance={i.id}>
                  <Table.Td>
                    <Anchor component={Link} to={`/instances/${i.id}`}>
                      {i.appName} {i.appVersion}
                    </Anchor>
                    <Text size="xs" c="dimmed">
                      {i.id} · {i.runtime}
                    </Text>
                  </Table.Td>
                  <Table.Td>
                    <InstanceStatus instance={i} size="sm" />
                    {i.statusReason && (
                      <Text size="xs" c={i.status === 'FAILED' ? 'red' : 'dimmed'} lineClamp={2}>
                        {i.statusReason}
                      </Text>
                    )}
                  </Table.Td>
                  {!own && <Table.Td>{i.owner.name}</Table.Td>}
                  <Table.Td>{VISIBILITY_LABEL[i.visibility]}</Table.Td>
                  <Table.Td>{formatDate(i.createdAt)}</Table.Td>
                  <Table.Td>
                    <Group gap="xs" wrap="nowrap" justify="flex-end">
                      {i.status === 'RUNNING' && (
                        <Button size="xs" component="a" href={i.url} target="_blank" rel="noopener" aria-label={`Open ${i.appName} ${i.id}`}>
                          Open
                        </Button>
                      )}
                      {own && i.status === 'RUNNING' && (
                        <Button size="xs" variant="default" onClick={() => act(i, 'suspend')} loading={action.isPending && action.variables?.id === i.id} aria-label={`Suspend ${i.id}`}>
                          Suspend
                        </Button>
                      )}
                      {own && (i.status === 'SUSPENDED' || i.status === 'FAILED') && (
                        <Button size="xs" variant="default" onClick={() => act(i, 'resume')} loading={action.isPending && action.variables?.id === i.id} aria-label={`Resume ${i.id}`}>
                          Resume
                        </Button>
                      )}
                      {own && (
                        <Button size="xs" variant="subtle" color="red" onClick={() => setTerminating(i)} aria-label={`Terminate ${i.id}`}>
                          Terminate
                        </Button>
                      )}
                    </Group>
                  </Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        </Table.ScrollContainer>
      )}
      <Confirm
        opened={terminating !== null}
        title={`Terminate ${terminating?.appName ?? ''} ${terminating?.id ?? ''}?`}
        action="Terminate"
        pending={action.isPending}
        error={null}
        onConfirm={() => terminating && act(terminating, 'terminate')}
        onClose={() => setTerminating(null)}
      >
        <Text>{TERMINATE_WARNING}</Text>
      </Confirm>
    </Stack>
  );
}
