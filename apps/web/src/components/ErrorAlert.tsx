import { Alert, Button, List } from '@mantine/core';
import { ApiError, errorMessage } from '../api/client';

const TITLES: Record<string, string> = {
  INVALID: 'Not accepted',
  UNAUTHENTICATED: 'Not signed in',
  FORBIDDEN: 'Not allowed',
  NOT_FOUND: 'Not found',
  CONFLICT: 'Not possible right now',
  LIMIT_EXCEEDED: 'Limit reached',
  UNAVAILABLE: 'Unavailable',
  NETWORK: 'No connection',
};

/** An API error as a readable message (never raw JSON), with each field problem on its own line. */
export function ErrorAlert({ error, title, onRetry }: { error: unknown; title?: string; onRetry?: () => void }) {
  const problems = error instanceof ApiError ? error.problems : [];
  const heading = title ?? (error instanceof ApiError ? (TITLES[error.code] ?? 'Something went wrong') : 'Something went wrong');
  return (
    <Alert color="red" title={heading} role="alert" variant="light">
      {errorMessage(error)}
      {problems.length > 1 && (
        <List size="sm" mt="xs">
          {problems.map((p) => (
            <List.Item key={p}>{p}</List.Item>
          ))}
        </List>
      )}
      {onRetry && (
        <Button mt="sm" size="xs" variant="default" onClick={onRetry}>
          Try again
        </Button>
      )}
    </Alert>
  );
}
