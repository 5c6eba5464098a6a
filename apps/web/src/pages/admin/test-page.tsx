import { MantineProvider } from '@mantine/core';
import { QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { render } from '@testing-library/react';
import type { ReactNode } from 'react';
import { MemoryRouter, Route, Routes } from 'react-router';
import type { SignedIn } from '../../api/client';
import { alice } from '../../test/fake-api';
import { theme } from '../../theme';

/** A signed-in admin, like the fake gateway's alice. */
export const admin: SignedIn = { ...alice, user: { sub: 'sub-admin', name: 'admin', roles: ['admin'] }, csrfToken: 'csrf-admin' };

/**
 * Test support (imported by specs only): `element` mounted as main.tsx mounts the app (Mantine,
 * a query cache without retries, in-memory history at `path`), on the route `route`.
 */
export function renderPage(element: ReactNode, { path = '/', route = '*' }: { path?: string; route?: string } = {}) {
  const client = new QueryClient({ defaultOptions: { queries: { retry: false, staleTime: 0 } } });
  return {
    client,
    ...render(
      <MantineProvider {...theme} env="test">
        <QueryClientProvider client={client}>
          <MemoryRouter initialEntries={[path]}>
            <Routes>
              <Route path={route} element={element} />
            </Routes>
          </MemoryRouter>
        </QueryClientProvider>
      </MantineProvider>,
    ),
  };
}
