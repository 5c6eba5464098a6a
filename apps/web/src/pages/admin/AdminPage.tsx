import { Anchor, Stack, Tabs, Text, Title } from '@mantine/core';
import type { ReactNode } from 'react';
import { Link, useNavigate, useParams } from 'react-router';
import type { SignedIn } from '../../api/client';
import { AdminAliasesPage } from './AliasesPage';
import { AdminAuditPage } from './AuditPage';
import { AdminInstancesPage } from './InstancesPage';
import { AdminRuntimesPage } from './RuntimesPage';
import { AdminSecretsPage } from './SecretsPage';
import { AdminTagsPage } from './TagsPage';
import { AdminTokensPage } from './TokensPage';
import { AdminUsagePage } from './UsagePage';

/** The admin tabs, in order: path segment, label, page. */
export const ADMIN_TABS: { path: string; label: string; page: () => ReactNode }[] = [
  { path: 'usage', label: 'Usage', page: () => <AdminUsagePage /> },
  { path: 'instances', label: 'Instances', page: () => <AdminInstancesPage /> },
  { path: 'runtimes', label: 'Runtimes', page: () => <AdminRuntimesPage /> },
  { path: 'aliases', label: 'Aliases', page: () => <AdminAliasesPage /> },
  { path: 'secrets', label: 'Secrets', page: () => <AdminSecretsPage /> },
  { path: 'tags', label: 'Tags', page: () => <AdminTagsPage /> },
  { path: 'tokens', label: 'Tokens', page: () => <AdminTokensPage /> },
  { path: 'audit', label: 'Audit log', page: () => <AdminAuditPage /> },
];

export const isAdminSession = (session: SignedIn) => session.user.roles.includes('admin');

/** What anyone but an admin gets at /admin: a clear page, not an error from the API. */
export function AdminsOnly() {
  return (
    <Stack maw={560}>
      <Title order={1}>Admins only</Title>
      <Text>The administration pages are for Wharf administrators. If you need something changed (a limit, a secret, a tag), ask one of them.</Text>
      <Anchor component={Link} to="/">
        Go to the catalog
      </Anchor>
    </Stack>
  );
}

/** /admin/:tab — one tab per admin task; the tabs are links (each tab has its own address) and keyboard-navigable. */
export function AdminPage({ session }: { session: SignedIn }) {
  const { tab = ADMIN_TABS[0]!.path } = useParams();
  const navigate = useNavigate();
  if (!isAdminSession(session)) return <AdminsOnly />;
  const current = ADMIN_TABS.find((t) => t.path === tab);
  return (
    <Stack gap="md">
      <Title order={1}>Administration</Title>
      <Tabs value={current?.path ?? null} onChange={(v) => v && navigate(`/admin/${v}`)} keepMounted={false}>
        <Tabs.List aria-label="Administration">
          {ADMIN_TABS.map((t) => (
            <Tabs.Tab key={t.path} value={t.path}>
              {t.label}
            </Tabs.Tab>
          ))}
        </Tabs.List>
        {ADMIN_TABS.map((t) => (
          <Tabs.Panel key={t.path} value={t.path} pt="md">
            {t.page()}
          </Tabs.Panel>
        ))}
      </Tabs>
      {!current && (
        <Stack>
          <Text role="alert">There is no admin page “{tab}”.</Text>
          <Anchor component={Link} to={`/admin/${ADMIN_TABS[0]!.path}`}>
            Go to {ADMIN_TABS[0]!.label}
          </Anchor>
        </Stack>
      )}
    </Stack>
  );
}
