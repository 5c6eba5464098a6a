import '@mantine/core/styles.css';
import './styles.css';
import { MantineProvider } from '@mantine/core';
import { QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { BrowserRouter } from 'react-router';
import { ApiError } from './api/client';
import { catalogQuery } from './api/queries';
import { App } from './App';
import { catalogFilterOf } from './pages/CatalogPage';
import { theme } from './theme';

const queryClient = new QueryClient({
  defaultOptions: {
    queries: {
      staleTime: 10_000,
      refetchOnWindowFocus: false,
      // errors the user must act on are not retried
      retry: (failures, e) => failures < 2 && !(e instanceof ApiError && e.status >= 400 && e.status < 500),
    },
  },
});

// The catalog (the first page most visits open) is read beside the session instead of after it.
if (window.location.pathname === '/') void queryClient.prefetchQuery(catalogQuery(catalogFilterOf(new URLSearchParams(window.location.search)), { prefetch: true }));

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <MantineProvider {...theme}>
      <QueryClientProvider client={queryClient}>
        <BrowserRouter>
          <App />
        </BrowserRouter>
      </QueryClientProvider>
    </MantineProvider>
  </StrictMode>,
);
