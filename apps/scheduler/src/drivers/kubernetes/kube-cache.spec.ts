import { Logger } from '@nestjs/common';
import type { KubeApi } from './kube-api';
import { KubeCache, newer, type CachePage } from './kube-cache';

/**
 * The cache's ordering rules, with a watch driven by hand (the integration specs use the fake API
 * server, where the watch is usually too quick to show them).
 */

beforeAll(() => Logger.overrideLogger(false));

type Obj = { metadata: { name: string; resourceVersion: string }; v?: string };
type Entry = { rv: string; v: string };

function setup(pages: CachePage<Obj>[]) {
  let emit: ((type: string, o: Obj) => void) | null = null;
  const changes: string[] = [];
  const api = {
    watch: {
      watch: async (_path: string, query: Record<string, unknown>, cb: (type: string, o: Obj) => void) => {
        emit = cb;
        changes.push(`watch from ${String(query.resourceVersion)}`);
        return new AbortController();
      },
    },
  } as unknown as KubeApi;
  let page = 0;
  const cache = new KubeCache<Obj, Entry>({
    api,
    resource: 'things',
    path: '/things',
    labelSelector: 'a=b',
    pageSize: 2,
    list: async () => pages[page++]!,
    entry: (o) => ({ rv: o.metadata.resourceVersion, v: o.v ?? '' }),
    changed: (name, now, before) => changes.push(`${name}: ${before?.v ?? '-'} → ${now?.v ?? '-'}`),
  });
  const obj = (name: string, rv: number, v = `${name}@${rv}`): Obj => ({ metadata: { name, resourceVersion: String(rv) }, v });
  return { cache, changes, obj, emit: (type: string, o: Obj) => emit!(type, o) };
}

describe('KubeCache', () => {
  it('fills from every page, then watches from the list’s resourceVersion', async () => {
    const o = (name: string, rv: number): Obj => ({ metadata: { name, resourceVersion: String(rv) }, v: name });
    const { cache, changes } = setup([
      { items: [o('a', 1), o('b', 2)], metadata: { resourceVersion: '10', _continue: 'next' } },
      { items: [o('c', 3)], metadata: { resourceVersion: '10' } },
    ]);
    await cache.start();
    expect(cache.size).toBe(3);
    expect(changes).toEqual(['a: - → a', 'b: - → b', 'c: - → c', 'watch from 10']);
    cache.close();
  });

  it('keeps what the driver wrote over older watch events, and a deleted object deleted', async () => {
    const { cache, changes, obj, emit } = setup([{ items: [], metadata: { resourceVersion: '1' } }]);
    await cache.start();
    cache.observe(obj('x', 5, 'written'));
    emit('ADDED', obj('x', 3)); // the watch catching up
    emit('MODIFIED', obj('x', 4));
    expect(cache.get('x')).toEqual({ rv: '5', v: 'written' });
    cache.forget('x'); // the driver deleted it
    emit('MODIFIED', obj('x', 5)); // older news about it
    expect(cache.get('x')).toBeUndefined();
    emit('DELETED', obj('x', 6));
    cache.observe(obj('x', 8, 'made again'));
    emit('ADDED', obj('x', 7)); // an earlier incarnation
    expect(cache.get('x')).toEqual({ rv: '8', v: 'made again' });
    emit('DELETED', obj('x', 7)); // the deletion of an object older than the one kept
    expect(cache.get('x')).toEqual({ rv: '8', v: 'made again' });
    emit('DELETED', obj('x', 9));
    expect(cache.get('x')).toBeUndefined();
    expect(changes.filter((c) => c.startsWith('x:'))).toEqual(['x: - → written', 'x: written → -', 'x: - → made again', 'x: made again → -']);
    cache.close();
  });

  it('compares resourceVersions as the increasing integers etcd gives', () => {
    expect(newer('10', '9')).toBe(true);
    expect(newer('9', '10')).toBe(false);
    expect(newer('10', '10')).toBe(false);
  });
});
