import { Alert, Button, Group, SegmentedControl, Select, Stack, Switch, Text, Title } from '@mantine/core';
import { useEffect, useMemo, useRef, useState } from 'react';
import { useNavigate } from 'react-router';
import { VISIBILITIES, type Instance, type Visibility } from '../api/client';
import { useIdleSuspend, useInstanceAction, useInstanceVisibility, useUpgrade } from '../api/instance-queries';
import { useRuntimes, useVersions } from '../api/queries';
import { runtimeChoice } from '../pages/AppPage';
import { Confirm } from './Confirm';
import { ErrorAlert } from './ErrorAlert';

export const TERMINATE_WARNING = 'Its process, its files and its volume are removed. This cannot be undone.';

/**
 * What the owner of an instance (or an admin) does with it: suspend or resume, terminate after
 * confirming, change who may open it, and upgrade it to another version of its app or another
 * runtime (explicit: Wharf never upgrades an instance by itself). Admins also turn its suspension
 * for idleness off or on.
 */
export function InstanceControls({ instance: i, me, admin = false }: { instance: Instance; me: string; admin?: boolean }) {
  const navigate = useNavigate();
  const action = useInstanceAction(me);
  const visibility = useInstanceVisibility(me);
  const [confirming, setConfirming] = useState(false);
  const settled = i.status === 'TERMINATED';

  return (
    <Stack gap="lg">
      <section aria-labelledby="lifecycle">
        <Title order={2} size="h4" id="lifecycle" mb="xs">
          Lifecycle
        </Title>
        <Group gap="sm">
          {i.status === 'RUNNING' && (
            <Button variant="default" onClick={() => action.mutate({ id: i.id, action: 'suspend' })} loading={action.isPending && action.variables?.action === 'suspend'}>
              Suspend
            </Button>
          )}
          {(i.status === 'SUSPENDED' || i.status === 'FAILED') && (
            <Button variant="default" onClick={() => action.mutate({ id: i.id, action: 'resume' })} loading={action.isPending && action.variables?.action === 'resume'}>
              Resume
            </Button>
          )}
          {!settled && (
            <Button color="red" variant="light" onClick={() => setConfirming(true)}>
              Terminate
            </Button>
          )}
        </Group>
        <Text size="xs" c="dimmed" mt={4}>
          Suspending stops the app and keeps its volume; resuming starts it again where it was.
        </Text>
        {action.isError && <ErrorAlert error={action.error} title="That did not work" />}
      </section>

      {!settled && (
        <section aria-labelledby="sharing">
          <Title order={2} size="h4" id="sharing" mb="xs">
            Who may open it
          </Title>
          <SegmentedControl
            aria-labelledby="sharing"
            value={i.visibility}
            disabled={visibility.isPending}
            onChange={(v) => visibility.mutate({ id: i.id, visibility: v as Visibility })}
            data={VISIBILITIES.map((v) => ({ value: v.value, label: v.label }))}
          />
          <Text size="xs" c="dimmed" mt={4}>
            {VISIBILITIES.find((v) => v.value === i.visibility)?.hint}
          </Text>
          {visibility.isError && <ErrorAlert error={visibility.error} title="The visibility was not changed" />}
        </section>
      )}

      {!settled && admin && <IdleSuspendSwitch instance={i} me={me} />}

      {!settled && <UpgradePanel instance={i} me={me} />}

      <Confirm
        opened={confirming}
        title={`Terminate ${i.appName} ${i.id}?`}
        action="Terminate"
        pending={action.isPending}
        error={null}
        onConfirm={() => action.mutate({ id: i.id, action: 'terminate' }, { onSuccess: () => navigate('/instances'), onSettled: () => setConfirming(false) })}
        onClose={() => setConfirming(false)}
      >
        <Text>{TERMINATE_WARNING}</Text>
      </Confirm>
    </Stack>
  );
}

/** Admins: keep an instance running however long nobody uses it (a long job nobody watches), or not. */
function IdleSuspendSwitch({ instance: i, me }: { instance: Instance; me: string }) {
  const idle = useIdleSuspend(me);
  return (
    <section aria-labelledby="idle">
      <Title order={2} size="h4" id="idle" mb="xs">
        When nobody uses it
      </Title>
      <Switch
        label="Suspend when idle"
        checked={!i.idle.disabledByAdmin}
        disabled={idle.isPending}
        onChange={(e) => idle.mutate({ id: i.id, enabled: e.currentTarget.checked })}
      />
      <Text size="xs" c="dimmed" mt={4}>
        {idleSentence(i.idle)}
      </Text>
      {idle.isError && <ErrorAlert error={idle.error} title="Idle suspension was not changed" />}
    </section>
  );
}

/** When the instance is suspended for idleness, in a sentence. */
export function idleSentence(idle: Instance['idle']): string {
  if (idle.disabledByAdmin) return 'An admin turned idle suspension off: it runs until someone suspends or terminates it.';
  if (idle.timeoutMinutes === null) return 'Never suspended for idleness (its app or the platform says so).';
  return `Suspended after ${idle.timeoutMinutes} min without traffic (its volume is kept; opening it resumes it).`;
}

function UpgradePanel({ instance: i, me }: { instance: Instance; me: string }) {
  const versions = useVersions(i.appName);
  const runtimes = useRuntimes();
  const upgrade = useUpgrade(me);
  const { offered } = useMemo(() => runtimeChoice(runtimes.data?.items ?? [], i.runtime), [runtimes.data, i.runtime]);
  const [version, setVersion] = useState<string>(i.appVersionId);
  const [runtime, setRuntime] = useState<string>(i.runtime);
  useEffect(() => setVersion(i.appVersionId), [i.appVersionId]);
  useEffect(() => setRuntime(i.runtime), [i.runtime]);
  const changed = version !== i.appVersionId || runtime !== i.runtime;
  const chosenRuntime = offered.find((r) => r.name === runtime);
  // once the instance runs the chosen version, the button turns disabled: the focus it had goes to
  // the sentence saying what happened (read out by screen readers), not back to the document
  const form = useRef<HTMLFormElement>(null);
  const done = useRef<HTMLParagraphElement>(null);
  const upgraded = upgrade.isSuccess && !changed;
  useEffect(() => {
    const focus = document.activeElement;
    if (upgraded && (!focus || focus === document.body || form.current?.contains(focus))) done.current?.focus();
  }, [upgraded]);

  return (
    <section aria-labelledby="upgrade">
      <Title order={2} size="h4" id="upgrade" mb="xs">
        Upgrade
      </Title>
      <form
        ref={form}
        onSubmit={(e) => {
          e.preventDefault();
          upgrade.mutate({ id: i.id, ...(version !== i.appVersionId ? { appVersionId: version } : {}), ...(runtime !== i.runtime ? { runtime } : {}) });
        }}
      >
        <Stack gap="sm" maw={420}>
          <Select
            label="Version"
            data={(versions.data?.items ?? []).map((v) => ({ value: v.id, label: `${v.version}${v.id === i.appVersionId ? ' (running now)' : ''}` }))}
            value={version}
            onChange={(v) => setVersion(v ?? i.appVersionId)}
            allowDeselect={false}
            disabled={!versions.isSuccess}
          />
          <Select
            label="Runtime"
            data={[...offered.map((r) => r.name), ...(offered.some((r) => r.name === i.runtime) ? [] : [i.runtime])].map((name) => {
              const r = offered.find((x) => x.name === name);
              return { value: name, label: `${name}${name === i.runtime ? ' (running now)' : ''}${r?.state === 'DEPRECATED' ? ' — deprecated' : ''}` };
            })}
            value={runtime}
            onChange={(v) => setRuntime(v ?? i.runtime)}
            allowDeselect={false}
            disabled={!runtimes.isSuccess}
          />
          {chosenRuntime?.state === 'DEPRECATED' && runtime !== i.runtime && (
            <Alert color="yellow" title="Deprecated runtime" role="status">
              {chosenRuntime.name} is deprecated{chosenRuntime.stateReason ? `: ${chosenRuntime.stateReason}` : ''}.
            </Alert>
          )}
          {versions.isError && <ErrorAlert error={versions.error} title="The versions could not be loaded" />}
          {upgrade.isError && <ErrorAlert error={upgrade.error} title="Not upgraded" />}
          {upgraded && (
            <Text size="sm" role="status" ref={done} tabIndex={-1}>
              Upgraded: the instance restarts with {upgrade.data.appVersion} on {upgrade.data.runtime}.
            </Text>
          )}
          <Group>
            <Button type="submit" disabled={!changed} loading={upgrade.isPending}>
              Upgrade and restart
            </Button>
          </Group>
          <Text size="xs" c="dimmed">
            The instance restarts on the chosen version and runtime; its volume is kept.
          </Text>
        </Stack>
      </form>
    </section>
  );
}
