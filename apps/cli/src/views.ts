import type { Schemas } from '@wharf/api';
import { age, bytes, type Column, type Format, print } from './output';
import type { Term } from './term';

/** An app version as the catalog answers it (env and file entries as the API may send them). */
export type App = Omit<Schemas['PublicAppVersion'], 'env' | 'files'> & {
  env: { name: string; value?: string; secret?: string | null; secretKey?: string | null }[];
  /** Absent from versions served before files existed. */
  files?: { path: string; value?: string; secret?: string | null; secretKey?: string | null }[];
};
export type Instance = Schemas['Instance'];

/** Key/value lines, the keys padded to one width: a single object's detail view (as `kubectl describe`). */
export function detailLines(pairs: [string, string | number | boolean | null | undefined][], term: Term): string {
  const width = Math.max(...pairs.map(([k]) => k.length)) + 2;
  return pairs.map(([k, v]) => `${term.c.bold(`${k}:`)}${' '.repeat(width - k.length - 1)}${v === null || v === undefined || v === '' ? '-' : String(v)}`).join('\n');
}

/** One object: detail lines on `table`, the API's answer (`raw`) as JSON or YAML. */
export function printDetail(term: Term, format: Format, raw: unknown, pairs: [string, string | number | boolean | null | undefined][], extra?: string): void {
  if (format !== 'table') return print(term, format, [], [], { raw });
  term.out(detailLines(pairs, term) + (extra ? `\n${extra}` : ''));
}

const VIS: Record<string, string> = { PRIVATE: 'private', ALL_USERS: 'all-users', PUBLIC: 'public' };
export const visibilityText = (v: string) => VIS[v] ?? v;

export const appColumns: Column<App>[] = [
  { header: 'id', get: (a) => a.id },
  { header: 'name', get: (a) => a.name },
  { header: 'version', get: (a) => a.version },
  { header: 'visibility', get: (a) => visibilityText(a.visibility) },
  { header: 'owner', get: (a) => a.owner.name },
  { header: 'tags', get: (a) => a.tags.map((t) => t.name).join(',') },
  { header: 'size', get: (a) => bytes(a.size) },
  { header: 'age', get: (a) => age(a.createdAt) },
];

export const versionColumns: Column<App>[] = [
  { header: 'version', get: (a) => a.version },
  { header: 'id', get: (a) => a.id },
  { header: 'visibility', get: (a) => visibilityText(a.visibility) },
  { header: 'tags', get: (a) => a.tags.map((t) => t.name).join(',') },
  { header: 'age', get: (a) => age(a.createdAt) },
];

const LIFECYCLES: Record<App['runtime']['lifecycle'], string> = {
  ON_DEMAND: 'ON_DEMAND (each user runs their own instance)',
  MANAGED: 'MANAGED (one shared instance; its owner or an admin starts it)',
  LINK: 'LINK (no instance: a link to another site)',
};

const ROUTING_MODES: Record<Instance['routingMode'], string> = {
  DOMAIN: 'DOMAIN (at <id>.<apps domain>, an origin of its own)',
  BASE_URL: 'BASE_URL (under /instance/<id>/ on the apps domain, a host shared with the other BASE_URL instances)',
};

/** `[Runtime] RoutingMode` of the version; null: it follows the platform's `Scheduler.RoutingMode`. */
const appRoutingModeText = (mode: App['runtime']['routingMode']) => (mode ? ROUTING_MODES[mode] : 'platform default');

export function appPairs(a: App): [string, string | number | null][] {
  return [
    ['Name', a.name],
    ['Version', a.version],
    ['ID', a.id],
    ['Title', a.title],
    ['Description', a.description],
    ['Owner', `${a.owner.name} (${a.owner.sub})`],
    ['Visibility', visibilityText(a.visibility)],
    ['Categories', a.categories.join(', ')],
    ['Keywords', a.keywords.join(', ')],
    ['Tags', a.tags.map((t) => t.name).join(', ')],
    ['Lifecycle', LIFECYCLES[a.runtime.lifecycle]],
    ...(a.runtime.lifecycle === 'LINK' ? [['Link', a.runtime.linkAddress] as [string, string | null]] : [['Routing', appRoutingModeText(a.runtime.routingMode)] as [string, string]]),
    ['Runtime', [a.runtime.module, a.runtime.runtimeVersion].filter(Boolean).join(' ')],
    ['Memory', [a.runtime.memoryReservation && `reservation ${a.runtime.memoryReservation}`, a.runtime.memoryLimit && `limit ${a.runtime.memoryLimit}`].filter(Boolean).join(', ')],
    ['GPUs', a.runtime.gpuCount ? `${a.runtime.gpuCount}${a.runtime.gpuType ? ` × ${a.runtime.gpuType}` : ''}` : null],
    ['Volume', a.runtime.volumeMount ? `${a.runtime.volumeMount}${a.runtime.volumeSize ? ` (${a.runtime.volumeSize})` : ''}` : null],
    ['Env', a.env.map((e) => (e.value !== undefined ? e.name : `${e.name} (secret ${e.secret ?? '-'}/${e.secretKey ?? '-'})`)).join(', ')],
    ['Files', (a.files ?? []).map((f) => (f.value !== undefined ? f.path : `${f.path} (secret ${f.secret ?? '-'}/${f.secretKey ?? '-'})`)).join(', ')],
    ['Size', bytes(a.size)],
    ['SHA-256', a.sha256],
    ['Created', a.createdAt],
  ];
}

export const instanceColumns: Column<Instance>[] = [
  { header: 'id', get: (i) => i.id },
  { header: 'app', get: (i) => i.appName },
  { header: 'version', get: (i) => i.appVersion },
  { header: 'status', get: (i) => i.status },
  { header: 'owner', get: (i) => i.owner.name },
  { header: 'visibility', get: (i) => visibilityText(i.visibility) },
  { header: 'runtime', get: (i) => i.runtime },
  { header: 'age', get: (i) => age(i.createdAt) },
];

/** When the instance is suspended for idleness, in words. */
export function idleText(idle: Instance['idle']): string {
  if (idle.disabledByAdmin) return 'never (turned off by an admin)';
  if (idle.timeoutMinutes === null) return 'never';
  return `after ${idle.timeoutMinutes} min without traffic`;
}

export function instancePairs(i: Instance): [string, string | number | null][] {
  return [
    ['ID', i.id],
    ['App', `${i.appName}@${i.appVersion} (${i.appVersionId})`],
    ['App owner', i.appOwner.name],
    ['Owner', `${i.owner.name} (${i.owner.sub})`],
    ['Status', i.status],
    ['Reason', i.statusReason],
    ['Visibility', visibilityText(i.visibility)],
    ['Runtime', i.runtime],
    ['URL', i.url],
    ['Routing', ROUTING_MODES[i.routingMode]],
    ['Base path', i.basePath],
    ['Created', i.createdAt],
    ['Last activity', i.lastActivityAt],
    ['Idle suspend', idleText(i.idle)],
    ['Kept alive until', i.idle.keepAliveUntil],
    ['Warnings', i.warnings.join('; ')],
  ];
}
