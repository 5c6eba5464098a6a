import { Anchor, Button, Group, Loader, Stack, Text, Title } from '@mantine/core';
import { Link, useLocation, useParams } from 'react-router';
import type { SignedIn } from '../api/client';
import { useInstanceEvents } from '../api/instance-queries';
import { useInstance } from '../api/queries';
import { ErrorAlert } from '../components/ErrorAlert';
import { idleSentence, InstanceControls } from '../components/InstanceControls';
import { InstanceStatus } from '../components/InstanceStatus';
import { LogViewer } from '../components/LogViewer';
import { SharePanel } from '../components/SharePanel';
import { formatDate } from './AppPage';

/**
 * One instance: its status, kept current by the server-sent events stream (GET /api/v1/events),
 * the link that opens it, for its owner and admins its controls, and for those who may read its
 * logs (its owner, the app's owner, admins) the logs, followed live.
 */
export function InstancePage({ session }: { session: SignedIn }) {
  const { id = '' } = useParams();
  const created = (useLocation().state as { created?: boolean } | null)?.created === true;
  const instance = useInstance(id);
  useInstanceEvents(session.user.sub, { instance: id });
  if (instance.isPending) {
    return (
      <Group justify="center" p="xl">
        <Loader aria-label="Loading the instance" />
      </Group>
    );
  }
  if (instance.isError) return <ErrorAlert error={instance.error} title="The instance could not be loaded" onRetry={() => void instance.refetch()} />;
  const i = instance.data;
  const admin = session.user.roles.includes('admin');
  const logsShown = i.status !== 'TERMINATED' && (admin || i.owner.sub === session.user.sub || i.appOwner.sub === session.user.sub);
  return (
    <Stack gap="md">
      <Title order={1}>
        {i.appName} {i.appVersion}
      </Title>
      {created && (
        <Text role="status" data-testid="instance-created">
          Instance <code>{i.id}</code> created.
        </Text>
      )}
      <Group gap="sm" aria-live="polite">
        <Text>Status</Text>
        <InstanceStatus instance={i} size="lg" />
      </Group>
      {i.statusReason && (
        <Text c={i.status === 'FAILED' ? 'red' : undefined} data-testid="status-reason">
          {i.status === 'SUSPENDED' && !/^the instance is suspended/i.test(i.statusReason) ? `Suspended: ${i.statusReason}` : i.statusReason}
        </Text>
      )}
      {i.warnings.map((w) => (
        <Text key={w} size="sm" c="dimmed">
          {w}
        </Text>
      ))}
      <div className={logsShown ? 'instance-page' : undefined}>
        <Stack gap="md" maw={720}>
          <dl className="facts">
            <dt>Instance</dt>
            <dd>
              <code>{i.id}</code>
            </dd>
            <dt>Runtime</dt>
            <dd>{i.runtime}</dd>
            <dt>Visibility</dt>
            <dd>{i.visibility}</dd>
            <dt>Started</dt>
            <dd>{formatDate(i.createdAt)}</dd>
            <dt>When idle</dt>
            <dd>
              {idleSentence(i.idle)}
              {i.idle.keepAliveUntil && Date.parse(i.idle.keepAliveUntil) > Date.now() && <> The app keeps it running until {formatDate(i.idle.keepAliveUntil)}.</>}
            </dd>
            <dt>Address</dt>
            <dd>
              <code>{i.url}</code>
              {i.routingMode === 'BASE_URL' && (
                // said because that one origin is shared: apps there can reach their user's other such instances in the browser
                <Text size="sm" c="dimmed" data-testid="base-path-note">
                  Served under the path <code>{i.basePath}</code> of the apps host, a host it shares with the other instances served under a path.
                </Text>
              )}
            </dd>
            {i.aliases.length > 0 && (
              <>
                <dt>Aliases</dt>
                <dd>
                  <ul aria-label="Aliases" style={{ margin: 0, paddingLeft: "1.2em" }}>
                    {i.aliases.map((a) => (
                      <li key={a.name}>
                        <code>{a.url}</code>
                        {a.primary ? ' (primary: the instance’s other addresses lead here)' : ''}
                      </li>
                    ))}
                  </ul>
                </dd>
              </>
            )}
          </dl>
          <Group>
            {i.status === 'RUNNING' ? (
              <Button component="a" href={i.url} target="_blank" rel="noopener">
                Open
              </Button>
            ) : (
              // a real disabled button: a disabled-looking link would still be a link (and fail contrast)
              <Button disabled>Open</Button>
            )}
            <Anchor component={Link} to={`/apps/${encodeURIComponent(`${i.appName}@${i.appVersion}`)}`}>
              Back to {i.appName}
            </Anchor>
          </Group>
          {(i.owner.sub === session.user.sub || admin) && <InstanceControls instance={i} me={session.user.sub} admin={admin} />}
          {(i.owner.sub === session.user.sub || admin) && <SharePanel instance={i} />}
        </Stack>
        {logsShown && (
          <Stack gap="xs">
            <Title order={2} size="h4">
              Logs
            </Title>
            {/* following again when it (re)starts running: the stream of a run ends with it */}
            <LogViewer key={String(i.status === 'RUNNING')} instanceId={i.id} />
          </Stack>
        )}
      </div>
    </Stack>
  );
}
