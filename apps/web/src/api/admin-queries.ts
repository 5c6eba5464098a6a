import { keepPreviousData, useInfiniteQuery, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { api, browser, unwrap, type Instance, type Schemas, type SignedIn } from './client';
import { keys } from './queries';

export type TokenInfo = Schemas['TokenInfo'];
export type CreatedToken = Schemas['CreatedToken'];
export type TokenCreate = Schemas['TokenCreate'];
export type Secret = Schemas['SecretSummary'];
export type SecretPut = Schemas['SecretPut'];
export type TagCreate = Schemas['TagCreate'];
export type TagPatch = Schemas['TagPatch'];
export type AuditEvent = Schemas['AuditEvent'];
export type UserUsage = Schemas['UserUsage'];
export type MyUsage = Schemas['MyUsage'];
export type Ceilings = Schemas['InstanceCeilings'];
export type Role = TokenInfo['roles'][number];
export type InstanceStatus = Instance['status'];

export const ROLES: Role[] = ['admin', 'full-access', 'visitor'];
export const INSTANCE_STATUSES: InstanceStatus[] = ['QUEUED', 'PROVISIONING', 'INSTALLING', 'STARTING', 'RUNNING', 'FAILED', 'SUSPENDED', 'TERMINATED'];

/** Lists of the admin pages are read this many rows at a time ("Show more" reads the next page). */
export const ADMIN_PAGE = 50;

export const adminKeys = {
  tokens: (all: boolean) => ['tokens', all ? 'all' : 'mine'] as const,
  myUsage: ['usage', 'me'] as const,
  usage: (q: string) => ['usage', 'all', q] as const,
  instances: (f: InstanceFilter) => ['admin-instances', f] as const,
  secrets: ['secrets'] as const,
  aliases: ['aliases'] as const,
  audit: (f: AuditFilter) => ['audit', f] as const,
};

/** Drops empty strings: the API reads an empty parameter as a value. */
function defined<T extends Record<string, string | undefined>>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined && v !== '')) as Partial<T>;
}

/** Pages of a cursor list, `Show more` style: `items` is every row read so far. */
function usePages<T>(key: readonly unknown[], page: (cursor: string | undefined) => Promise<{ items: T[]; nextCursor: string | null }>, enabled = true) {
  const q = useInfiniteQuery({
    queryKey: key,
    queryFn: ({ pageParam }) => page(pageParam),
    initialPageParam: undefined as string | undefined,
    getNextPageParam: (last) => last.nextCursor ?? undefined,
    placeholderData: keepPreviousData,
    enabled,
  });
  return { ...q, items: q.data?.pages.flatMap((p) => p.items) ?? [] };
}

// ---------------------------------------------------------------- me

export function useMyUsage() {
  return useQuery({ queryKey: adminKeys.myUsage, queryFn: () => unwrap(api.GET('/api/v1/me/usage')) });
}

/** Your tokens, or (admins, `all`) everyone's. */
export function useTokens(all = false) {
  return usePages(adminKeys.tokens(all), (cursor) =>
    unwrap(api.GET('/api/v1/tokens', { params: { query: { limit: ADMIN_PAGE, ...(all ? { all: 'true' as const } : {}), ...(cursor ? { cursor } : {}) } } })),
  );
}

export function useCreateToken() {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: (body: TokenCreate) => unwrap(api.POST('/api/v1/tokens', { body })),
    onSuccess: () => qc.invalidateQueries({ queryKey: ['tokens'] }),
  });
}

export function useRevokeToken() {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: (id: string) => unwrap(api.DELETE('/api/v1/tokens/{id}', { params: { path: { id } } })),
    onSuccess: () => qc.invalidateQueries({ queryKey: ['tokens'] }),
  });
}

/** Signs out here and at the provider: the gateway answers where to go (its own page when it cannot). */
export function useSignOut(session: SignedIn) {
  return useMutation({
    mutationFn: async () => {
      const { data, response } = await api.POST('/auth/logout', { headers: { Accept: 'application/json', 'X-CSRF-Token': session.csrfToken } });
      return response.ok && data ? data.logoutUrl : '/auth/logged-out';
    },
    onSuccess: (url) => browser.assign(url),
  });
}

// ---------------------------------------------------------------- admin

export interface InstanceFilter {
  user?: string;
  appName?: string;
  status?: InstanceStatus;
}

/** Every instance (admins), newest first, filtered by the server. */
export function useAllInstances(f: InstanceFilter) {
  return usePages(adminKeys.instances(f), (cursor) =>
    unwrap(
      api.GET('/api/v1/instances', {
        params: { query: { scope: 'all', limit: ADMIN_PAGE, ...defined({ user: f.user, appName: f.appName, cursor }), ...(f.status ? { status: f.status } : {}) } },
      }),
    ),
  );
}

export function useUsage(q: string) {
  return usePages(adminKeys.usage(q), (cursor) => unwrap(api.GET('/api/v1/usage', { params: { query: { limit: ADMIN_PAGE, ...defined({ q, cursor }) } } })));
}

/** The ceilings come with every page of the usage list; the first page's are shown. */
export function usageCeilings(q: ReturnType<typeof useUsage>): Ceilings | undefined {
  return (q.data?.pages[0] as { ceilings?: Ceilings } | undefined)?.ceilings;
}

export function useSecrets() {
  return usePages(adminKeys.secrets, (cursor) => unwrap(api.GET('/api/v1/secrets', { params: { query: { limit: ADMIN_PAGE, ...defined({ cursor }) } } })));
}

export function usePutSecret() {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: ({ name, body }: { name: string; body: SecretPut }) => unwrap(api.PUT('/api/v1/secrets/{name}', { params: { path: { name } }, body })),
    onSuccess: () => qc.invalidateQueries({ queryKey: adminKeys.secrets }),
  });
}

export function useDeleteSecret() {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: (name: string) => unwrap(api.DELETE('/api/v1/secrets/{name}', { params: { path: { name } } })),
    onSuccess: () => qc.invalidateQueries({ queryKey: adminKeys.secrets }),
  });
}

export type Alias = Schemas['Alias'];

export function useAliases() {
  return usePages(adminKeys.aliases, (cursor) => unwrap(api.GET('/api/v1/aliases', { params: { query: { limit: ADMIN_PAGE, ...defined({ cursor }) } } })));
}

/** After an alias changed: the list, and instances (they show their aliases and URL). */
function useAliasesChanged() {
  const qc = useQueryClient();
  return () => Promise.all([qc.invalidateQueries({ queryKey: adminKeys.aliases }), qc.invalidateQueries({ queryKey: ['admin-instances'] }), qc.invalidateQueries({ queryKey: ['instance'] })]);
}

export function useCreateAlias() {
  const changed = useAliasesChanged();
  return useMutation({
    mutationFn: (body: { name: string; instanceId?: string; primary?: boolean }) => unwrap(api.POST('/api/v1/aliases', { body })),
    onSuccess: changed,
  });
}

export function useAssignAlias() {
  const changed = useAliasesChanged();
  return useMutation({
    mutationFn: ({ name, instanceId, primary }: { name: string; instanceId: string | null; primary?: boolean }) =>
      unwrap(api.PUT('/api/v1/aliases/{name}', { params: { path: { name } }, body: { instanceId, ...(primary === undefined ? {} : { primary }) } })),
    onSuccess: changed,
  });
}

export function usePromoteAlias() {
  const changed = useAliasesChanged();
  return useMutation({ mutationFn: (name: string) => unwrap(api.POST('/api/v1/aliases/{name}/promote', { params: { path: { name } } })), onSuccess: changed });
}

export function useDeleteAlias() {
  const changed = useAliasesChanged();
  return useMutation({ mutationFn: (name: string) => unwrap(api.DELETE('/api/v1/aliases/{name}', { params: { path: { name } } })), onSuccess: changed });
}

/** After a tag changed: the tag list, and every answer about apps (they show tags). */
function useTagsChanged() {
  const qc = useQueryClient();
  return () => Promise.all(['tags', 'catalog', 'app', 'versions'].map((k) => qc.invalidateQueries({ queryKey: k === 'tags' ? keys.tags : [k] })));
}

export function useCreateTag() {
  const changed = useTagsChanged();
  return useMutation({ mutationFn: (body: TagCreate) => unwrap(api.POST('/api/v1/tags', { body })), onSuccess: changed });
}

export function useUpdateTag() {
  const changed = useTagsChanged();
  return useMutation({
    mutationFn: ({ name, body }: { name: string; body: TagPatch }) => unwrap(api.PATCH('/api/v1/tags/{name}', { params: { path: { name } }, body })),
    onSuccess: changed,
  });
}

export function useDeleteTag() {
  const changed = useTagsChanged();
  return useMutation({ mutationFn: (name: string) => unwrap(api.DELETE('/api/v1/tags/{name}', { params: { path: { name } } })), onSuccess: changed });
}

export interface AuditFilter {
  actor?: string;
  action?: string;
  target?: string;
  outcome?: AuditEvent['outcome'];
  /** ISO date-times with an offset */
  since?: string;
  until?: string;
}

export function useAudit(f: AuditFilter) {
  return usePages(adminKeys.audit(f), (cursor) =>
    unwrap(
      api.GET('/api/v1/audit', {
        params: { query: { limit: ADMIN_PAGE, ...defined({ actor: f.actor, action: f.action, target: f.target, since: f.since, until: f.until, cursor }), ...(f.outcome ? { outcome: f.outcome } : {}) } },
      }),
    ),
  );
}

/** Tag or untag one app version (admins): PUT or DELETE /api/v1/apps/:id/tags/:tag. */
export function useTagVersion() {
  const changed = useTagsChanged();
  return useMutation({
    mutationFn: ({ id, tag, on }: { id: string; tag: string; on: boolean }) => {
      const params = { params: { path: { id, tag } } };
      return unwrap(on ? api.PUT('/api/v1/apps/{id}/tags/{tag}', params) : api.DELETE('/api/v1/apps/{id}/tags/{tag}', params));
    },
    onSuccess: changed,
  });
}
