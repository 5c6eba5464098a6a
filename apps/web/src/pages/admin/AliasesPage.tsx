import { Anchor, Badge, Button, Checkbox, Group, Modal, Stack, Table, Text, TextInput, Title } from '@mantine/core';
import { useState } from 'react';
import { Link } from 'react-router';
import { useAliases, useAssignAlias, useCreateAlias, useDeleteAlias, usePromoteAlias, type Alias } from '../../api/admin-queries';
import { ErrorAlert } from '../../components/ErrorAlert';
import { Confirm, ListState, ScrollTable } from './common';

const ALIAS_NAME = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;
const INSTANCE_ID = /^[a-z][a-z0-9]{9}$/;
const RESERVED = ['www', 'api', 'auth', 'admin', 'login', 'gateway', 'router', 'wharf', 'localhost', 'static'];

/** Why a name cannot be an alias (as the API says it), or null. */
function nameProblem(name: string): string | null {
  if (!ALIAS_NAME.test(name)) return 'a DNS label: lower-case letters, digits and dashes, starting and ending with a letter or digit (at most 63)';
  if (INSTANCE_ID.test(name)) return 'this looks like an instance id (10 characters starting with a letter): add a dash or use another length';
  if (RESERVED.includes(name)) return `reserved for the platform (${RESERVED.join(', ')})`;
  return null;
}

const instanceProblem = (id: string): string | null => (INSTANCE_ID.test(id) ? null : 'an instance id: 10 characters [a-z0-9] starting with a letter');

/** New alias (name, optional instance, primary) or move one (instance, or none). */
function AliasForm({ alias, onDone }: { alias: Alias | null; onDone: () => void }) {
  const create = useCreateAlias();
  const assign = useAssignAlias();
  const mutation = alias ? assign : create;
  const [name, setName] = useState(alias?.name ?? '');
  const [instanceId, setInstance] = useState(alias?.instanceId ?? '');
  const [primary, setPrimary] = useState(alias?.primary ?? false);
  const [tried, setTried] = useState(false);
  const id = instanceId.trim();
  const problems = {
    ...(!alias && nameProblem(name) ? { name: nameProblem(name)! } : {}),
    ...(id && instanceProblem(id) ? { instance: instanceProblem(id)! } : {}),
  };
  return (
    <form
      noValidate
      onSubmit={(e) => {
        e.preventDefault();
        setTried(true);
        if (Object.keys(problems).length) return;
        if (alias) assign.mutate({ name: alias.name, instanceId: id || null, primary: id ? primary : undefined }, { onSuccess: onDone });
        else create.mutate({ name, ...(id ? { instanceId: id, primary } : {}) }, { onSuccess: onDone });
      }}
    >
      <Stack gap="sm">
        {!alias && (
          <TextInput
            label="Name"
            description="Served at <name>.<apps domain>, e.g. shop"
            required
            value={name}
            onChange={(e) => setName(e.currentTarget.value)}
            error={tried && problems.name}
            data-autofocus
          />
        )}
        <TextInput
          label="Instance"
          description={alias ? 'The instance it serves from now on; empty: none (its address answers 404)' : 'The instance it serves; empty: none until you move it'}
          value={instanceId}
          onChange={(e) => setInstance(e.currentTarget.value)}
          error={tried && problems.instance}
          data-autofocus={alias ? true : undefined}
        />
        <Checkbox
          label="Primary: the instance's other addresses redirect here"
          checked={primary && !!id}
          disabled={!id}
          onChange={(e) => setPrimary(e.currentTarget.checked)}
        />
        {mutation.isError && <ErrorAlert error={mutation.error} title={alias ? 'The alias was not moved' : 'The alias was not created'} />}
        <Group justify="flex-end">
          <Button variant="default" onClick={onDone}>
            Cancel
          </Button>
          <Button type="submit" loading={mutation.isPending}>
            {alias ? 'Move alias' : 'Create alias'}
          </Button>
        </Group>
      </Stack>
    </form>
  );
}

/**
 * Admin tab: aliases — names that serve an instance. Create, move (blue/green: start the new
 * instance, move the alias, stop the old one), make primary, delete after confirming.
 */
export function AdminAliasesPage() {
  const aliases = useAliases();
  const promote = usePromoteAlias();
  const remove = useDeleteAlias();
  const [editing, setEditing] = useState<Alias | 'new' | null>(null);
  const [deleting, setDeleting] = useState<Alias | null>(null);
  return (
    <Stack gap="md">
      <Group justify="space-between">
        <Title order={2}>Aliases</Title>
        <Button onClick={() => setEditing('new')}>New alias</Button>
      </Group>
      <Text size="sm" c="dimmed">
        An alias serves an instance at its own address. The primary alias is where the instance&apos;s other addresses send browsers. Moving an alias is
        immediate: start the new instance, move the alias, then stop the old one.
      </Text>
      {promote.isError && <ErrorAlert error={promote.error} title="The alias was not made primary" />}
      <ListState query={aliases} label="aliases" empty="No aliases yet.">
        <ScrollTable minWidth={720} label="Aliases">
          <Table striped aria-label="Aliases">
            <Table.Thead>
              <Table.Tr>
                <Table.Th scope="col">Alias</Table.Th>
                <Table.Th scope="col">Instance</Table.Th>
                <Table.Th scope="col">Primary</Table.Th>
                <Table.Th scope="col">Changed by</Table.Th>
                <Table.Th scope="col">
                  <span className="visually-hidden">Actions</span>
                </Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {aliases.items.map((a) => (
                <Table.Tr key={a.name} data-alias-row={a.name}>
                  <Table.Td>
                    <Anchor href={a.url} target="_blank" rel="noreferrer">
                      {a.name}
                    </Anchor>
                  </Table.Td>
                  <Table.Td>
                    {a.instanceId ? (
                      <Anchor component={Link} to={`/instances/${a.instanceId}`}>
                        <code>{a.instanceId}</code>
                      </Anchor>
                    ) : (
                      <Text size="sm" c="dimmed">
                        none (404)
                      </Text>
                    )}
                  </Table.Td>
                  <Table.Td>{a.primary ? <Badge variant="light">primary</Badge> : '—'}</Table.Td>
                  <Table.Td>{a.updatedBy.name}</Table.Td>
                  <Table.Td>
                    <Group gap={4} wrap="nowrap">
                      <Button size="xs" variant="subtle" onClick={() => setEditing(a)} aria-label={`Move ${a.name}`}>
                        Move
                      </Button>
                      {a.instanceId && !a.primary && (
                        <Button size="xs" variant="subtle" onClick={() => promote.mutate(a.name)} loading={promote.isPending && promote.variables === a.name} aria-label={`Make ${a.name} primary`}>
                          Make primary
                        </Button>
                      )}
                      <Button size="xs" variant="subtle" color="red" onClick={() => (remove.reset(), setDeleting(a))} aria-label={`Delete ${a.name}`}>
                        Delete
                      </Button>
                    </Group>
                  </Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        </ScrollTable>
      </ListState>
      <Modal opened={editing !== null} onClose={() => setEditing(null)} title={editing === 'new' ? 'New alias' : `Move ${editing?.name ?? ''}`} centered>
        {editing !== null && <AliasForm alias={editing === 'new' ? null : editing} onDone={() => setEditing(null)} />}
      </Modal>
      <Confirm
        opened={deleting !== null}
        title={`Delete the alias ${deleting?.name ?? ''}?`}
        action="Delete"
        pending={remove.isPending}
        error={remove.error}
        onClose={() => setDeleting(null)}
        onConfirm={() => deleting && remove.mutate(deleting.name, { onSuccess: () => setDeleting(null) })}
      >
        <Text size="sm">Its address ({deleting?.url}) answers 404 from now on, and the name is free again.</Text>
      </Confirm>
    </Stack>
  );
}
