import { Badge, Button, Group, Select, Stack, Table, Text, TextInput, Title } from '@mantine/core';
import { useState } from 'react';
import { useAudit, type AuditEvent, type AuditFilter } from '../../api/admin-queries';
import { formatDate } from '../AppPage';
import { ListState, ScrollTable } from './common';

const OUTCOME_COLOR: Record<AuditEvent['outcome'], string> = { success: 'green', denied: 'yellow', failure: 'red' };

/** `datetime-local` input (local time, no zone) → ISO with offset, as the API wants; '' stays ''. */
export function localToIso(value: string): string {
  if (!value) return '';
  const d = new Date(value);
  return Number.isNaN(d.getTime()) ? '' : d.toISOString();
}

interface Form {
  actor: string;
  action: string;
  target: string;
  outcome: AuditEvent['outcome'] | null;
  since: string;
  until: string;
}
const EMPTY: Form = { actor: '', action: '', target: '', outcome: null, since: '', until: '' };

function toFilter(f: Form): AuditFilter {
  return {
    actor: f.actor.trim(),
    action: f.action.trim(),
    target: f.target.trim(),
    since: localToIso(f.since),
    until: localToIso(f.until),
    ...(f.outcome ? { outcome: f.outcome } : {}),
  };
}

/** Admin tab: the audit log, newest first, filtered by actor, action (`app.*`), target, outcome and time. */
export function AdminAuditPage() {
  const [form, setForm] = useState<Form>(EMPTY);
  const [filter, setFilter] = useState<AuditFilter>(toFilter(EMPTY));
  const audit = useAudit(filter);
  const set = (patch: Partial<Form>) => setForm((f) => ({ ...f, ...patch }));
  return (
    <Stack gap="md">
      <Title order={2}>Audit log</Title>
      <form
        role="search"
        aria-label="Filter the audit log"
        onSubmit={(e) => {
          e.preventDefault();
          setFilter(toFilter(form));
        }}
      >
        <Group align="flex-end" gap="sm" wrap="wrap">
          <TextInput label="Actor" description="User id or name" value={form.actor} onChange={(e) => set({ actor: e.currentTarget.value })} w={180} />
          <TextInput label="Action" description="e.g. app.delete or app.*" value={form.action} onChange={(e) => set({ action: e.currentTarget.value })} w={180} />
          <TextInput label="Target" value={form.target} onChange={(e) => set({ target: e.currentTarget.value })} w={180} />
          <Select
            label="Outcome"
            data={['success', 'denied', 'failure']}
            value={form.outcome}
            onChange={(v) => set({ outcome: v as Form['outcome'] })}
            clearable
            placeholder="Any"
            w={140}
          />
          <TextInput type="datetime-local" label="Since" value={form.since} onChange={(e) => set({ since: e.currentTarget.value })} w={210} />
          <TextInput type="datetime-local" label="Until" value={form.until} onChange={(e) => set({ until: e.currentTarget.value })} w={210} />
          <Button type="submit">Apply filters</Button>
          <Button
            variant="default"
            onClick={() => {
              setForm(EMPTY);
              setFilter(toFilter(EMPTY));
            }}
          >
            Clear
          </Button>
        </Group>
      </form>
      <ListState query={audit} label="audit events" empty="No event matches.">
        <ScrollTable minWidth={860} label="Audit events">
          <Table striped aria-label="Audit events">
            <Table.Thead>
              <Table.Tr>
                <Table.Th scope="col">When</Table.Th>
                <Table.Th scope="col">Actor</Table.Th>
                <Table.Th scope="col">Action</Table.Th>
                <Table.Th scope="col">Target</Table.Th>
                <Table.Th scope="col">Outcome</Table.Th>
                <Table.Th scope="col">Request</Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {audit.items.map((e) => (
                <Table.Tr key={e.id} data-event={e.id}>
                  <Table.Td>{formatDate(e.at)}</Table.Td>
                  <Table.Td>
                    {e.actor.name ?? e.actor.sub ?? 'anonymous'}
                    <Text size="xs" c="dimmed">
                      {e.actor.kind}
                    </Text>
                  </Table.Td>
                  <Table.Td>
                    <code>{e.action}</code>
                  </Table.Td>
                  <Table.Td>{e.target ?? '—'}</Table.Td>
                  <Table.Td>
                    <Badge color={OUTCOME_COLOR[e.outcome]} variant="light" tt="none">
                      {e.outcome}
                      {e.status ? ` (${e.status})` : ''}
                    </Badge>
                  </Table.Td>
                  <Table.Td>
                    <Text size="xs">{e.ip ?? ''}</Text>
                    <Text size="xs" c="dimmed">
                      {e.requestId ?? ''}
                    </Text>
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
