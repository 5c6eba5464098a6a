import { Button, Group, Loader, Progress, Stack, Table, Text } from '@mantine/core';
import type { ReactNode } from 'react';
import type { UserUsage } from '../../api/admin-queries';
import { ErrorAlert } from '../../components/ErrorAlert';
export { Confirm } from '../../components/Confirm';
export { formatBytes } from '../../format';

type Limit = UserUsage['instances']['limit'];

/** "3 of 10", "3 (no limit)", "3 (limit unknown)": a count against a limit, in words. */
export function usageText(used: number, limit: Limit): string {
  if (!limit) return `${used} (limit unknown: role not known)`;
  if (limit.max === null) return `${used} (no limit)`;
  return `${used} of ${limit.max}`;
}

/** A count against its limit: the words, a bar when there is a limit, and where the limit comes from. */
export function Meter({ label, used, limit }: { label: string; used: number; limit: Limit }) {
  const max = limit?.max ?? null;
  const ratio = max === null ? null : max === 0 ? (used > 0 ? 1 : 0) : Math.min(1, used / max);
  const color = ratio === null ? 'gray' : ratio >= 1 ? 'red' : ratio >= 0.8 ? 'yellow' : 'green';
  return (
    <Stack gap={2} miw={140}>
      <Text size="sm">
        <span className="visually-hidden">{label}: </span>
        {usageText(used, limit)}
      </Text>
      {ratio !== null && max !== 0 && <Progress value={ratio * 100} color={color} size="sm" aria-label={`${label}: ${used} of ${max}`} />}
      {limit && (
        <Text size="xs" c="dimmed">
          {limit.reason}
          {limit.setting ? ` · ${limit.setting}` : ''}
        </Text>
      )}
    </Stack>
  );
}

/** Loading, error (with retry) or the content; `Show more` when the list has more pages. */
export function ListState({
  query,
  label,
  empty,
  children,
}: {
  query: { isPending: boolean; isError: boolean; error: unknown; refetch: () => unknown; hasNextPage?: boolean; fetchNextPage?: () => unknown; isFetchingNextPage?: boolean; items: unknown[] };
  label: string;
  empty: string;
  children: ReactNode;
}) {
  if (query.isPending) {
    return (
      <Group justify="center" p="md">
        <Loader size="sm" aria-label={`Loading ${label}`} />
      </Group>
    );
  }
  if (query.isError && query.items.length === 0) return <ErrorAlert error={query.error} title={`The ${label} could not be loaded`} onRetry={() => void query.refetch()} />;
  return (
    <Stack gap="sm">
      {query.items.length === 0 ? <Text c="dimmed">{empty}</Text> : children}
      {query.isError && <ErrorAlert error={query.error} title={`More ${label} could not be loaded`} onRetry={() => void query.refetch()} />}
      {query.hasNextPage && (
        <Group justify="center">
          <Button variant="default" onClick={() => void query.fetchNextPage?.()} loading={query.isFetchingNextPage}>
            Show more {label}
          </Button>
        </Group>
      )}
    </Stack>
  );
}


/**
 * A table that scrolls sideways on narrow screens; the scrolling area takes the keyboard focus
 * (arrow keys scroll it), as tables without buttons have nothing else to focus.
 */
export function ScrollTable({ minWidth, label, children }: { minWidth: number; label: string; children: ReactNode }) {
  return (
    <Table.ScrollContainer minWidth={minWidth} scrollAreaProps={{ viewportProps: { tabIndex: 0, role: 'region', 'aria-label': `${label}, scrolls sideways` } }}>
      {children}
    </Table.ScrollContainer>
  );
}
