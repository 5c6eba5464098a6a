import { readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join, resolve } from 'node:path';

/**
 * The Grafana dashboard (deploy/grafana/wharf-dashboard.json): every panel has a unique id and a
 * datasource, and every metric its PromQL names is one Wharf exports — a `wharf_…` metric a service
 * makes (found in the TypeScript sources) or one of prom-client's default process metrics (asked of
 * prom-client itself). A renamed or misspelt metric fails here, not as an empty panel.
 */
const ROOT = resolve(__dirname, '../..');
const DASHBOARD = join(__dirname, 'wharf-dashboard.json');
// prom-client is a dependency of libs/nats: load it from there, as this folder has no package of its own.
const promClient = createRequire(join(ROOT, 'libs/nats/package.json'))('prom-client') as {
  Registry: new () => { getMetricsAsJSON(): Promise<{ name: string }[]> };
  collectDefaultMetrics(opts: { register: unknown }): void;
};

interface Target {
  refId: string;
  expr: string;
  datasource?: { type: string; uid: string };
}
interface Panel {
  id: number;
  type: string;
  title: string;
  datasource?: { type: string; uid: string };
  targets?: Target[];
  panels?: Panel[];
}
interface Dashboard {
  schemaVersion: number;
  panels: Panel[];
  templating: { list: { name: string; type: string; query: unknown; datasource?: { uid: string } }[] };
}

const dashboard = JSON.parse(readFileSync(DASHBOARD, 'utf8')) as Dashboard;
const allPanels = (ps: Panel[]): Panel[] => ps.flatMap((p) => [p, ...allPanels(p.panels ?? [])]);
const panels = allPanels(dashboard.panels);

/** TypeScript sources of the services and libraries (no specs, no build output). */
function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = join(dir, e.name);
    if (e.isDirectory()) return ['node_modules', 'dist', 'generated'].includes(e.name) ? [] : sources(p);
    return e.name.endsWith('.ts') && !e.name.endsWith('.spec.ts') && !e.name.endsWith('.d.ts') ? [p] : [];
  });
}

/** The `wharf_…` metrics the services make: names given to serviceMetrics' makers or to prom-client (`name: '…'`). */
function wharfMetrics(): Set<string> {
  const names = new Set<string>();
  for (const file of ['apps', 'libs'].flatMap((d) => sources(join(ROOT, d)))) {
    const text = readFileSync(file, 'utf8');
    for (const m of text.matchAll(/(?:\.(?:counter|histogram|gauge)\(\s*|\bname:\s*)'(wharf_[a-z0-9_]+)'/g)) names.add(m[1]!);
  }
  return names;
}

/** What prom-client's collectDefaultMetrics registers, asked of a fresh registry. */
async function defaultMetrics(): Promise<Set<string>> {
  const registry = new promClient.Registry();
  promClient.collectDefaultMetrics({ register: registry });
  return new Set((await registry.getMetricsAsJSON()).map((m) => m.name));
}

const KEYWORDS = new Set(['by', 'without', 'on', 'ignoring', 'group_left', 'group_right', 'offset', 'bool', 'and', 'or', 'unless', 'inf', 'nan']);

/**
 * The metric names a PromQL expression reads: what is left once strings, label matchers, ranges,
 * grouping clauses, variables and function calls are taken out.
 */
export function metricNames(expr: string): string[] {
  const bare = expr
    .replace(/"(?:[^"\\]|\\.)*"/g, '""')
    .replace(/\{[^}]*\}/g, ' ')
    .replace(/\[[^\]]*\]/g, ' ')
    .replace(/\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, ' ')
    .replace(/\$\{?\w+\}?/g, ' ')
    .replace(/\boffset\s+-?\w+/g, ' ')
    .replace(/\b\d+(?:\.\d+)?(?:e[+-]?\d+)?[a-z]*\b/gi, ' '); // numbers and durations
  const names: string[] = [];
  for (const m of bare.matchAll(/[a-zA-Z_:][a-zA-Z0-9_:]*(?=\s*(\(?))/g)) {
    if (m[1] === '(' || KEYWORDS.has(m[0].toLowerCase())) continue; // a function or aggregation, or a keyword
    names.push(m[0]);
  }
  return names;
}

/** A histogram's series name its family: `_bucket`, `_sum` and `_count` stripped when what is left is a known metric. */
const family = (name: string, known: Set<string>) => {
  const stripped = name.replace(/_(bucket|sum|count)$/, '');
  return known.has(stripped) ? stripped : name;
};

describe('the Grafana dashboard', () => {
  let known: Set<string>;
  let wharf: Set<string>;
  let defaults: Set<string>;
  beforeAll(async () => {
    wharf = wharfMetrics();
    defaults = await defaultMetrics();
    known = new Set([...wharf, ...defaults]);
  });

  it('finds the metrics Wharf exports (the sources and prom-client answer)', () => {
    // the search itself works: metrics of every service, this change's included
    for (const name of ['wharf_http_request_duration_seconds', 'wharf_instances', 'wharf_router_open', 'wharf_imports_total', 'wharf_import_bytes_total', 'wharf_gateway_denied_total'])
      expect({ name, found: wharf.has(name) }).toEqual({ name, found: true });
    // cookie and token prefixes are string literals too, but no metrics
    expect(wharf.has('wharf_session')).toBe(false);
    for (const name of ['process_resident_memory_bytes', 'process_cpu_seconds_total', 'nodejs_eventloop_lag_seconds', 'nodejs_heap_size_used_bytes'])
      expect({ name, found: defaults.has(name) }).toEqual({ name, found: true });
  });

  it('is a Grafana dashboard of schema 39 or later, with a Prometheus datasource variable and a service variable', () => {
    expect(dashboard.schemaVersion).toBeGreaterThanOrEqual(39);
    const vars = Object.fromEntries(dashboard.templating.list.map((v) => [v.name, v]));
    expect(vars.DS_PROMETHEUS).toMatchObject({ type: 'datasource', query: 'prometheus' });
    expect(vars.service).toMatchObject({ type: 'query', datasource: { uid: '${DS_PROMETHEUS}' } });
  });

  it('gives every panel a unique id and the Prometheus datasource, every target too', () => {
    const ids = panels.map((p) => p.id);
    expect(ids.every((id) => Number.isInteger(id) && id > 0)).toBe(true);
    expect(new Set(ids).size).toBe(ids.length);
    for (const p of panels) {
      expect({ panel: p.title, datasource: p.datasource }).toEqual({ panel: p.title, datasource: { type: 'prometheus', uid: '${DS_PROMETHEUS}' } });
      for (const t of p.targets ?? []) expect({ panel: p.title, ref: t.refId, datasource: t.datasource?.uid }).toEqual({ panel: p.title, ref: t.refId, datasource: '${DS_PROMETHEUS}' });
    }
  });

  it('has the rows Overview, Gateway, NATS, Imports, Router and Processes, each with panels', () => {
    const rows = dashboard.panels.filter((p) => p.type === 'row').map((p) => p.title);
    expect(rows).toEqual(['Overview', 'Gateway', 'NATS', 'Imports', 'Router', 'Processes']);
    // each row is followed by at least one panel before the next row
    const empty = dashboard.panels.filter((p, i) => p.type === 'row' && [undefined, 'row'].includes(dashboard.panels[i + 1]?.type)).map((p) => p.title);
    expect(empty).toEqual([]);
  });

  it('reads only metrics Wharf exports in its PromQL', () => {
    const unknown: string[] = [];
    let count = 0;
    for (const p of panels)
      for (const t of p.targets ?? []) {
        const names = metricNames(t.expr);
        expect({ panel: p.title, ref: t.refId, reads: names.length > 0 }).toEqual({ panel: p.title, ref: t.refId, reads: true });
        for (const n of names) {
          count++;
          if (!known.has(family(n, known))) unknown.push(`${p.title} (${t.refId}): ${n}`);
        }
      }
    expect(count).toBeGreaterThan(20);
    expect(unknown).toEqual([]);
  });

  it('would catch a metric nobody exports (the check itself)', () => {
    expect(metricNames('histogram_quantile(0.95, sum by (le, route) (rate(wharf_http_request_duration_seconds_bucket{service="gateway", route!~"/x"}[$__rate_interval])))')).toEqual([
      'wharf_http_request_duration_seconds_bucket',
    ]);
    expect(metricNames('sum(rate(a_total{x="1"}[5m])) / on (service) sum(b_count offset 5m) > bool 0')).toEqual(['a_total', 'b_count']);
    const made = metricNames('sum by (outcome) (rate(wharf_imports_totals[5m])) + wharf_import_duration_seconds_bucket + wharf_gateway_denied_bucket');
    expect(made.map((n) => known.has(family(n, known)))).toEqual([false, true, false]);
  });
});
