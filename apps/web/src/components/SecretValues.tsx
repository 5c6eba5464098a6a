import { ActionIcon, Button, Fieldset, Group, PasswordInput, Stack, Text, TextInput } from '@mantine/core';
import type { Dispatch, SetStateAction } from 'react';

/** Secret names: a DNS name (the rule both secret stores share). */
export const SECRET_NAME = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const KEY = /^[-._a-zA-Z0-9]+$/;

/** One key of a secret being written, and its value (typed: values are never read back). */
export interface SecretRow {
  id: number;
  key: string;
  value: string;
}

let nextRow = 0;
export const secretRow = (key = ''): SecretRow => ({ id: nextRow++, key, value: '' });

/** What is wrong with the keys and values, by field (`key<id>`, `value<id>`, `rows`). */
export function secretRowProblems(rows: SecretRow[]): Record<string, string> {
  const out: Record<string, string> = {};
  const seen = new Set<string>();
  rows.forEach((r) => {
    if (!KEY.test(r.key)) out[`key${r.id}`] = 'letters, digits, dashes, dots or underscores';
    else if (seen.has(r.key)) out[`key${r.id}`] = `${r.key} is there twice`;
    seen.add(r.key);
    // values are never read back: an empty one here would silently erase the stored one
    if (r.value === '') out[`value${r.id}`] = 'type the value (values are write-only: replacing sets every key again)';
  });
  if (rows.length === 0) out.rows = 'add at least one key';
  return out;
}

/**
 * The keys and values of a secret being created or replaced (platform and user secrets alike):
 * a key and a password field per row, Remove and Add a key. Problems show once the form was tried.
 */
export function SecretValues({
  rows,
  setRows,
  problems,
  tried,
}: {
  rows: SecretRow[];
  setRows: Dispatch<SetStateAction<SecretRow[]>>;
  problems: Record<string, string>;
  tried: boolean;
}) {
  const change = (id: number, patch: Partial<SecretRow>) => setRows((rs) => rs.map((r) => (r.id === id ? { ...r, ...patch } : r)));
  return (
    <Fieldset legend="Keys and values" variant="unstyled">
      <Stack gap="xs">
        {rows.map((r, n) => (
          <Group key={r.id} align="flex-start" gap="xs" wrap="nowrap">
            <TextInput label={`Key ${n + 1}`} value={r.key} onChange={(e) => change(r.id, { key: e.currentTarget.value })} error={tried && problems[`key${r.id}`]} style={{ flex: 1 }} />
            <PasswordInput
              label={`Value ${n + 1}`}
              value={r.value}
              onChange={(e) => change(r.id, { value: e.currentTarget.value })}
              autoComplete="new-password"
              error={tried && problems[`value${r.id}`]}
              style={{ flex: 1 }}
            />
            <ActionIcon
              variant="subtle"
              color="red"
              mt={26}
              aria-label={`Remove key ${n + 1}${r.key ? ` (${r.key})` : ''}`}
              onClick={() => setRows((rs) => rs.filter((x) => x.id !== r.id))}
            >
              ×
            </ActionIcon>
          </Group>
        ))}
        {tried && problems.rows && (
          <Text size="sm" c="red" role="alert">
            {problems.rows}
          </Text>
        )}
        <Group>
          <Button variant="default" size="xs" onClick={() => setRows((rs) => [...rs, secretRow()])}>
            Add a key
          </Button>
        </Group>
      </Stack>
    </Fieldset>
  );
}
