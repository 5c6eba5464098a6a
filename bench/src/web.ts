import { cpSync, existsSync, mkdtempSync, renameSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { gzipSync, brotliCompressSync } from 'node:zlib';
import { Client } from 'pg';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { createTestDatabase, startWharf, type RunningSystem } from '@wharf/testing';
import { machine, percentile, round } from './common';

/**
 * bench/web: the web UI's first page in Chromium, from the gateway of Wharf started as `pnpm start`
 * starts it. For each catalog size (10 and 1 000 apps visible to alice, bulk-inserted as an import
 * writes them), on a fresh system each: alice signs in once through the dev OpenID provider, then
 *  - cold: RUNS loads of `/` in a new browser context (empty cache, her session cookie only);
 *    between them, as many without the preloads the UI's build declares (its preload.json, which
 *    the gateway sends as Link headers: the session and the catalog's first page read while the
 *    scripts compile), the two alternating so that the machine's load weighs on both alike;
 *  - warm: RUNS reloads of `/` in one context whose cache holds the first load;
 *  - search: RUNS times, the catalog loaded, a search typed into the search box until the one
 *    matching card is the only card shown (includes the UI's 250 ms debounce).
 * Time to the first card: from navigation start (the document's time origin) to the frame in which
 * the first catalog card is in the page, measured in the page (a MutationObserver, then the next
 * animation frame). Bytes: every JavaScript and CSS response of the first page (resource timing:
 * transferred, encoded and decoded sizes), and what gzip and brotli would make of them; whether
 * the gateway compresses is read from its answer to `Accept-Encoding: gzip, deflate, br`.
 * Target: first card visible ≤ 1000 ms (p90 of the cold loads with 1 000 apps). Prints JSON.
 */
const RUNS = Number(process.env.BENCH_RUNS ?? 7);
const SIZES = (process.env.BENCH_SIZES ?? '10,1000').split(',').map(Number);
const TARGET_MS = 1000;
const BUDGET_MS = Number(process.env.BENCH_BUDGET_MS ?? 170_000);
const VIEWPORT = { width: 1280, height: 800 };
/** The one app the search finds: its 4-digit number is in its name, title and description only (app-0042, or the last app of a smaller catalog). */
const searchTerm = (apps: number) => String(Math.min(42, apps - 1)).padStart(4, '0');

const started = performance.now();
/** The machine may be shared: its 1-minute load average before the run and after, beside the figures. */
const loadBefore = round(os.loadavg()[0]!, 2);
const log = (m: string) => process.stderr.write(`[web ${round((performance.now() - started) / 1000)}s] ${m}\n`);

async function seed(url: string, n: number): Promise<void> {
  const c = new Client({ connectionString: url });
  await c.connect();
  try {
    // One version per app, as an import writes it (same columns and search text), in bulk; no icon.
    await c.query(
      `INSERT INTO repository."AppName" ("name","ownerSub","ownerName")
       SELECT 'app-' || lpad(g::text, 4, '0'), 'user' || (g % 37), 'user' || (g % 37) FROM generate_series(0, $1::int - 1) g`,
      [n],
    );
    await c.query(
      `INSERT INTO repository."AppVersion" ("id","name","version","versionKey","title","description","categories","keywords",
        "ownerSub","ownerName","visibility","runtime","env","blobKey","sha256","size","searchText","createdAt")
      SELECT 'w' || lpad(g::text, 11, '0'),
        'app-' || lpad(g::text, 4, '0'), '1.0.0', lpad('1', 10, '0') || '.' || lpad('0', 10, '0') || '.' || lpad('0', 10, '0') || '~',
        'App ' || lpad(g::text, 4, '0'),
        'A benchmark app number ' || lpad(g::text, 4, '0') || ': it reads a table, fits a model and draws a chart of the result for its users.',
        ARRAY[(ARRAY['Data Science','Financial Services','Healthcare','Other'])[g % 4 + 1]], ARRAY['bench', 'k' || (g % 100)],
        'user' || (g % 37), 'user' || (g % 37), 'ALL_USERS',
        '{"module":"app","runtimeVersion":null,"memoryLimit":null,"memoryReservation":null,"volumeMount":null,"volumeSize":null,"gpuCount":0}',
        '[]', 'bundles/w' || g || '.zip', repeat('0', 64), 1000,
        lower('app-' || lpad(g::text, 4, '0') || ' App ' || lpad(g::text, 4, '0') || ' A benchmark app number ' || lpad(g::text, 4, '0')
          || ': it reads a table, fits a model and draws a chart of the result for its users. bench k' || (g % 100)),
        now() - (g || ' minutes')::interval
      FROM generate_series(0, $1::int - 1) g`,
      [n],
    );
    await c.query('ANALYZE repository."AppVersion"');
  } finally {
    await c.end();
  }
}

/** Debian's Chromium, headless, no background traffic (as apps/embedded's e2e specs launch it). */
function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
  });
}

/**
 * Runs in the page before its own scripts: notes the frame in which the first catalog card is in
 * the page (performance.now() is relative to navigation start).
 */
const FIRST_CARD_PROBE = `(() => {
  const w = window;
  const seen = () => {
    if (w.__firstCard !== undefined || !document.querySelector('li.app-card')) return false;
    requestAnimationFrame(() => { if (w.__firstCard === undefined) w.__firstCard = performance.now(); });
    return true;
  };
  const mo = new MutationObserver(() => { if (seen()) mo.disconnect(); });
  mo.observe(document, { childList: true, subtree: true });
})()`;

/** Waits until the probe saw the first card (an evaluated string: the UI's CSP forbids the eval that waitForFunction would use). */
async function firstCard(page: Page): Promise<void> {
  await page.evaluate(`new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error('no catalog card within 20 s: ' + document.body.innerText.slice(0, 300))), 20000);
    const check = () => (window.__firstCard !== undefined ? (clearTimeout(t), resolve()) : setTimeout(check, 10));
    check();
  })`);
}

interface Load {
  first_card_ms: number;
  fcp_ms: number | null;
  dom_content_loaded_ms: number;
  /** where the time went: the document received, the scripts received, the first API call sent (the app's code ran), the last API answer before the first card */
  document_ms: number;
  scripts_received_ms: number;
  first_api_call_ms: number;
  last_api_answer_ms: number;
  /** requests the page made until its first card (document, scripts, styles, API calls), and of them those that reached the network */
  requests: number;
  requests_network: number;
  api_requests: number;
  js: Bytes;
  css: Bytes;
}
interface Bytes {
  files: number;
  /** bytes over the wire (headers included; 0 for what came from the cache) */
  transferred: number;
  /** the bodies as sent (compressed if the server compressed them) */
  encoded: number;
  /** the bodies after decompression */
  decoded: number;
}

interface Entry {
  name: string;
  type: string;
  transferSize: number;
  encodedBodySize: number;
  decodedBodySize: number;
  startTime: number;
  responseEnd: number;
}

async function measureLoad(page: Page, go: () => Promise<unknown>): Promise<Load> {
  await go();
  await firstCard(page);
  const r = (await page.evaluate(`(() => {
    const nav = performance.getEntriesByType('navigation')[0];
    const fcp = performance.getEntriesByName('first-contentful-paint')[0];
    const entries = [nav, ...performance.getEntriesByType('resource')].map((e) => ({
      name: e.name, type: e.initiatorType, transferSize: e.transferSize, encodedBodySize: e.encodedBodySize,
      decodedBodySize: e.decodedBodySize, startTime: e.startTime, responseEnd: e.responseEnd,
    }));
    return { firstCard: window.__firstCard, fcp: fcp ? fcp.startTime : null, dcl: nav.domContentLoadedEventEnd, entries };
  })()`)) as { firstCard: number; fcp: number | null; dcl: number; entries: Entry[] };
  const before = r.entries.filter((e) => e.startTime <= r.firstCard);
  const bytes = (ext: string): Bytes => {
    const files = before.filter((e) => new URL(e.name).pathname.endsWith(ext));
    return {
      files: files.length,
      transferred: files.reduce((s, e) => s + e.transferSize, 0),
      encoded: files.reduce((s, e) => s + e.encodedBodySize, 0),
      decoded: files.reduce((s, e) => s + e.decodedBodySize, 0),
    };
  };
  const api = before.filter((e) => /^\/(api|auth)\//.test(new URL(e.name).pathname));
  const max = (es: Entry[], k: 'responseEnd' | 'startTime') => round(es.reduce((m, e) => Math.max(m, e[k]), 0));
  return {
    first_card_ms: round(r.firstCard),
    document_ms: round(before[0]!.responseEnd),
    scripts_received_ms: max(before.filter((e) => new URL(e.name).pathname.endsWith('.js')), 'responseEnd'),
    first_api_call_ms: round(api.reduce((m, e) => Math.min(m, e.startTime), Infinity)),
    last_api_answer_ms: max(api, 'responseEnd'),
    fcp_ms: r.fcp === null ? null : round(r.fcp),
    dom_content_loaded_ms: round(r.dcl),
    requests: before.length,
    requests_network: before.filter((e) => e.transferSize > 0).length,
    api_requests: api.length,
    js: bytes('.js'),
    css: bytes('.css'),
  };
}

/** Median and p90 of each numeric figure of the loads, plus the figures of every run. */
function summary<T extends object>(runs: T[]) {
  const out: Record<string, unknown> = {};
  const keys = Object.keys(runs[0] ?? {}) as (keyof T)[];
  for (const k of keys) {
    const v = runs[0]![k];
    if (typeof v === 'number') {
      const s = runs.map((r) => r[k] as number).sort((a, b) => a - b);
      out[k as string] = { median: round(percentile(s, 50)), p90: round(percentile(s, 90)) };
    } else if (v && typeof v === 'object') out[k as string] = summary(runs.map((r) => r[k] as object));
  }
  return out;
}

/** What the gateway sends for each asset with `Accept-Encoding: gzip, deflate, br`, and what gzip/brotli would make of it. */
async function assetSizes(gateway: string, paths: string[]) {
  const files: { path: string; raw: number; sent: number | null; content_encoding: string | null; cache_control: string | null; gzip6: number; brotli: number }[] = [];
  for (const p of paths) {
    const res = await fetch(`${gateway}${p}`, { headers: { 'accept-encoding': 'gzip, deflate, br' } });
    const encoding = res.headers.get('content-encoding');
    const length = res.headers.get('content-length');
    const raw = Buffer.from(await res.arrayBuffer()); // fetch decodes what the server encoded
    files.push({
      path: p,
      raw: raw.length,
      sent: length === null ? null : Number(length),
      content_encoding: encoding,
      cache_control: res.headers.get('cache-control'),
      gzip6: gzipSync(raw, { level: 6 }).length,
      brotli: brotliCompressSync(raw).length,
    });
  }
  const sum = (k: 'raw' | 'gzip6' | 'brotli') => files.reduce((s, f) => s + f[k], 0);
  return {
    gateway_compresses: files.some((f) => f.content_encoding !== null),
    total: { raw: sum('raw'), gzip6: sum('gzip6'), brotli: sum('brotli') },
    files,
  };
}

async function signIn(browser: Browser, sys: RunningSystem): Promise<Awaited<ReturnType<BrowserContext['storageState']>>> {
  const ctx = await browser.newContext({ viewport: VIEWPORT });
  try {
    const page = await ctx.newPage();
    await page.goto(`${sys.gateway}/`);
    await page.waitForSelector('#username'); // the dev OpenID provider's sign-in form
    await page.fill('#username', 'alice');
    await page.fill('#password', sys.devUsers.alice!);
    await Promise.all([page.waitForURL(`${sys.gateway}/`), page.click('button[type=submit]')]);
    await page.waitForSelector('li.app-card', { timeout: 20_000 }).catch(async (e: unknown) => {
      log(`no catalog card after sign-in at ${page.url()}: ${(await page.locator('body').innerText()).slice(0, 500)}`);
      throw e;
    });
    return await ctx.storageState();
  } finally {
    await ctx.close();
  }
}

async function runSize(browser: Browser, apps: number) {
  log(`starting Wharf for ${apps} apps`);
  // the platform's database on the local PostgreSQL (as bench/catalog), so that the bench can seed it
  const db = await createTestDatabase('wharf_bench');
  // the built UI, copied so that the preloads can be turned off and on between loads (the gateway reads preload.json with each page)
  const web = mkdtempSync(path.join(os.tmpdir(), 'wharf-bench-web-'));
  cpSync(WEB_DIST, web, { recursive: true });
  removing.add(web);
  const preloads = (on: boolean) => {
    const [from, to] = on ? ['preload.off.json', 'preload.json'] : ['preload.json', 'preload.off.json'];
    if (existsSync(path.join(web, from))) renameSync(path.join(web, from), path.join(web, to));
  };
  if (!existsSync(path.join(web, 'preload.json'))) throw new Error(`${WEB_DIST} has no preload.json: build the UI (pnpm -s build)`);
  let sys: RunningSystem;
  try {
    sys = await startWharf({ DATABASE_URL: db.url, WHARF_PLATFORM_LOG_LEVEL: 'warn', WHARF_GATEWAY_WEB_DIR: web });
  } catch (e) {
    await db.drop(); // nothing may outlive a failed start
    throw e;
  }
  stopping.add(sys);
  dropping.add(db);
  try {
    await seed(db.url, apps);
    const state = await signIn(browser, sys);
    const url = `${sys.gateway}/`;

    // cold: a new context each time (empty cache), signed in
    const cold: Load[] = [];
    const coldBare: Load[] = [];
    for (let i = 0; i < 2 * RUNS && !overBudget(); i++) {
      const preloaded = i % 2 === 0;
      preloads(preloaded);
      const ctx = await browser.newContext({ viewport: VIEWPORT, storageState: state });
      try {
        await ctx.addInitScript(FIRST_CARD_PROBE);
        const page = await ctx.newPage();
        (preloaded ? cold : coldBare).push(await measureLoad(page, () => page.goto(url)));
      } finally {
        await ctx.close();
      }
    }
    preloads(true);
    log(`${apps} apps: cold first card ${cold.map((l) => l.first_card_ms).join(', ')} ms; without preloads ${coldBare.map((l) => l.first_card_ms).join(', ')} ms`);

    // warm: reloads with the cache of the first load; then a search typed after each load
    const warm: Load[] = [];
    const search: { typed_to_filtered_ms: number }[] = [];
    const ctx = await browser.newContext({ viewport: VIEWPORT, storageState: state });
    try {
      await ctx.addInitScript(FIRST_CARD_PROBE);
      const page = await ctx.newPage();
      await measureLoad(page, () => page.goto(url));
      for (let i = 0; i < RUNS && !overBudget(); i++) warm.push(await measureLoad(page, () => page.reload()));
      log(`${apps} apps: warm first card ${warm.map((l) => l.first_card_ms).join(', ')} ms`);
      for (let i = 0; i < RUNS && !overBudget(); i++) {
        await measureLoad(page, () => page.goto(url));
        const box = page.getByRole('searchbox', { name: 'Search' });
        await box.focus();
        // the clock starts in the page as the first key goes in; it stops in the first frame in
        // which the only card is the one that matches
        const term = searchTerm(apps);
        const done = page.evaluate(`new Promise((resolve, reject) => {
          const t0 = performance.now();
          const tick = () => {
            const cards = document.querySelectorAll('li.app-card');
            if (cards.length === 1 && cards[0].getAttribute('data-app') === 'app-${term}') resolve(performance.now() - t0);
            else if (performance.now() - t0 > 20000) reject(new Error('the search did not narrow the catalog to app-${term} within 20 s'));
            else requestAnimationFrame(tick);
          };
          requestAnimationFrame(tick);
        })`) as Promise<number>;
        await box.pressSequentially(term);
        search.push({ typed_to_filtered_ms: round(await done) });
      }
      log(`${apps} apps: search ${search.map((s) => s.typed_to_filtered_ms).join(', ')} ms`);
    } finally {
      await ctx.close();
    }
    const assets = [...new Set(await assetPaths(browser, state, url))];
    return {
      apps,
      runs: { cold: cold.length, cold_without_preloads: coldBare.length, warm: warm.length, search: search.length },
      cold: summary(cold),
      cold_without_preloads: summary(coldBare),
      warm: summary(warm),
      search: summary(search),
      every_run: {
        cold_first_card_ms: cold.map((l) => l.first_card_ms),
        cold_without_preloads_first_card_ms: coldBare.map((l) => l.first_card_ms),
        warm_first_card_ms: warm.map((l) => l.first_card_ms),
        search_ms: search.map((s) => s.typed_to_filtered_ms),
      },
      assets: await assetSizes(sys.gateway, assets),
    };
  } finally {
    await sys.stop();
    stopping.delete(sys);
    await db.drop();
    dropping.delete(db);
    rmSync(web, { recursive: true, force: true });
    removing.delete(web);
  }
}

/** The scripts and styles the first page loads (same-origin paths). */
async function assetPaths(browser: Browser, state: Awaited<ReturnType<BrowserContext['storageState']>>, url: string): Promise<string[]> {
  const ctx = await browser.newContext({ viewport: VIEWPORT, storageState: state });
  try {
    await ctx.addInitScript(FIRST_CARD_PROBE);
    const page = await ctx.newPage();
    const paths: string[] = [];
    page.on('request', (r) => {
      const p = new URL(r.url()).pathname;
      if (/\.(js|css)$/.test(p)) paths.push(p);
    });
    await page.goto(url);
    await firstCard(page);
    return paths;
  } finally {
    await ctx.close();
  }
}

const WEB_DIST = path.resolve(__dirname, '../../apps/web/dist');
const stopping = new Set<RunningSystem>();
const removing = new Set<string>();
const dropping = new Set<{ drop: () => Promise<void> }>();
let browser: Browser | undefined;
const overBudget = () => performance.now() - started > BUDGET_MS;

async function cleanup() {
  await browser?.close().catch(() => undefined);
  await Promise.all([...stopping].map((s) => s.stop().catch(() => undefined)));
  await Promise.all([...dropping].map((d) => d.drop().catch(() => undefined)));
  for (const dir of removing) rmSync(dir, { recursive: true, force: true });
}

async function main(): Promise<void> {
  const onSignal = () => {
    log('interrupted: stopping');
    void cleanup().finally(() => process.exit(130));
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  browser = await launchChromium();
  const sizes: Record<string, Awaited<ReturnType<typeof runSize>>> = {};
  try {
    for (const n of SIZES) sizes[`apps_${n}`] = await runSize(browser, n);
  } finally {
    await cleanup();
  }
  const p90 = (n: number, kind: 'cold' | 'warm') => ((sizes[`apps_${n}`]?.[kind] as Record<string, { p90: number }> | undefined)?.first_card_ms?.p90 ?? NaN);
  const largest = Math.max(...SIZES);
  const judged = p90(largest, 'cold');
  const side = Object.fromEntries(
    SIZES.map((n) => {
      const s = sizes[`apps_${n}`]!;
      const m = (kind: 'cold' | 'cold_without_preloads' | 'warm', k: string) => (s[kind] as Record<string, { median: number; p90: number }>)[k];
      return [
        `apps_${n}`,
        {
          cold_first_card_ms: m('cold', 'first_card_ms'),
          cold_without_preloads_first_card_ms: m('cold_without_preloads', 'first_card_ms'),
          warm_first_card_ms: m('warm', 'first_card_ms'),
          search_ms: (s.search as Record<string, unknown>).typed_to_filtered_ms,
          requests_cold: m('cold', 'requests'),
          api_requests: m('cold', 'api_requests'),
        },
      ];
    }),
  );
  console.log(
    JSON.stringify(
      {
        bench: 'web',
        machine: machine(),
        load_average_1m: { before: loadBefore, after: round(os.loadavg()[0]!, 2) },
        runs: RUNS,
        viewport: VIEWPORT,
        side_by_side: side,
        ...sizes,
        target: { first_card_ms: `<= ${TARGET_MS} (p90, cold, ${largest} apps)` },
        pass: judged <= TARGET_MS,
        margin_ms: round(TARGET_MS - judged),
        warm_pass: p90(largest, 'warm') <= TARGET_MS,
        seconds: round((performance.now() - started) / 1000),
      },
      null,
      2,
    ),
  );
  process.off('SIGINT', onSignal);
  process.off('SIGTERM', onSignal);
}

main().catch(async (e: unknown) => {
  console.error(e);
  await cleanup();
  process.exit(1);
});
