import { Button, Group, Modal, Stack } from '@mantine/core';
import type { ReactNode } from 'react';
import { ErrorAlert } from './ErrorAlert';

/** Asks before a destructive change (delete, revoke, terminate); the change's error stays in the dialog. */
export function Confirm({
  opened,
  title,
  children,
  action,
  pending,
  error,
  onConfirm,
  onClose,
}: {
  opened: boolean;
  title: string;
  children: ReactNode;
  action: string;
  pending: boolean;
  error: unknown;
  onConfirm: () => void;
  onClose: () => void;
}) {
  return (
    <Modal opened={opened} onClose={onClose} title={title} centered>
      <Stack gap="sm">
        {children}
        {error ? <ErrorAlert error={error} title={`Not done: ${action.toLowerCase()}`} /> : null}
        <Group justify="flex-end">
          {/* the safe choice has the focus when the dialog opens (not the close button, not the change) */}
          <Button variant="default" onClick={onClose} data-autofocus>
            Cancel
          </Button>
          <Button color="red" loading={pending} onClick={onConfirm}>
            {action}
          </Button>
        </Group>
      </Stack>
    </Modal>
  );
}
