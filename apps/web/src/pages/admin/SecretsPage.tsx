import { Button, Group, Modal, Stack, Table, TagsInput, Text, TextInput, Title } from '@mantine/core';
import { useId, useState } from 'react';
import { useDeleteSecret, usePutSecret, useSecrets, type Secret } from '../../api/admin-queries';
import { useAllUserSecrets, useDeleteUserSecret, type UserSecret } from '../../api/secret-queries';
import { ErrorAlert } from '../../components/ErrorAlert';
import { SECRET_NAME, SecretValues, secretRow, secretRowProblems, type SecretRow } from '../../components/SecretValues';
import { formatDate } from '../AppPage';
import { readersOf } from '../SecretsPage';
import { Confirm, ListState, ScrollTable } from './common';

/** What is wrong with the form, field by field (the API checks again; this only saves a round trip). */
export function secretProblems(name: string, rows: SecretRow[], editing: boolean): Record<string, string> {
  const out: Record<string, string> = {};
  if (!editing && !SECRET_NAME.test(name)) out.name = 'lower-case letters, digits, dashes and dots (a DNS name), e.g. openai';
  return { ...out, ...secretRowProblems(rows) };
}

/**
 * Create or replace a secret: all its keys and values at once (values are write-only: they are
 * never read back, so replacing means typing every value again), and who may read it.
 */
function SecretForm({ secret, onDone }: { secret: Secret | null; onDone: () => void }) {
  const put = usePutSecret();
  const [name, setName] = useState(secret?.name ?? '');
  const [rows, setRows] = useState<SecretRow[]>(() => (secret ? secret.keys.map((k) => secretRow(k)) : [secretRow()]));
  const [apps, setApps] = useState<string[]>(secret?.grants.apps ?? []);
  const [owners, setOwners] = useState<string[]>(secret?.grants.owners ?? []);
  const [tried, setTried] = useState(false);
  const problems = secretProblems(name, rows, secret !== null);
  const formId = useId();
  return (
    <form
      id={formId}
      noValidate
      onSubmit={(e) => {
        e.preventDefault();
        setTried(true);
        if (Object.keys(problems).length) return;
        put.mutate({ name, body: { data: Object.fromEntries(rows.map((r) => [r.key, r.value])), grants: { apps, owners } } }, { onSuccess: onDone });
      }}
    >
      <Stack gap="sm">
        {secret ? (
          <Text size="sm">
            Replacing <strong>{secret.name}</strong>: every key is set to what you type here; keys you remove are deleted. Values are never shown.
          </Text>
        ) : (
          <TextInput label="Name" required value={name} onChange={(e) => setName(e.currentTarget.value)} error={tried && problems.name} data-autofocus />
        )}
        <SecretValues rows={rows} setRows={setRows} problems={problems} tried={tried} />
        <TagsInput label="Granted to apps" description="App names whose [[Env]] may read it; Enter after each" value={apps} onChange={setApps} clearable />
        <TagsInput label="Granted to owners" description="User ids whose apps may read it, e.g. svc:alice; Enter after each" value={owners} onChange={setOwners} clearable />
        {put.isError && <ErrorAlert error={put.error} title="The secret was not saved" />}
        <Group justify="flex-end">
          <Button variant="default" onClick={onDone}>
            Cancel
          </Button>
          <Button type="submit" loading={put.isPending}>
            {secret ? 'Replace secret' : 'Create secret'}
          </Button>
        </Group>
      </Stack>
    </form>
  );
}

/** Every user's own secrets (names, keys, who may read them; never values), and deleting one. */
function UserSecretsSection() {
  const secrets = useAllUserSecrets();
  const remove = useDeleteUserSecret();
  const [deleting, setDeleting] = useState<UserSecret | null>(null);
  return (
    <Stack gap="md">
      <Title order={2}>Users' secrets</Title>
      <Text c="dimmed" size="sm">
        Each user's own secrets, which their apps read as <code>~/&lt;name&gt;</code> or by reference. Users create and change them on their Secrets page; values
        are write-only.
      </Text>
      <ListState query={secrets} label="users' secrets" empty="No user has a secret yet.">
        <ScrollTable minWidth={640} label="Users' secrets">
          <Table striped aria-label="Users' secrets">
            <Table.Thead>
              <Table.Tr>
                <Table.Th scope="col">Owner</Table.Th>
                <Table.Th scope="col">Name</Table.Th>
                <Table.Th scope="col">Keys</Table.Th>
                <Table.Th scope="col">Who may read it</Table.Th>
                <Table.Th scope="col">Updated</Table.Th>
                <Table.Th scope="col">
                  <span className="visually-hidden">Actions</span>
                </Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {secrets.items.map((s) => (
                <Table.Tr key={s.ref} data-user-secret={s.ref}>
                  <Table.Td>{s.owner.name}</Table.Td>
                  <Table.Td>
                    <code>{s.name}</code>
                  </Table.Td>
                  <Table.Td>{s.keys.join(', ') || '—'}</Table.Td>
                  <Table.Td>{readersOf(s).replace('instances you run', `instances ${s.owner.name} runs`)}</Table.Td>
                  <Table.Td>{formatDate(s.updatedAt)}</Table.Td>
                  <Table.Td>
                    <Button size="xs" variant="subtle" color="red" onClick={() => (remove.reset(), setDeleting(s))} aria-label={`Delete ${s.name} of ${s.owner.name}`}>
                      Delete
                    </Button>
                  </Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        </ScrollTable>
      </ListState>
      <Confirm
        opened={deleting !== null}
        title={`Delete ${deleting?.owner.name ?? ''}'s secret ${deleting?.name ?? ''}?`}
        action="Delete"
        pending={remove.isPending}
        error={remove.error}
        onClose={() => setDeleting(null)}
        onConfirm={() => deleting && remove.mutate({ owner: deleting.owner.sub, name: deleting.name }, { onSuccess: () => setDeleting(null) })}
      >
        <Text size="sm">Their apps that read it no longer start. While an instance that reads it is not terminated, it cannot be deleted.</Text>
      </Confirm>
    </Stack>
  );
}

/** Admin tab: platform secrets (names, key names and grants; values write-only), create or replace, delete after confirming; and every user's secrets. */
export function AdminSecretsPage() {
  const secrets = useSecrets();
  const remove = useDeleteSecret();
  const [editing, setEditing] = useState<Secret | 'new' | null>(null);
  const [deleting, setDeleting] = useState<Secret | null>(null);
  return (
    <Stack gap="md">
      <Group justify="space-between">
        <Title order={2}>Platform secrets</Title>
        <Button onClick={() => setEditing('new')}>New secret</Button>
      </Group>
      <Text c="dimmed" size="sm">
        Apps read a platform secret through <code>[[Env]] Secret = "&lt;name&gt;"</code> only when it is granted to their name or their owner. Values are write-only.
      </Text>
      <ListState query={secrets} label="secrets" empty="No secrets yet.">
        <ScrollTable minWidth={640} label="Secrets">
          <Table striped aria-label="Secrets">
            <Table.Thead>
              <Table.Tr>
                <Table.Th scope="col">Name</Table.Th>
                <Table.Th scope="col">Keys</Table.Th>
                <Table.Th scope="col">Granted to</Table.Th>
                <Table.Th scope="col">Updated</Table.Th>
                <Table.Th scope="col">
                  <span className="visually-hidden">Actions</span>
                </Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {secrets.items.map((s) => (
                <Table.Tr key={s.name} data-secret={s.name}>
                  <Table.Td>
                    <code>{s.name}</code>
                  </Table.Td>
                  <Table.Td>{s.keys.join(', ') || '—'}</Table.Td>
                  <Table.Td>
                    {s.grants.apps.length === 0 && s.grants.owners.length === 0 ? (
                      <Text size="sm" c="dimmed">
                        nobody
                      </Text>
                    ) : (
                      <>
                        {s.grants.apps.length > 0 && <Text size="sm">apps: {s.grants.apps.join(', ')}</Text>}
                        {s.grants.owners.length > 0 && <Text size="sm">owners: {s.grants.owners.join(', ')}</Text>}
                      </>
                    )}
                  </Table.Td>
                  <Table.Td>{formatDate(s.updatedAt)}</Table.Td>
                  <Table.Td>
                    <Group gap={4} wrap="nowrap">
                      <Button size="xs" variant="subtle" onClick={() => setEditing(s)} aria-label={`Replace ${s.name}`}>
                        Replace
                      </Button>
                      <Button size="xs" variant="subtle" color="red" onClick={() => (remove.reset(), setDeleting(s))} aria-label={`Delete ${s.name}`}>
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
      <Modal opened={editing !== null} onClose={() => setEditing(null)} title={editing === 'new' ? 'New secret' : `Replace ${editing?.name ?? ''}`} size="lg" centered>
        {editing !== null && <SecretForm secret={editing === 'new' ? null : editing} onDone={() => setEditing(null)} />}
      </Modal>
      <Confirm
        opened={deleting !== null}
        title={`Delete the secret ${deleting?.name ?? ''}?`}
        action="Delete"
        pending={remove.isPending}
        error={remove.error}
        onClose={() => setDeleting(null)}
        onConfirm={() => deleting && remove.mutate(deleting.name, { onSuccess: () => setDeleting(null) })}
      >
        <Text size="sm">Apps that read it no longer start. While an instance that reads it is not terminated, it cannot be deleted.</Text>
      </Confirm>
      <UserSecretsSection />
    </Stack>
  );
}
