import { Alert, Button, Code, Group, Modal, Radio, Stack, Table, TagsInput, Text, TextInput, Title } from '@mantine/core';
import { useId, useState } from 'react';
import type { SignedIn } from '../api/client';
import {
  SECRET_VISIBILITIES,
  useCreateSecret,
  useDeleteMySecret,
  useMySecrets,
  useReplaceSecret,
  useSetSecretVisibility,
  type UserSecret,
  type UserSecretVisibility,
} from '../api/secret-queries';
import { Confirm } from '../components/Confirm';
import { ErrorAlert } from '../components/ErrorAlert';
import { SECRET_NAME, SecretValues, secretRow, secretRowProblems, type SecretRow } from '../components/SecretValues';
import { formatDate } from './AppPage';
import { ListState, ScrollTable } from './admin/common';

const APP_NAME = /^[a-z0-9][a-z0-9.-]*$/;

type Mode = 'new' | 'replace' | 'visibility';

/** What is wrong with the form, field by field (the API checks again; this only saves a round trip). */
export function userSecretProblems(mode: Mode, form: { name: string; rows: SecretRow[]; visibility: UserSecretVisibility; apps: string[] }): Record<string, string> {
  const out: Record<string, string> = {};
  if (mode === 'new' && (!SECRET_NAME.test(form.name) || form.name.length > 63)) out.name = 'lower-case letters, digits, dashes and dots, at most 63 characters, e.g. openai';
  if (mode !== 'visibility') Object.assign(out, secretRowProblems(form.rows));
  if (form.visibility === 'APP') {
    if (form.apps.length === 0) out.apps = 'name at least one app whose instances may read it';
    const bad = form.apps.find((a) => !APP_NAME.test(a));
    if (bad) out.apps = `${bad} is not an app name (lower-case letters, digits, dots and dashes)`;
  }
  return out;
}

/** Who may read it, in words. */
export function readersOf(s: Pick<UserSecret, 'visibility' | 'apps'>): string {
  if (s.visibility === 'PRIVATE') return 'only instances you run';
  if (s.visibility === 'ALL_USERS') return 'every instance that names it';
  return `instances of ${s.apps.join(', ')}`;
}

/**
 * New secret, replacing its values, or changing who may read it. Values are write-only: they are
 * never read back, so replacing means typing every value again.
 */
function SecretForm({ mode, secret, onDone }: { mode: Mode; secret: UserSecret | null; onDone: () => void }) {
  const create = useCreateSecret();
  const replace = useReplaceSecret();
  const rescope = useSetSecretVisibility();
  const mutation = mode === 'new' ? create : mode === 'replace' ? replace : rescope;
  const [name, setName] = useState(secret?.name ?? '');
  const [rows, setRows] = useState<SecretRow[]>(() => (secret ? secret.keys.map((k) => secretRow(k)) : [secretRow()]));
  const [visibility, setVisibility] = useState<UserSecretVisibility>(secret?.visibility ?? 'PRIVATE');
  const [apps, setApps] = useState<string[]>(secret?.apps ?? []);
  const [tried, setTried] = useState(false);
  const problems = userSecretProblems(mode, { name, rows, visibility, apps });
  const formId = useId();
  const access = { visibility, ...(visibility === 'APP' ? { apps } : {}) };
  const submit = () => {
    const data = Object.fromEntries(rows.map((r) => [r.key, r.value]));
    if (mode === 'new') create.mutate({ name, data, ...access }, { onSuccess: onDone });
    else if (mode === 'replace') replace.mutate({ name, body: { data, ...access } }, { onSuccess: onDone });
    else rescope.mutate({ name, body: access }, { onSuccess: onDone });
  };
  return (
    <form
      id={formId}
      noValidate
      onSubmit={(e) => {
        e.preventDefault();
        setTried(true);
        if (Object.keys(problems).length === 0) submit();
      }}
    >
      <Stack gap="sm">
        {mode === 'new' ? (
          <TextInput label="Name" required value={name} onChange={(e) => setName(e.currentTarget.value)} error={tried && problems.name} data-autofocus />
        ) : mode === 'replace' ? (
          <Text size="sm">
            Replacing <strong>{secret?.name}</strong>: every key is set to what you type here; keys you remove are deleted. Values are never shown.
          </Text>
        ) : (
          <Text size="sm">
            Who may read <strong>{secret?.name}</strong>; its values stay as they are.
          </Text>
        )}
        {mode !== 'visibility' && (
          <SecretValues rows={rows} setRows={setRows} problems={problems} tried={tried} />
        )}
        <Radio.Group label="Who may read it" value={visibility} onChange={(v) => setVisibility(v as UserSecretVisibility)}>
          <Stack gap={6} mt={4}>
            {SECRET_VISIBILITIES.map((v) => (
              <Radio key={v.value} value={v.value} label={v.label} description={v.hint} />
            ))}
          </Stack>
        </Radio.Group>
        {visibility === 'APP' && (
          <TagsInput label="Apps" description="App names whose instances may read it; Enter after each" value={apps} onChange={setApps} error={tried && problems.apps} clearable />
        )}
        {visibility === 'ALL_USERS' && (
          <Alert color="yellow" title="Anyone's app can read it">
            Any user can publish an app whose <Code>[[Env]]</Code> names this secret, and every instance of it gets the value. Choose this only for values you would
            give to every user of this Wharf.
          </Alert>
        )}
        {mutation.isError && <ErrorAlert error={mutation.error} title="The secret was not saved" />}
        <Group justify="flex-end">
          <Button variant="default" onClick={onDone}>
            Cancel
          </Button>
          <Button type="submit" loading={mutation.isPending}>
            {mode === 'new' ? 'Create secret' : mode === 'replace' ? 'Replace secret' : 'Save'}
          </Button>
        </Group>
      </Stack>
    </form>
  );
}

const TITLES: Record<Mode, (s: UserSecret | null) => string> = {
  new: () => 'New secret',
  replace: (s) => `Replace ${s?.name ?? ''}`,
  visibility: (s) => `Who may read ${s?.name ?? ''}`,
};

/**
 * Your secrets (names, key names, who may read them and how apps name them; values write-only):
 * create, replace, change who may read them, delete after confirming.
 */
export function SecretsPage({ session }: { session: SignedIn }) {
  const canKeep = session.user.roles.some((r) => r === 'admin' || r === 'full-access');
  const secrets = useMySecrets(canKeep);
  const remove = useDeleteMySecret();
  const [editing, setEditing] = useState<{ mode: Mode; secret: UserSecret | null } | null>(null);
  const [deleting, setDeleting] = useState<UserSecret | null>(null);
  if (!canKeep) {
    return (
      <Stack gap="md">
        <Title order={1}>Secrets</Title>
        <Text>Visitors cannot keep secrets: ask an admin for the full-access role.</Text>
      </Stack>
    );
  }
  return (
    <Stack gap="md">
      <Group justify="space-between">
        <Title order={1}>Secrets</Title>
        <Button onClick={() => setEditing({ mode: 'new', secret: null })}>New secret</Button>
      </Group>
      <Text c="dimmed" size="sm">
        Your apps read a secret through <Code>{'[[Env]] Secret = "~/<name>"'}</Code> in instances you run, or by its reference from any instance its visibility lets read
        it. Values are write-only: nobody sees them again, you neither.
      </Text>
      <ListState query={secrets} label="secrets" empty="No secrets yet.">
        <ScrollTable minWidth={720} label="Your secrets">
          <Table striped aria-label="Your secrets">
            <Table.Thead>
              <Table.Tr>
                <Table.Th scope="col">Name</Table.Th>
                <Table.Th scope="col">Keys</Table.Th>
                <Table.Th scope="col">Who may read it</Table.Th>
                <Table.Th scope="col">In app.toml</Table.Th>
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
                  <Table.Td>{readersOf(s)}</Table.Td>
                  <Table.Td>
                    <Code>{s.ref}</Code>
                  </Table.Td>
                  <Table.Td>{formatDate(s.updatedAt)}</Table.Td>
                  <Table.Td>
                    <Group gap={4} wrap="nowrap">
                      <Button size="xs" variant="subtle" onClick={() => setEditing({ mode: 'replace', secret: s })} aria-label={`Replace ${s.name}`}>
                        Replace
                      </Button>
                      <Button size="xs" variant="subtle" onClick={() => setEditing({ mode: 'visibility', secret: s })} aria-label={`Who may read ${s.name}`}>
                        Access
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
      <Modal opened={editing !== null} onClose={() => setEditing(null)} title={editing ? TITLES[editing.mode](editing.secret) : ''} size="lg" centered>
        {editing !== null && <SecretForm mode={editing.mode} secret={editing.secret} onDone={() => setEditing(null)} />}
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
    </Stack>
  );
}
