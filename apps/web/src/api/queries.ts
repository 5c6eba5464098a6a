import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { api, unwrap, type AppVersion, type Category, type Visibility } from './client';

/** Catalog pages are read this many at a time; the catalog keeps at most CATALOG_MAX apps in memory. */
export const CATALOG_PAGE = 200;
export const CATALOG_MAX = 2000;

export interface CatalogFilter {
  q?: string;
  category?: Category;
  tag?: string;
}

export const keys = {
  session: ['session'] as const,
  catalog: (f: CatalogFilter) => ['catalog', f] as const,
  tags: ['tags'] as const,
  app: (ref: string) => ['app', ref] as const,
  versions: (name: string) => ['versions', name] as const,
  runtimes: ['runtimes'] as const,
  instance: (id: string) => ['instance', id] as const,
};

export function useSession() {
  return useQuery({ queryKey: keys.session, queryFn: () => unwrap(api.GET('/auth/session')), staleTime: 60_000, retry: false });
}

/**
 * The latest visible version of every app matching the filter (the server filters and orders by
 * name), read page by page up to CATALOG_MAX; `truncated` says there were more.
 */
export function useCatalog(filter: CatalogFilter) {
  return useQuery({
    queryKey: keys.catalog(filter),
    queryFn: async () => {
      const items: AppVersion[] = [];
      let cursor: string | undefined;
      do {
        const query = { limit: CATALOG_PAGE, ...(cursor ? { cursor } : {}), ...(filter.q ? { q: filter.q } : {}), ...(filter.category ? { category: filter.category } : {}), ...(filter.tag ? { tag: filter.tag } : {}) };
        const page = await unwrap(api.GET('/api/v1/apps', { params: { query } }));
        items.push(...page.items);
        cursor = page.nextCursor ?? undefined;
      } while (cursor && items.length < CATALOG_MAX);
      return { items, truncated: Boolean(cursor) };
    },
    placeholderData: (previous) => previous,
  });
}

export function useTags(enabled = true) {
  return useQuery({
    queryKey: keys.tags,
    queryFn: () => unwrap(api.GET('/api/v1/tags', { params: { query: { limit: 200 } } })),
    enabled,
    staleTime: 60_000,
  });
}

export function useApp(ref: string) {
  return useQuery({ queryKey: keys.app(ref), queryFn: () => unwrap(api.GET('/api/v1/apps/{id}', { params: { path: { id: ref } } })), retry: false });
}

export function useVersions(name: string | undefined) {
  return useQuery({
    queryKey: keys.versions(name ?? ''),
    queryFn: () => unwrap(api.GET('/api/v1/apps/{name}/versions', { params: { path: { name: name! }, query: { limit: 200 } } })),
    enabled: Boolean(name),
  });
}

export function useRuntimes() {
  return useQuery({ queryKey: keys.runtimes, queryFn: () => unwrap(api.GET('/api/v1/runtimes')), staleTime: 60_000 });
}

const FINAL = new Set(['RUNNING', 'FAILED', 'SUSPENDED', 'TERMINATED']);

/**
 * One instance. Its changes come from the server-sent events stream (useInstanceEvents); only a
 * browser without EventSource reads it again every second until it runs or has stopped.
 */
export function useInstance(id: string) {
  return useQuery({
    queryKey: keys.instance(id),
    queryFn: () => unwrap(api.GET('/api/v1/instances/{id}', { params: { path: { id } } })),
    refetchInterval: (q) => (typeof EventSource !== 'undefined' || (q.state.data && FINAL.has(q.state.data.status)) ? false : 1000),
    retry: false,
  });
}

export function useRun(app: AppVersion) {
  return useMutation({
    mutationFn: (body: { visibility: Visibility; runtime?: string }) =>
      unwrap(api.POST('/api/v1/apps/{id}/instances', { params: { path: { id: app.id } }, body })),
  });
}

/** Drops every cached answer about apps (catalog, pages, versions): after a change. */
function useAppsChanged() {
  const qc = useQueryClient();
  return () =>
    Promise.all([
      qc.invalidateQueries({ queryKey: ['catalog'] }),
      qc.invalidateQueries({ queryKey: ['app'] }),
      qc.invalidateQueries({ queryKey: ['versions'] }),
    ]);
}

export function useSetVisibility(app: AppVersion) {
  const changed = useAppsChanged();
  return useMutation({
    mutationFn: (visibility: Visibility) => unwrap(api.PATCH('/api/v1/apps/{id}', { params: { path: { id: app.id } }, body: { visibility } })),
    onSuccess: changed,
  });
}

export function useDeleteVersion(app: AppVersion) {
  const changed = useAppsChanged();
  return useMutation({
    mutationFn: () => unwrap(api.DELETE('/api/v1/apps/{id}', { params: { path: { id: app.id } } })),
    onSuccess: changed,
  });
}
