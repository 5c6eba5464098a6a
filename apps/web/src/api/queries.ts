import { experimental_streamedQuery as streamedQuery, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { api, unwrap, type AppVersion, type Category, type Visibility } from './client';
import { CATALOG_FIRST_PAGE, CATALOG_PAGE } from './preload';

// Catalog pages are read CATALOG_PAGE at a time after a smaller first page (CATALOG_FIRST_PAGE,
// which the browser preloads: src/api/preload.ts); the catalog keeps at most CATALOG_MAX apps in memory.
export { CATALOG_FIRST_PAGE, CATALOG_PAGE } from './preload';
export const CATALOG_MAX = 2000;

export interface CatalogFilter {
  q?: string;
  category?: Category;
  tag?: string;
  /** The server's order: by name (the default) or the most recently imported first. */
  sort?: CatalogSort;
}
export type CatalogSort = 'name' | 'newest';

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

/** What the catalog holds so far: `complete` once every page is read (or CATALOG_MAX reached, then `truncated`). */
export interface CatalogData {
  items: AppVersion[];
  truncated: boolean;
  complete: boolean;
}

/**
 * The latest visible version of every app matching the filter (the server filters and orders, by
 * name or newest first), streamed page by page: the first, small page shows at once, the rest is read behind it up
 * to CATALOG_MAX (`truncated` says there were more). A new filter keeps the previous cards until
 * its first page arrives.
 */
export function useCatalog(filter: CatalogFilter) {
  return useQuery({ ...catalogQuery(filter), placeholderData: (previous) => previous });
}

/**
 * The catalog's query (see useCatalog). `prefetch`: read before anyone knows whether the browser is
 * signed in (main.tsx starts it beside the session's, to save a round trip): a 401 then only fails
 * it, and the catalog page reads it again once signed in.
 */
export function catalogQuery(filter: CatalogFilter, opts: { prefetch?: boolean } = {}) {
  // the default sort is sent as no sort at all: one query (and one URL) for both
  const newest = filter.sort === 'newest';
  return {
    queryKey: keys.catalog({ ...filter, sort: newest ? 'newest' : undefined }),
    queryFn: streamedQuery<{ items: AppVersion[]; more: boolean }, CatalogData, ReturnType<typeof keys.catalog>>({
      streamFn: async function* ({ signal }) {
        let cursor: string | undefined;
        let count = 0;
        do {
          const limit = count === 0 ? CATALOG_FIRST_PAGE : CATALOG_PAGE;
          const query = { limit, ...(cursor ? { cursor } : {}), ...(filter.q ? { q: filter.q } : {}), ...(filter.category ? { category: filter.category } : {}), ...(filter.tag ? { tag: filter.tag } : {}), ...(newest ? { sort: 'newest' as const } : {}) };
          const page = await unwrap(api.GET('/api/v1/apps', { params: { query }, signal }), { signInOn401: !opts.prefetch });
          count += page.items.length;
          cursor = page.nextCursor ?? undefined;
          yield { items: page.items, more: Boolean(cursor) };
        } while (cursor && count < CATALOG_MAX);
      },
      reducer: (acc, chunk) => ({ items: [...acc.items, ...chunk.items], truncated: chunk.more && acc.items.length + chunk.items.length >= CATALOG_MAX, complete: !chunk.more || acc.items.length + chunk.items.length >= CATALOG_MAX }),
      initialValue: { items: [], truncated: false, complete: false },
      refetchMode: 'replace',
    }),
  };
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
