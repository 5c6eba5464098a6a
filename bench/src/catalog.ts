import http from 'node:http';
import { Client } from 'pg';
import { createTestDatabase, startNatsServer, startWharf } from '@wharf/testing';
import { machine, percentile, round } from './common';

/**
 * bench/catalog: 10 000 app versions (1 000 apps × 10 versions), then 50 concurrent clients
 * listing the catalog through the gateway (REST → NATS → repository → PostgreSQL) for a fixed
 * time per scenario. Prints p50/p99 per scenario side by side. Target: list p99 ≤ 30 ms.
 */
const VERSIONS = Number(process.env.BENCH_VERSIONS ?? 10_000);
const CLIENTS = Number(process.env.BENCH_CLIENTS ?? 50);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 8);
const ADMIN = `wharf_pat_${'c'.repeat(40)}`;

async function seed(url: string): Promise<void> {
  const c = new Client({ connectionString: url });
  await c.connect();
  try {
    // Rows as an import writes them (same columns and search text), inserted in bulk: importing
    // 10 000 zips would measure the import, not the catalog.
    await c.query(`
      INSERT INTO repository."AppVersion" ("id","name","version","versionKey","title","description","categories","keywords",
        "ownerSub","ownerName","visibility","runtime","env","blobKey","sha256","size","searchText")
      SELECT 'b' || lpad(g::text, 11, '0'),
        'app-' || lpad((g / 10)::text, 4, '0'),
        '1.' || (g % 10) || '.0',
        lpad('1', 10, '0') || '.' || lpad((g % 10)::text, 10, '0') || '.' || lpad('0', 10, '0') || '~',
        'App ' || (g / 10), 'A benchmark app number ' || g, ARRAY['Data Science'], ARRAY['bench', 'k' || (g % 100)],
        'user' || (g % 37), 'user' || (g % 37), 'ALL_USERS', '{"module":"app","runtimeVersion":null,"memoryLimit":null,"memoryReservation":null,"volumeMount":null,"volumeSize":null,"gpuCount":0}',
        '[]', 'bundles/b' || g || '.zip', repeat('0', 64), 1000,
        lower('app-' || lpad((g / 10)::text, 4, '0') || ' App ' || (g / 10) || ' A benchmark app number ' || g || ' bench k' || (g % 100))
      FROM generate_series(0, $1::int - 1) g`, [VERSIONS]);
    await c.query('ANALYZE repository."AppVersion"');
  } finally {
    await c.end();
  }
}

async function load(base: string, token: string, paths: string[]) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: CLIENTS });
  const lat: number[] = [];
  let errors = 0;
  const until = performance.now() + SECONDS * 1000;
  const one = (p: string) =>
    new Promise<void>((resolve) => {
      const t = performance.now();
      http
        .get(`${base}${p}`, { agent, headers: { authorization: `Bearer ${token}` } }, (res) => {
          res.resume();
          res.on('end', () => {
            if (res.statusCode === 200) lat.push(performance.now() - t);
            else errors++;
            resolve();
          });
        })
        .on('error', () => {
          errors++;
          resolve();
        });
    });
  await Promise.all(
    Array.from({ length: CLIENTS }, async (_, i) => {
      for (let n = i; performance.now() < until; n++) await one(paths[n % paths.length]!);
    }),
  );
  agent.destroy();
  lat.sort((a, b) => a - b);
  return { requests: lat.length, errors, rps: round(lat.length / SECONDS), p50_ms: round(percentile(lat, 50), 2), p99_ms: round(percentile(lat, 99), 2) };
}

async function run(gatewayCacheMs: number) {
  const [db, nats] = await Promise.all([createTestDatabase('wharf_bench'), startNatsServer()]);
  let wharf: Awaited<ReturnType<typeof startWharf>>;
  try {
    wharf = await startWharf({
      DATABASE_URL: db.url,
      NATS_URL: nats.url,
      WHARF_GATEWAY_BOOTSTRAP_ADMIN_TOKEN: ADMIN,
      WHARF_PLATFORM_LOG_LEVEL: 'warn',
      WHARF_GATEWAY_CATALOG_CACHE_MS: String(gatewayCacheMs),
    });
  } catch (e) {
    await Promise.all([nats.stop(), db.drop()]); // nothing may outlive a failed start
    throw e;
  }
  try {
    await seed(db.url);
    const mint = await fetch(`${wharf.gateway}/api/v1/tokens`, {
      method: 'POST',
      headers: { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json' },
      body: JSON.stringify({ user: 'reader', roles: ['full-access'] }),
    });
    const reader = ((await mint.json()) as { token: string }).token;
    const first = (await (await fetch(`${wharf.gateway}/api/v1/apps?limit=50`, { headers: { authorization: `Bearer ${reader}` } })).json()) as { nextCursor: string };
    const scenarios: Record<string, string[]> = {
      list_latest_page1: ['/api/v1/apps?limit=50'],
      list_latest_page2_cursor: [`/api/v1/apps?limit=50&cursor=${first.nextCursor}`],
      list_all_versions: ['/api/v1/apps?allVersions=true&limit=50'],
      search_q: ['/api/v1/apps?q=k42&limit=50', '/api/v1/apps?q=number%20999&limit=50'],
      get_one: ['/api/v1/apps/app-0042@1.3.0'],
    };
    await load(wharf.gateway, reader, scenarios.list_latest_page1!); // warm-up
    const results: Record<string, Awaited<ReturnType<typeof load>>> = {};
    for (const [name, paths] of Object.entries(scenarios)) results[name] = await load(wharf.gateway, reader, paths);
    return results;
  } finally {
    await wharf.stop();
    await Promise.all([nats.stop(), db.drop()]);
  }
}

async function main(): Promise<void> {
  // Side by side: the shipped configuration (gateway answer cache on), and the same system with
  // the gateway cache off, so every request crosses NATS to the repository (its own cache on).
  const cached = await run(5000);
  const uncached = await run(0);
  const p99 = cached.list_latest_page1!.p99_ms;
  console.log(
    JSON.stringify(
      {
        bench: 'catalog',
        machine: machine(),
        versions: VERSIONS,
        clients: CLIENTS,
        secondsPerScenario: SECONDS,
        gateway_cache_on: cached,
        gateway_cache_off: uncached,
        target: { list_p99_ms: '<= 30 (gateway cache on, the default)' },
        pass: p99 <= 30,
      },
      null,
      2,
    ),
  );
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
