import { Alert, Badge, Button, Checkbox, Code, CopyButton, Group, Loader, NumberInput, Stack, Text, TextInput, Title } from '@mantine/core';
import { useState } from 'react';
import { useCreateToken, useMyUsage, useSignOut, type CreatedToken } from '../api/admin-queries';
import type { SignedIn } from '../api/client';
import { ErrorAlert } from '../components/ErrorAlert';
import { formatDate } from './AppPage';
import { Meter } from './admin/common';
import { TokenList } from './admin/TokensPage';
import { CeilingsText, resources } from './admin/UsagePage';

/** The signed-in user: who they are, their usage against their limits, their tokens, and sign-out. */
export function MePage({ session }: { session: SignedIn }) {
  const signOut = useSignOut(session);
  const { user } = session;
  return (
    <Stack gap="xl" maw={1100}>
      <Group justify="space-between" align="flex-start">
        <div>
          <Title order={1}>{user.name}</Title>
          <Group gap={6} mt={6} aria-label="Roles">
            {user.roles.length ? (
              user.roles.map((r) => (
                <Badge key={r} variant="light" tt="none">
                  {r}
                </Badge>
              ))
            ) : (
              <Text size="sm">no role</Text>
            )}
          </Group>
          <Text size="sm" c="dimmed" mt={6}>
            User id <code>{user.sub}</code> · this sign-in ends {formatDate(session.expiresAt)}
          </Text>
        </div>
        <Stack gap={4} align="flex-end">
          <Button variant="default" onClick={() => signOut.mutate()} loading={signOut.isPending}>
            Sign out
          </Button>
        </Stack>
      </Group>
      {signOut.isError && <ErrorAlert error={signOut.error} title="Sign-out failed" />}
      <MyUsagePanel />
      <section aria-labelledby="tokens">
        <Title order={2} id="tokens" mb="xs">
          Personal access tokens
        </Title>
        <Text size="sm" c="dimmed" mb="sm">
          For the API and scripts: send <code>Authorization: Bearer &lt;token&gt;</code>. A token acts as you, with your roles.
        </Text>
        <Stack gap="md">
          <CreateToken />
          <TokenList all={false} label="Your tokens" />
        </Stack>
      </section>
    </Stack>
  );
}

function MyUsagePanel() {
  const usage = useMyUsage();
  return (
    <section aria-labelledby="usage" className="panel">
      <Title order={2} size="h3" id="usage" mb="xs">
        Your usage
      </Title>
      {usage.isPending ? (
        <Loader size="sm" aria-label="Loading your usage" />
      ) : usage.isError ? (
        <ErrorAlert error={usage.error} title="Your usage could not be loaded" onRetry={() => void usage.refetch()} />
      ) : (
        <Stack gap="sm">
          <Group gap="xl" align="flex-start">
            <div>
              <Text fw={500} size="sm">
                Live instances
              </Text>
              <Meter label="Live instances" used={usage.data.instances.live} limit={usage.data.instances.limit} />
            </div>
            <div>
              <Text fw={500} size="sm">
                App versions imported
              </Text>
              <Meter label="App versions imported" used={usage.data.versions.count} limit={usage.data.versions.limit} />
            </div>
            <div>
              <Text fw={500} size="sm">
                Given to your live instances
              </Text>
              <Text size="sm">{resources(usage.data.instances)}</Text>
            </div>
          </Group>
          <CeilingsText ceilings={usage.data.ceilings} />
        </Stack>
      )}
    </section>
  );
}

/** Create a token: it is shown once, with a copy button, and never again. */
function CreateToken() {
  const create = useCreateToken();
  const [name, setName] = useState('');
  const [days, setDays] = useState<number | string>('');
  const [readOnly, setReadOnly] = useState(false);
  const [created, setCreated] = useState<CreatedToken | null>(null);
  return (
    <Stack gap="sm">
      <form
        aria-label="New token"
        onSubmit={(e) => {
          e.preventDefault();
          setCreated(null);
          create.mutate(
            { name: name.trim() || 'token', readOnly, ...(typeof days === 'number' ? { expiresInDays: days } : {}) },
            {
              onSuccess: (t) => {
                setCreated(t);
                setName('');
                setDays('');
                setReadOnly(false);
              },
            },
          );
        }}
      >
        <Group align="flex-end" gap="sm" wrap="wrap">
          <TextInput label="Token name" placeholder="e.g. laptop CLI" value={name} onChange={(e) => setName(e.currentTarget.value)} maxLength={100} w={240} />
          <NumberInput
            label="Expires in (days)"
            description="Empty: the platform's default"
            value={days}
            onChange={setDays}
            min={1}
            allowDecimal={false}
            allowNegative={false}
            w={180}
          />
          <Checkbox label="Read-only (GET only)" checked={readOnly} onChange={(e) => setReadOnly(e.currentTarget.checked)} mb={8} />
          <Button type="submit" loading={create.isPending}>
            Create token
          </Button>
        </Group>
      </form>
      {create.isError && <ErrorAlert error={create.error} title="The token was not created" />}
      {created && (
        <Alert color="green" title={`Token ${created.name} created`} role="status" withCloseButton closeButtonLabel="Hide the token" onClose={() => setCreated(null)}>
          <Stack gap="xs">
            <Text size="sm">Copy it now: it is shown this once and cannot be read again.</Text>
            <Group gap="xs" wrap="nowrap">
              <Code data-testid="new-token" style={{ wordBreak: 'break-all' }}>
                {created.token}
              </Code>
              <CopyButton value={created.token}>
                {({ copied, copy }) => (
                  <Button size="xs" variant="default" onClick={copy}>
                    {copied ? 'Copied' : 'Copy token'}
                  </Button>
                )}
              </CopyButton>
            </Group>
            <Text size="xs" c="dimmed">
              {created.expiresAt ? `Expires ${formatDate(created.expiresAt)}.` : 'Does not expire.'} {created.readOnly ? 'Read-only.' : ''}
            </Text>
          </Stack>
        </Alert>
      )}
    </Stack>
  );
}
