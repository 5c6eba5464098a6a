import { Badge, Button, Stack, Table, Text, Title } from '@mantine/core';
import { useState } from 'react';
import { useRevokeToken, useTokens, type TokenInfo } from '../../api/admin-queries';
import { formatDate } from '../AppPage';
import { Confirm, ListState, ScrollTable } from './common';

function tokenState(t: TokenInfo, now = Date.now()): { label: string; color: string } {
  if (t.revokedAt) return { label: `Revoked ${formatDate(t.revokedAt)}`, color: 'gray' };
  if (t.expiresAt && Date.parse(t.expiresAt) <= now) return { label: 'Expired', color: 'gray' };
  return { label: 'Active', color: 'green' };
}

/**
 * Personal access tokens (your own, or everyone's for admins) with a revoke that asks first.
 * Secrets are never shown again: the hint is the first characters, to recognise a token.
 */
export function TokenList({ all, label }: { all: boolean; label: string }) {
  const tokens = useTokens(all);
  const revoke = useRevokeToken();
  const [confirming, setConfirming] = useState<TokenInfo | null>(null);
  const close = () => setConfirming(null);
  return (
    <>
      <ListState query={tokens} label="tokens" empty="No tokens yet.">
        <ScrollTable minWidth={720} label={label}>
          <Table striped aria-label={label}>
            <Table.Thead>
              <Table.Tr>
                <Table.Th scope="col">Name</Table.Th>
                {all && <Table.Th scope="col">User</Table.Th>}
                <Table.Th scope="col">Starts with</Table.Th>
                <Table.Th scope="col">Roles</Table.Th>
                <Table.Th scope="col">Created</Table.Th>
                <Table.Th scope="col">Expires</Table.Th>
                <Table.Th scope="col">Last used</Table.Th>
                <Table.Th scope="col">State</Table.Th>
                <Table.Th scope="col">
                  <span className="visually-hidden">Actions</span>
                </Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {tokens.items.map((t) => {
                const state = tokenState(t);
                return (
                  <Table.Tr key={t.id} data-token={t.id}>
                    <Table.Td>
                      {t.name}
                      {t.readOnly && (
                        <Badge ml={6} size="xs" variant="light" color="gray" tt="none">
                          read-only
                        </Badge>
                      )}
                    </Table.Td>
                    {all && (
                      <Table.Td>
                        {t.user.name} <Text span size="xs" c="dimmed">({t.user.sub})</Text>
                      </Table.Td>
                    )}
                    <Table.Td>
                      <code>{t.hint}…</code>
                    </Table.Td>
                    <Table.Td>{t.roles.join(', ')}</Table.Td>
                    <Table.Td>{formatDate(t.createdAt)}</Table.Td>
                    <Table.Td>{t.expiresAt ? formatDate(t.expiresAt) : 'never'}</Table.Td>
                    <Table.Td>{t.lastUsedAt ? formatDate(t.lastUsedAt) : 'never'}</Table.Td>
                    <Table.Td>
                      <Badge color={state.color} variant="light" tt="none">
                        {state.label}
                      </Badge>
                    </Table.Td>
                    <Table.Td>
                      {!t.revokedAt && (
                        <Button size="xs" color="red" variant="subtle" onClick={() => (revoke.reset(), setConfirming(t))} aria-label={`Revoke ${t.name}${all ? ` of ${t.user.name}` : ''}`}>
                          Revoke
                        </Button>
                      )}
                    </Table.Td>
                  </Table.Tr>
                );
              })}
            </Table.Tbody>
          </Table>
        </ScrollTable>
      </ListState>
      <Confirm
        opened={confirming !== null}
        title={`Revoke the token ${confirming?.name ?? ''}?`}
        action="Revoke"
        pending={revoke.isPending}
        error={revoke.error}
        onClose={close}
        onConfirm={() => confirming && revoke.mutate(confirming.id, { onSuccess: close })}
      >
        <Text size="sm">
          Whatever uses it ({confirming?.user.name}’s scripts, CLI or device login) is refused from its next request, on every gateway. This cannot be undone.
        </Text>
      </Confirm>
    </>
  );
}

/** Admin tab: every user's tokens. */
export function AdminTokensPage() {
  return (
    <Stack gap="md">
      <Title order={2}>Tokens</Title>
      <Text c="dimmed" size="sm">
        Every user’s personal access tokens, newest first. Revoking one takes effect on its next request.
      </Text>
      <TokenList all label="Everyone’s tokens" />
    </Stack>
  );
}
