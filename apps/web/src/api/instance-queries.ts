import { useMutation, useQuery, useQueryClient, type QueryClient } from '@tanstack/react-query';
import { useEffect } from 'react';
import { api, unwrap, type Instance, type Visibility } from './client';
import { keys } from './queries';

/** Which instances a list shows: your own, or those of app versions you own (status and logs only). */
export type InstanceScope = 'mine' | 'app-owner';

const LIST_MAX = 1000;
export const instancesKey = (scope: InstanceScope) => ['instances', scope] as const;

/** Every instance of the scope (pages of 200, at most LIST_MAX), newest first. Live changes come from useInstanceEvents. */
export function useInstances(scope: InstanceScope) {
  return useQuery({
    queryKey: instancesKey(scope),
    queryFn: async () => {
      const items: Instance[] = [];
      let cursor: string | undefined;
      do {
        const page = await unwrap(api.GET('/api/v1/instances', { params: { query: { scope, limit: 200, ...(cursor ? { cursor } : {}) } } }));
        items.push(...page.items);
        cursor = page.nextCursor ?? undefined;
      } while (cursor && items.length < LIST_MAX);
      return items;
    },
  });
}

/** Puts a changed instance into the cached lists it belongs to (or takes it out), and into its own entry. */
export function applyInstance(qc: QueryClient, me: string, i: Instance): void {
  const gone = i.status === 'TERMINATED';
  for (const scope of ['mine', 'app-owner'] as const) {
    const belongs = scope === 'mine' ? i.owner.sub === me : i.appOwner.sub === me;
    qc.setQueryData<Instance[]>(instancesKey(scope), (list) => {
      if (!list) return list;
      const rest = list.filter((x) => x.id !== i.id);
      if (gone || !belongs) return rest.length === list.length ? list : rest;
      const at = list.findIndex((x) => x.id === i.id);
      if (at < 0) return [i, ...list];
      const next = [...list];
      next[at] = i;
      return next;
    });
  }
  qc.setQueryData(keys.instance(i.id), i);
}

function forget(qc: QueryClient, id: string): void {
  for (const scope of ['mine', 'app-owner'] as const) qc.setQueryData<Instance[]>(instancesKey(scope), (list) => list?.filter((x) => x.id !== id));
}

/**
 * Live instance changes (GET /api/v1/events, server-sent events with the session cookie) applied
 * to the cached lists and instances: no polling. After a reconnect (the browser reconnects by
 * itself) the lists are read again, since events sent meanwhile are not replayed. An `end` event
 * (the sign-in ended) closes the stream and has the session read again, which leads to sign-in.
 */
export function useInstanceEvents(me: string, filter: { instance?: string } = {}): void {
  const qc = useQueryClient();
  useEffect(() => {
    if (typeof EventSource === 'undefined') return;
    const url = `/api/v1/events${filter.instance ? `?instance=${encodeURIComponent(filter.instance)}` : ''}`;
    const source = new EventSource(url, { withCredentials: true });
    let opened = false;
    source.addEventListener('open', () => {
      if (opened) void qc.invalidateQueries({ queryKey: ['instances'] });
      opened = true;
    });
    source.addEventListener('instance', (e) => applyInstance(qc, me, JSON.parse((e as MessageEvent<string>).data) as Instance));
    source.addEventListener('gone', (e) => forget(qc, (JSON.parse((e as MessageEvent<string>).data) as { id: string }).id));
    source.addEventListener('end', () => {
      source.close();
      void qc.invalidateQueries({ queryKey: keys.session });
    });
    return () => source.close();
  }, [qc, me, filter.instance]);
}

type Action = 'suspend' | 'resume' | 'terminate';

/** Suspend, resume, terminate; the answer (the changed instance) goes into the cache at once. */
export function useInstanceAction(me: string) {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: ({ id, action }: { id: string; action: Action }) => {
      const path = { params: { path: { id } } };
      if (action === 'terminate') return unwrap(api.DELETE('/api/v1/instances/{id}', path));
      return unwrap(action === 'suspend' ? api.POST('/api/v1/instances/{id}/suspend', path) : api.POST('/api/v1/instances/{id}/resume', path));
    },
    onSuccess: (i) => applyInstance(qc, me, i),
  });
}

export function useInstanceVisibility(me: string) {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: ({ id, visibility }: { id: string; visibility: Visibility }) => unwrap(api.PATCH('/api/v1/instances/{id}', { params: { path: { id } }, body: { visibility } })),
    onSuccess: (i) => applyInstance(qc, me, i),
  });
}

/** Admins: whether the instance is suspended when nobody uses it (PATCH `idleSuspend`). */
export function useIdleSuspend(me: string) {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: ({ id, enabled }: { id: string; enabled: boolean }) => unwrap(api.PATCH('/api/v1/instances/{id}', { params: { path: { id } }, body: { idleSuspend: enabled } })),
    onSuccess: (i) => applyInstance(qc, me, i),
  });
}

/** Upgrade to another version of the same app and/or another runtime (explicit: never automatic). */
export function useUpgrade(me: string) {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: ({ id, appVersionId, runtime }: { id: string; appVersionId?: string; runtime?: string }) =>
      unwrap(api.POST('/api/v1/instances/{id}/upgrade', { params: { path: { id } }, body: { ...(appVersionId ? { appVersionId } : {}), ...(runtime ? { runtime } : {}) } })),
    onSuccess: (i) => applyInstance(qc, me, i),
  });
}
