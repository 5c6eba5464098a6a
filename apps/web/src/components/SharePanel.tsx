import { Alert, Badge, Button, Checkbox, CopyButton, Group, Select, Stack, Table, Text, TextInput, Title } from '@mantine/core';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { api, unwrap, type Instance, type Schemas } from '../api/client';
import { formatDate } from '../pages/AppPage';
import { ErrorAlert } from './ErrorAlert';

type Share = Schemas['InstanceShare'];

const LIFETIMES = [
  { value: '1h', label: '1 hour' },
  { value: '24h', label: '24 hours' },
  { value: '7d', label: '7 days' },
];

const STATE_TEXT: Record<Share['state'], { label: string; color: string }> = {
  ACTIVE: { label: 'active', color: 'green' },
  EXPIRED: { label: 'expired', color: 'gray' },
  REVOKED: { label: 'revoked', color: 'red' },
  USED: { label: 'used', color: 'blue' },
};

const sharesKey = (id: string) => ['instance-shares', id] as const;

/**
 * Share links of an instance, for its owner and admins: make one (how long it opens, once only,
 * for guests too where the platform allows it), copy it — it is shown this once, only its hash is
 * kept — and see every link's state and uses, with Revoke: whoever came through a revoked link
 * loses the instance at once.
 */
export function SharePanel({ instance: i }: { instance: Instance }) {
  const qc = useQueryClient();
  const shares = useQuery({
    queryKey: sharesKey(i.id),
    queryFn: () => unwrap(api.GET('/api/v1/instances/{id}/shares', { params: { path: { id: i.id } } })),
  });
  const [expiresIn, setExpiresIn] = useState('24h');
  const [oneTime, setOneTime] = useState(false);
  const [anonymous, setAnonymous] = useState(false);
  const [made, setMade] = useState<{ url: string; share: Share } | null>(null);
  const create = useMutation({
    mutationFn: () => unwrap(api.POST('/api/v1/instances/{id}/shares', { params: { path: { id: i.id } }, body: { expiresIn, oneTime, anonymous: anonymous && !!shares.data?.anonymousAllowed } })),
    onSuccess: (answer) => {
      setMade(answer);
      void qc.invalidateQueries({ queryKey: sharesKey(i.id) });
    },
  });
  const revoke = useMutation({
    mutationFn: (shareId: string) => unwrap(api.DELETE('/api/v1/instances/{id}/shares/{shareId}', { params: { path: { id: i.id, shareId } } })),
    onSuccess: () => void qc.invalidateQueries({ queryKey: sharesKey(i.id) }),
  });
  if (i.status === 'TERMINATED') return null;

  return (
    <section aria-labelledby="share-links">
      <Title order={2} size="h4" id="share-links" mb="xs">
        Share
      </Title>
      <Text size="xs" c="dimmed" mb="xs">
        A share link lets others view this instance — even a private one — until it expires or you revoke it. They see the app as a visitor does; they never manage it or read its logs.
      </Text>
      <Group align="end" gap="sm">
        <Select label="Link opens for" data={LIFETIMES} value={expiresIn} onChange={(v) => v && setExpiresIn(v)} allowDeselect={false} w={140} />
        <Checkbox label="Once only" checked={oneTime} onChange={(e) => setOneTime(e.currentTarget.checked)} />
        {/* offered only where the platform allows links for guests (Gateway.AllowAnonymousShares) */}
        {shares.data?.anonymousAllowed && <Checkbox label="Guests too (no sign-in)" checked={anonymous} onChange={(e) => setAnonymous(e.currentTarget.checked)} />}
        <Button
          variant="default"
          loading={create.isPending}
          onClick={() => {
            setMade(null);
            create.mutate();
          }}
        >
          Create link
        </Button>
      </Group>
      {create.isError && <ErrorAlert error={create.error} title="No link was made" />}
      {made && (
        <Alert mt="sm" color="blue" title="Copy the link now" data-testid="new-share-link">
          <Stack gap="xs">
            <Text size="sm">This link is shown only this once (Wharf keeps only its hash). Anyone who has it can view the instance until {formatDate(made.share.expiresAt)}.</Text>
            <Group gap="xs" wrap="nowrap">
              <TextInput aria-label="Share link" value={made.url} readOnly onFocus={(e) => e.currentTarget.select()} style={{ flex: 1 }} />
              <CopyButton value={made.url}>{({ copied, copy }) => <Button onClick={copy}>{copied ? 'Copied' : 'Copy'}</Button>}</CopyButton>
              <Button variant="subtle" onClick={() => setMade(null)}>
                Done
              </Button>
            </Group>
          </Stack>
        </Alert>
      )}
      {shares.isError && <ErrorAlert error={shares.error} title="The share links could not be loaded" onRetry={() => void shares.refetch()} />}
      {shares.data && shares.data.items.length > 0 && (
        <Table mt="sm" aria-label="Share links">
          <Table.Thead>
            <Table.Tr>
              <Table.Th>Link</Table.Th>
              <Table.Th>For</Table.Th>
              <Table.Th>State</Table.Th>
              <Table.Th>Uses</Table.Th>
              <Table.Th>Expires</Table.Th>
              <Table.Th />
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {shares.data.items.map((s) => (
              <Table.Tr key={s.id}>
                <Table.Td>
                  <code>{s.id}</code>
                  {s.oneTime && <Text size="xs">once only</Text>}
                </Table.Td>
                <Table.Td>{s.anonymous ? 'anyone' : 'signed-in users'}</Table.Td>
                <Table.Td>
                  <Badge color={STATE_TEXT[s.state].color} variant="light" title={s.revokedReason ?? undefined}>
                    {STATE_TEXT[s.state].label}
                  </Badge>
                </Table.Td>
                <Table.Td>{s.uses}</Table.Td>
                <Table.Td>{formatDate(s.expiresAt)}</Table.Td>
                <Table.Td>
                  {(s.state === 'ACTIVE' || s.state === 'USED') && (
                    <Button size="xs" color="red" variant="light" aria-label={`Revoke ${s.id}`} loading={revoke.isPending && revoke.variables === s.id} onClick={() => revoke.mutate(s.id)}>
                      Revoke
                    </Button>
                  )}
                </Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      )}
      {revoke.isError && <ErrorAlert error={revoke.error} title="The link was not revoked" />}
    </section>
  );
}
