import { Anchor, Button, Center, Loader, Stack, Text, Title } from '@mantine/core';
import { lazy, Suspense, useEffect } from 'react';
import { Route, Routes } from 'react-router';
import { setCsrfToken, signIn, type SignedIn } from './api/client';
import { useSession } from './api/queries';
import { ErrorAlert } from './components/ErrorAlert';
import { Shell } from './components/Shell';
import { CatalogPage } from './pages/CatalogPage';
import { NotFoundPage } from './pages/NotFoundPage';

// The catalog comes with the first page; every other page is its own chunk, loaded when opened.
const AppPage = lazy(() => import('./pages/AppPage').then((m) => ({ default: m.AppPage })));
const ImportPage = lazy(() => import('./pages/ImportPage').then((m) => ({ default: m.ImportPage })));
const InstancePage = lazy(() => import('./pages/InstancePage').then((m) => ({ default: m.InstancePage })));
const MePage = lazy(() => import('./pages/MePage').then((m) => ({ default: m.MePage })));
const MyInstancesPage = lazy(() => import('./pages/MyInstancesPage').then((m) => ({ default: m.MyInstancesPage })));
const SecretsPage = lazy(() => import('./pages/SecretsPage').then((m) => ({ default: m.SecretsPage })));
const AdminRoutes = lazy(() => import('./pages/admin/routes').then((m) => ({ default: m.AdminRoutes })));

/** The pages of a signed-in user. */
export function Pages({ session }: { session: SignedIn }) {
  return (
    <Shell session={session}>
      <Suspense
        fallback={
          <Center p="xl">
            <Loader aria-label="Loading the page" />
          </Center>
        }
      >
        <Routes>
          <Route index element={<CatalogPage />} />
          <Route path="apps/:ref" element={<AppPage session={session} />} />
          <Route path="import" element={<ImportPage session={session} />} />
          <Route path="instances" element={<MyInstancesPage session={session} />} />
          <Route path="instances/:id" element={<InstancePage session={session} />} />
          <Route path="secrets" element={<SecretsPage session={session} />} />
          <Route path="me" element={<MePage session={session} />} />
          <Route path="admin/*" element={<AdminRoutes session={session} />} />
          <Route path="*" element={<NotFoundPage />} />
        </Routes>
      </Suspense>
    </Shell>
  );
}

/**
 * Who is there (GET /auth/session): a signed-in user gets the pages; anyone else goes through the
 * gateway's sign-in (`/auth/login?next=<this page>`) and comes back here.
 */
export function App() {
  const session = useSession();
  const data = session.data;
  const anonymous = data?.authenticated === false;
  const canSignIn = anonymous && data.loginConfigured;
  useEffect(() => {
    setCsrfToken(data?.authenticated ? data.csrfToken : null);
    if (canSignIn) signIn();
  }, [data, canSignIn]);

  if (session.isError) {
    return (
      <Center mih="60vh" p="md">
        <Stack maw={480}>
          <Title order={1}>Wharf</Title>
          <ErrorAlert error={session.error} title="Wharf could not be reached" onRetry={() => void session.refetch()} />
        </Stack>
      </Center>
    );
  }
  if (data?.authenticated) return <Pages session={data} />;
  return (
    <Center mih="60vh" p="md">
      <Stack maw={480} align="center" component="main">
        <Title order={1}>Wharf</Title>
        {anonymous && !data.loginConfigured ? (
          <Text>
            Sign-in is not configured on this Wharf (the gateway has no OpenID provider: see <Anchor href="/api/docs">the API documentation</Anchor> and
            docs/api.md). API clients can still use personal access tokens.
          </Text>
        ) : anonymous ? (
          <>
            <Text>Taking you to sign-in…</Text>
            <Button onClick={signIn}>Sign in</Button>
          </>
        ) : (
          <Loader aria-label="Loading" />
        )}
      </Stack>
    </Center>
  );
}
