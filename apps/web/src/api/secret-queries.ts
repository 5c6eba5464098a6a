import { keepPreviousData, useInfiniteQuery, useMutation, useQueryClient } from '@tanstack/react-query';
import { api, unwrap, type Schemas } from './client';

export type UserSecret = Schemas['UserSecret'];
export type UserSecretVisibility = UserSecret['visibility'];
export type UserSecretPut = Schemas['UserSecretPut'];

/** How each visibility is offered, and what it lets read the secret. */
export const SECRET_VISIBILITIES: { value: UserSecretVisibility; label: string; hint: string }[] = [
  { value: 'PRIVATE', label: 'Private', hint: 'only instances you run' },
  { value: 'ALL_USERS', label: 'All users', hint: "every instance of an app that names it, whoever runs it: the app's author and every user of it can read the value" },
  { value: 'APP', label: 'Apps', hint: 'only instances of the apps you name, whoever runs them' },
];

/** Your secrets are read this many at a time ("Show more" reads the next page). */
export const SECRETS_PAGE = 50;

export const secretKeys = { mine: ['user-secrets', 'mine'] as const };

/** Your own secrets (key names, visibility and apps; never values), page by page; `enabled` false asks nothing (visitors keep none). */
export function useMySecrets(enabled = true) {
  const q = useInfiniteQuery({
    enabled,
    queryKey: secretKeys.mine,
    queryFn: ({ pageParam }) => unwrap(api.GET('/api/v1/user-secrets', { params: { query: { limit: SECRETS_PAGE, ...(pageParam ? { cursor: pageParam } : {}) } } })),
    initialPageParam: undefined as string | undefined,
    getNextPageParam: (last) => last.nextCursor ?? undefined,
    placeholderData: keepPreviousData,
  });
  return { ...q, items: q.data?.pages.flatMap((p) => p.items) ?? [] };
}

function useSecretMutation<A, T>(fn: (a: A) => Promise<T>) {
  const qc = useQueryClient();
  return useMutation({ mutationFn: fn, onSuccess: () => qc.invalidateQueries({ queryKey: ['user-secrets'] }) });
}

/** Creates a secret of yours (CONFLICT when you have one of that name). */
export const useCreateSecret = () =>
  useSecretMutation((body: Schemas['UserSecretCreate']) => unwrap(api.POST('/api/v1/user-secrets', { body })));

/** Replaces all keys and values of a secret of yours (and its visibility, when given). */
export const useReplaceSecret = () =>
  useSecretMutation(({ name, body }: { name: string; body: UserSecretPut }) => unwrap(api.PUT('/api/v1/user-secrets/{name}', { params: { path: { name } }, body })));

/** Changes who may read a secret of yours; its values stay. */
export const useSetSecretVisibility = () =>
  useSecretMutation(({ name, body }: { name: string; body: Schemas['UserSecretPatch'] }) => unwrap(api.PATCH('/api/v1/user-secrets/{name}', { params: { path: { name } }, body })));

/** Deletes a secret of yours (CONFLICT while an instance that is not terminated reads it). */
export const useDeleteMySecret = () => useSecretMutation((name: string) => unwrap(api.DELETE('/api/v1/user-secrets/{name}', { params: { path: { name } } })));

/** Every user's secrets (admins), page by page. */
export function useAllUserSecrets() {
  const q = useInfiniteQuery({
    queryKey: ['user-secrets', 'all'] as const,
    queryFn: ({ pageParam }) =>
      unwrap(api.GET('/api/v1/user-secrets', { params: { query: { scope: 'all', limit: SECRETS_PAGE, ...(pageParam ? { cursor: pageParam } : {}) } } })),
    initialPageParam: undefined as string | undefined,
    getNextPageParam: (last) => last.nextCursor ?? undefined,
    placeholderData: keepPreviousData,
  });
  return { ...q, items: q.data?.pages.flatMap((p) => p.items) ?? [] };
}

/** Deletes any user's secret (admins; CONFLICT while an instance that is not terminated reads it). */
export const useDeleteUserSecret = () =>
  useSecretMutation(({ owner, name }: { owner: string; name: string }) =>
    unwrap(api.DELETE('/api/v1/user-secrets/{name}', { params: { path: { name }, query: { owner } } })),
  );
