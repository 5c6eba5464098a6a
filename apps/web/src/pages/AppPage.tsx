import { Alert, Anchor, Badge, Button, Group, Loader, Modal, Radio, Select, SegmentedControl, Stack, Table, Text, Title } from '@mantine/core';
import { useEffect, useId, useMemo, useState } from 'react';
import Markdown from 'react-markdown';
import { Link, useNavigate, useParams } from 'react-router';
import { ApiError, links, VISIBILITIES, type AppVersion, type Runtime, type SignedIn, type Visibility } from '../api/client';
import { useApp, useDeleteVersion, useRun, useRuntimes, useSetVisibility, useVersions } from '../api/queries';
import { AppIcon } from '../components/AppIcon';
import { ErrorAlert } from '../components/ErrorAlert';
import { TagBadge } from '../components/TagBadge';
import { VersionTags } from '../components/VersionTags';
import { formatBytes } from '../format';

const VISIBILITY_LABEL = Object.fromEntries(VISIBILITIES.map((v) => [v.value, v.label])) as Record<Visibility, string>;

export const formatDate = (iso: string) => {
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? iso : d.toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' });
};

/** One app version: what it is, its versions, Run, download and, for its owner and admins, visibility and delete. */
export function AppPage({ session }: { session: SignedIn }) {
  const { ref = '' } = useParams();
  const app = useApp(ref);
  if (app.isPending) {
    return (
      <Group justify="center" p="xl">
        <Loader aria-label="Loading the app" />
      </Group>
    );
  }
  if (app.isError) {
    return (
      <Stack>
        <Title order={1}>{ref}</Title>
        <ErrorAlert
          error={app.error}
          title={app.error instanceof ApiError && app.error.status === 404 ? 'No such app, or you may not see it' : 'The app could not be loaded'}
          onRetry={() => void app.refetch()}
        />
        <Anchor component={Link} to="/">
          Back to the catalog
        </Anchor>
      </Stack>
    );
  }
  return <AppDetails app={app.data} session={session} />;
}

function AppDetails({ app, session }: { app: AppVersion; session: SignedIn }) {
  const mayManage = app.owner.sub === session.user.sub || session.user.roles.includes('admin');
  const categories = app.categories.filter((c) => c !== 'All');
  return (
    <div className="app-page">
      <Stack gap="lg" className="app-main">
        <Group wrap="nowrap" align="flex-start" gap="md">
          <AppIcon app={app} size={64} />
          <div>
            <Title order={1}>{app.title}</Title>
            <Text c="dimmed" size="sm">
              {app.name} <span data-testid="app-version">{app.version}</span> · by {app.owner.name} · {formatDate(app.createdAt)}
            </Text>
            <Group gap={6} mt={6}>
              <Badge variant="outline" color="dark" radius="sm" tt="none">
                {VISIBILITY_LABEL[app.visibility]}
              </Badge>
              {categories.map((c) => (
                <Badge key={c} variant="light" color="gray" radius="sm" tt="none">
                  {c}
                </Badge>
              ))}
              {app.tags.map((t) => (
                <TagBadge key={t.name} tag={t} />
              ))}
            </Group>
          </div>
        </Group>
        <Text size="lg">{app.description}</Text>

        {app.longDescription && (
          <section aria-labelledby="about">
            <Title order={2} size="h3" id="about">
              About
            </Title>
            <div className="markdown">
              {/* react-markdown never renders raw HTML (it is dropped) and keeps only safe link protocols */}
              <Markdown skipHtml components={{ a: ({ node: _node, ...props }) => <a {...props} rel="noopener noreferrer nofollow" /> }}>
                {app.longDescription}
              </Markdown>
            </div>
          </section>
        )}

        {app.screenshotCount > 0 && (
          <section aria-labelledby="screenshots">
            <Title order={2} size="h3" id="screenshots">
              Screenshots
            </Title>
            <div className="screenshots">
              {Array.from({ length: app.screenshotCount }, (_, n) => (
                <a key={n} href={links.screenshot(app, n)} target="_blank" rel="noreferrer">
                  <img src={links.screenshot(app, n)} alt={`Screenshot ${n + 1} of ${app.screenshotCount} of ${app.title}`} loading="lazy" />
                </a>
              ))}
            </div>
          </section>
        )}

        <Versions app={app} />
      </Stack>

      <Stack gap="lg" className="app-side">
        {app.runtime.lifecycle === 'LINK' ? <LinkPanel app={app} /> : <RunPanel app={app} />}
        {app.runtime.lifecycle !== 'LINK' && (
          <section aria-labelledby="runtime" className="panel">
            <Title order={2} size="h4" id="runtime">
              Runtime and resources
            </Title>
            <dl className="facts">
              <dt>Module</dt>
              <dd>
                <code>{app.runtime.module}</code>
              </dd>
              <dt>Runtime</dt>
              <dd>{app.runtime.runtimeVersion ?? 'the platform default'}</dd>
              {app.runtime.routingMode && (
                <>
                  <dt>Routing</dt>
                  <dd>{ROUTING_MODES[app.runtime.routingMode]}</dd>
                </>
              )}
              <dt>Memory</dt>
              <dd>
                {app.runtime.memoryReservation || app.runtime.memoryLimit
                  ? `${app.runtime.memoryReservation ?? '—'} reserved, ${app.runtime.memoryLimit ?? 'no'} limit`
                  : 'platform defaults'}
              </dd>
              {app.runtime.volumeMount && (
                <>
                  <dt>Volume</dt>
                  <dd>
                    {app.runtime.volumeSize ?? 'default size'} at <code>{app.runtime.volumeMount}</code>
                  </dd>
                </>
              )}
              {app.runtime.gpuCount > 0 && (
                <>
                  <dt>GPU</dt>
                  <dd>
                    {app.runtime.gpuCount} {app.runtime.gpuType ?? ''}
                  </dd>
                </>
              )}
              <dt>Bundle</dt>
              <dd>
                <Anchor href={links.bundle(app)} download={`${app.name}-${app.version}.zip`}>
                  Download ({formatBytes(app.size)})
                </Anchor>
              </dd>
            </dl>
          </section>
        )}
        {mayManage && <ManagePanel app={app} />}
        {session.user.roles.includes('admin') && <VersionTags app={app} />}
      </Stack>
    </div>
  );
}

/** `[Runtime] RoutingMode` in words; a version without one is served as the platform decides (not shown). */
const ROUTING_MODES: Record<NonNullable<AppVersion['runtime']['routingMode']>, string> = {
  DOMAIN: 'DOMAIN: each instance at a host of its own',
  BASE_URL: 'BASE_URL: each instance under /instance/<id>/ on the shared apps host',
};

/** Runtimes a user may pick: DISABLED ones are not offered. The default pick: the app's own, else the platform's default. */
export function runtimeChoice(runtimes: Runtime[], wanted: string | null) {
  const offered = runtimes.filter((r) => r.state !== 'DISABLED');
  const initial = offered.find((r) => r.name === wanted) ?? offered.find((r) => r.default) ?? offered[0];
  return { offered, initial: initial?.name };
}

/** A LINK app has no instance: it opens the site it points to. */
function LinkPanel({ app }: { app: AppVersion }) {
  const address = app.runtime.linkAddress ?? '';
  return (
    <section aria-labelledby="run" className="panel">
      <Title order={2} size="h4" id="run">
        Open
      </Title>
      <Stack gap="sm">
        <Text size="sm">
          {app.title} is a link to another site; it does not run on Wharf: <code>{address}</code>
        </Text>
        <Button component="a" href={address} target="_blank" rel="noopener noreferrer">
          Open {app.title}
        </Button>
      </Stack>
    </section>
  );
}

function RunPanel({ app }: { app: AppVersion }) {
  const navigate = useNavigate();
  const runtimes = useRuntimes();
  const run = useRun(app);
  const [visibility, setVisibility] = useState<Visibility>('PRIVATE');
  const { offered, initial } = useMemo(() => runtimeChoice(runtimes.data?.items ?? [], app.runtime.runtimeVersion), [runtimes.data, app.runtime.runtimeVersion]);
  const [runtime, setRuntime] = useState<string | undefined>(undefined);
  useEffect(() => setRuntime(initial), [initial]);
  const chosen = offered.find((r) => r.name === runtime);
  const visibilityId = useId();
  const managed = app.runtime.lifecycle === 'MANAGED';

  return (
    <section aria-labelledby="run" className="panel">
      <Title order={2} size="h4" id="run">
        {managed ? 'Shared instance' : 'Run'}
      </Title>
      <form
        onSubmit={(e) => {
          e.preventDefault();
          run.mutate(
            { visibility, ...(offered.length > 1 && runtime ? { runtime } : {}) },
            { onSuccess: (instance) => navigate(`/instances/${instance.id}`, { state: { created: !managed } }) },
          );
        }}
      >
        <Stack gap="sm">
          {managed && (
            <Text size="sm">
              Everyone who can see {app.title} opens the same instance of this version. Its owner ({app.owner.name}) or an admin starts it.
            </Text>
          )}
          {!managed && (
            <Radio.Group
              id={visibilityId}
              label="Who may open the instance"
              value={visibility}
              onChange={(v) => setVisibility(v as Visibility)}
            >
              <Stack gap={6} mt={4}>
                {VISIBILITIES.map((v) => (
                  <Radio key={v.value} value={v.value} label={v.label} description={v.hint} />
                ))}
              </Stack>
            </Radio.Group>
          )}
          {offered.length > 1 && (
            <Select
              label="Runtime"
              data={offered.map((r) => ({ value: r.name, label: `${r.name}${r.default ? ' (default)' : ''}${r.state === 'DEPRECATED' ? ' — deprecated' : ''}` }))}
              value={runtime ?? null}
              onChange={(v) => setRuntime(v ?? initial)}
              allowDeselect={false}
            />
          )}
          {offered.length === 1 && (
            <Text size="sm">
              Runtime: <strong>{offered[0]!.name}</strong>
            </Text>
          )}
          {chosen?.state === 'DEPRECATED' && (
            <Alert color="yellow" title="Deprecated runtime" role="status">
              {chosen.name} is deprecated{chosen.stateReason ? `: ${chosen.stateReason}` : ''}. It still runs, but pick another runtime if you can.
            </Alert>
          )}
          {runtimes.isSuccess && offered.length === 0 && (
            <Alert color="yellow" title="No runtime available">
              Every runtime is disabled right now; ask an administrator.
            </Alert>
          )}
          {run.isError && <ErrorAlert error={run.error} title={managed ? 'Could not open the shared instance' : 'Could not run the app'} />}
          <Button type="submit" loading={run.isPending} disabled={runtimes.isSuccess && offered.length === 0}>
            {managed ? `Open ${app.title}` : `Run ${app.title}`}
          </Button>
        </Stack>
      </form>
    </section>
  );
}

function ManagePanel({ app }: { app: AppVersion }) {
  const navigate = useNavigate();
  const setVisibility = useSetVisibility(app);
  const remove = useDeleteVersion(app);
  const [visibility, setChoice] = useState<Visibility>(app.visibility);
  const [confirming, setConfirming] = useState(false);
  useEffect(() => setChoice(app.visibility), [app.visibility]);

  return (
    <section aria-labelledby="manage" className="panel">
      <Title order={2} size="h4" id="manage">
        Manage this version
      </Title>
      <Stack gap="sm">
        <div>
          <Text component="div" size="sm" fw={500} id="visibility-label" mb={4}>
            Visibility
          </Text>
          <SegmentedControl
            aria-labelledby="visibility-label"
            fullWidth
            value={visibility}
            onChange={(v) => setChoice(v as Visibility)}
            data={VISIBILITIES.map((v) => ({ value: v.value, label: v.label }))}
          />
        </div>
        {setVisibility.isError && <ErrorAlert error={setVisibility.error} title="Visibility not changed" />}
        {setVisibility.isSuccess && visibility === app.visibility && (
          <Text size="sm" role="status">
            Visibility is now {VISIBILITY_LABEL[app.visibility]}.
          </Text>
        )}
        <Button variant="default" disabled={visibility === app.visibility} loading={setVisibility.isPending} onClick={() => setVisibility.mutate(visibility)}>
          Save visibility
        </Button>
        <Button color="red" variant="outline" onClick={() => (remove.reset(), setConfirming(true))}>
          Delete version {app.version}
        </Button>
      </Stack>
      <Modal opened={confirming} onClose={() => setConfirming(false)} title={`Delete ${app.name} ${app.version}?`} centered>
        <Stack gap="sm">
          <Text size="sm">The version and its bundle are deleted for good. Versions are immutable: the same version number cannot be imported again.</Text>
          {remove.isError && <ErrorAlert error={remove.error} title="Not deleted" />}
          <Group justify="flex-end">
            <Button variant="default" onClick={() => setConfirming(false)}>
              Cancel
            </Button>
            <Button color="red" loading={remove.isPending} onClick={() => remove.mutate(undefined, { onSuccess: () => navigate('/', { replace: true }) })}>
              Delete
            </Button>
          </Group>
        </Stack>
      </Modal>
    </section>
  );
}

function Versions({ app }: { app: AppVersion }) {
  const versions = useVersions(app.name);
  return (
    <section aria-labelledby="versions">
      <Title order={2} size="h3" id="versions">
        Versions
      </Title>
      {versions.isError ? (
        <ErrorAlert error={versions.error} title="The versions could not be loaded" />
      ) : versions.isPending ? (
        <Loader size="sm" aria-label="Loading the versions" />
      ) : (
        <Table.ScrollContainer minWidth={400}>
          <Table striped highlightOnHover aria-labelledby="versions">
            <Table.Thead>
              <Table.Tr>
                <Table.Th scope="col">Version</Table.Th>
                <Table.Th scope="col">Imported</Table.Th>
                <Table.Th scope="col">Owner</Table.Th>
                <Table.Th scope="col">Visibility</Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {versions.data.items.map((v) => (
                <Table.Tr key={v.id} data-version={v.version}>
                  <Table.Td>
                    {v.id === app.id ? (
                      <strong aria-current="page">{v.version} (this one)</strong>
                    ) : (
                      <Anchor component={Link} to={`/apps/${encodeURIComponent(`${v.name}@${v.version}`)}`}>
                        {v.version}
                      </Anchor>
                    )}
                  </Table.Td>
                  <Table.Td>{formatDate(v.createdAt)}</Table.Td>
                  <Table.Td>{v.owner.name}</Table.Td>
                  <Table.Td>{VISIBILITY_LABEL[v.visibility]}</Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        </Table.ScrollContainer>
      )}
    </section>
  );
}
