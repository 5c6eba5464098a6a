import { createHash } from 'node:crypto';
import { existsSync, readFile, readFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { gzip } from 'node:zlib';
import express, { type NextFunction, type Request, type Response } from 'express';
import { esc } from '../identity/html';

/**
 * Paths the gateway itself answers: never a file of the UI, never its index.html. `/instance` is
 * the redirect to BASE_URL instances (instance-redirect.controller.ts); the UI's pages are
 * `/instances/…`, which it does not cover.
 */
export const RESERVED_PREFIXES = ['/api', '/auth', '/healthz', '/readyz', '/instance'] as const;

export const isReserved = (p: string) => RESERVED_PREFIXES.some((r) => p === r || p.startsWith(`${r}/`));

/**
 * The UI's Content-Security-Policy: its own scripts, styles, images (and data: images, which CSS
 * may use), fonts and API calls only; no inline script or style, no plugins, no framing.
 */
export const UI_CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "font-src 'self'",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

/** Vite's output under assets/ carries a content hash in every name: it never changes, so it is cached for a year. */
const IMMUTABLE = 'public, max-age=31536000, immutable';

/** Hashed assets sent gzip-compressed to browsers that accept it: Vite's scripts, styles and SVGs (images and fonts are compressed already). */
const COMPRESSIBLE = /^\/assets\/[A-Za-z0-9_.-]+\.(js|css|svg)$/;

/** Whether the request's Accept-Encoding allows gzip (`gzip` or `*`, not at q=0). */
export function acceptsGzip(header: string | undefined): boolean {
  if (!header) return false;
  let star = false;
  for (const part of header.split(',')) {
    const [name = '', ...params] = part.toLowerCase().split(';');
    const coding = name.trim();
    const q = params.map((p) => /^\s*q=([0-9.]+)\s*$/.exec(p)).find(Boolean);
    const ok = !q || Number(q[1]) > 0;
    if (coding === 'gzip') return ok;
    if (coding === '*') star = ok;
  }
  return star;
}

/**
 * The gzip form of each hashed asset, made once on first request (the files never change: their
 * names carry their hash) and kept in memory: Vite's bundle is a few hundred kilobytes, about a
 * quarter of that compressed.
 */
function gzippedAssets(root: string) {
  const cache = new Map<string, Promise<Buffer | null>>();
  const gzipAsync = promisify(gzip);
  const readAsync = promisify(readFile);
  return (rel: string): Promise<Buffer | null> => {
    let hit = cache.get(rel);
    if (!hit) {
      hit = readAsync(path.join(root, rel)).then(
        (raw) => gzipAsync(raw, { level: 9 }),
        () => null, // no such file: express.static answers (or the 404 below)
      );
      cache.set(rel, hit);
      void hit.then((b) => b === null && cache.delete(rel)); // a file that appears later is served then
    }
    return hit;
  };
}

function uiHeaders(res: Response, csp = UI_CSP): void {
  res.setHeader('Content-Security-Policy', csp);
  res.setHeader('X-Content-Type-Options', 'nosniff');
  res.setHeader('X-Frame-Options', 'DENY');
  res.setHeader('Referrer-Policy', 'same-origin');
}

const NOT_BUILT_STYLE = 'body{font-family:system-ui,sans-serif;max-width:40rem;margin:3rem auto;padding:0 1rem;line-height:1.5;color:#1d2330}code{background:#eef0f4;padding:0 .25rem;border-radius:3px}';
/** The page's only style, allowed by its hash (the page has no script). */
const NOT_BUILT_CSP = `default-src 'none'; style-src 'sha256-${createHash('sha256').update(NOT_BUILT_STYLE).digest('base64')}'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'`;

export function notBuiltPage(dir: string): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Wharf: the web UI is not built</title><style>${NOT_BUILT_STYLE}</style></head>
<body><main><h1>The web UI is not built</h1>
<p>This gateway serves Wharf's web UI from <code>${esc(dir)}</code>, and there is no <code>index.html</code> there.</p>
<p>Build it from the repository with <code>pnpm --filter @wharf/web build</code> (<code>npm start</code> builds everything), or point
<code>Gateway.WebDir</code> (env <code>WHARF_GATEWAY_WEB_DIR</code>) at a built UI.</p>
<p>The REST API works without it: <a href="/api/docs">/api/docs</a>.</p></main></body></html>`;
}

/** A preload the gateway will name in a Link header: a path on this origin, with nothing that could break out of `<…>`. */
const PRELOAD_URL = /^\/(?!\/)[A-Za-z0-9\-._~!$&'()*+;=:@/?%]*$/;

/**
 * The API answers the built UI asks the browser to read with a page (`preload.json` beside
 * index.html, written by the UI's build: `{"*": [urls for every page], "/": [urls for the page at
 * exactly "/", no query]}`), as one `Link` header value: the browser starts them while it is
 * still compiling the scripts and hands them to the UI's own identical requests. Read with each
 * page (it is a few bytes, and a rebuilt UI is picked up); a missing file means no preloads, an
 * invalid one is skipped with a warning.
 */
export function preloadLink(root: string, pagePath: string, hasQuery: boolean, warn: (m: string) => void = () => undefined): string | null {
  let declared: unknown;
  try {
    declared = JSON.parse(readFileSync(path.join(root, 'preload.json'), 'utf8'));
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') warn(`${path.join(root, 'preload.json')} is not JSON (${(e as Error).message}); no preloads sent`);
    return null;
  }
  if (!declared || typeof declared !== 'object' || Array.isArray(declared)) {
    warn(`${path.join(root, 'preload.json')} is not an object of page paths to URL lists; no preloads sent`);
    return null;
  }
  const urls: string[] = [];
  for (const [page, list] of Object.entries(declared as Record<string, unknown>)) {
    if (page !== '*' && (page !== pagePath || hasQuery)) continue;
    for (const url of Array.isArray(list) ? list : [list]) {
      if (typeof url === 'string' && PRELOAD_URL.test(url)) urls.push(url);
      else warn(`${path.join(root, 'preload.json')}: ${JSON.stringify(url)} (page ${page}) is not a path on this origin; skipped`);
    }
  }
  // `crossorigin`: the mode and credentials of the UI's fetch() (same-origin cookies), without which the browser would not reuse it
  return urls.length ? urls.map((u) => `<${u}>; rel=preload; as=fetch; crossorigin`).join(', ') : null;
}

/**
 * The web UI, as an Express handler placed after the gateway's own routes: files of the built UI
 * from `dir` (hashed assets cached for a year and their scripts and styles gzip-compressed,
 * everything else revalidated), and `index.html` for
 * any other GET of a page path so that the single-page app's routes survive a reload. Paths under
 * RESERVED_PREFIXES are left to the gateway (its 404 stays JSON). A missing build answers a page
 * that says how to build it. Pages carry the preloads the build declares (preloadLink).
 */
export function webUi(dir: string, warn: (m: string) => void = () => undefined): express.Router {
  const root = path.resolve(dir);
  const index = path.join(root, 'index.html');
  const router = express.Router();
  const mine = (req: Request) => (req.method === 'GET' || req.method === 'HEAD') && !isReserved(req.path);

  router.use((req: Request, res: Response, next: NextFunction) => {
    if (!mine(req)) return next();
    uiHeaders(res);
    next();
  });
  const gzipped = gzippedAssets(root);
  router.use((req: Request, res: Response, next: NextFunction) => {
    if (!mine(req) || !COMPRESSIBLE.test(req.path)) return next();
    res.setHeader('Vary', 'Accept-Encoding');
    if (!acceptsGzip(req.headers['accept-encoding'])) return next();
    gzipped(req.path.slice(1)).then((body) => {
      if (!body) return next();
      res.status(200).type(path.extname(req.path)).setHeader('Cache-Control', IMMUTABLE);
      res.setHeader('Content-Encoding', 'gzip');
      res.setHeader('Content-Length', body.length);
      if (req.method === 'HEAD') return void res.end();
      res.end(body);
    }, next);
  });
  const files = express.static(root, {
    index: false,
    redirect: false,
    dotfiles: 'ignore',
    fallthrough: true,
    setHeaders: (res, file) => {
      const rel = path.relative(root, file).split(path.sep);
      res.setHeader('Cache-Control', rel[0] === 'assets' && rel.length > 1 ? IMMUTABLE : 'no-cache');
    },
  });
  // only the UI's paths: an API request must not cost a look at the disk
  router.use((req: Request, res: Response, next: NextFunction) => (mine(req) ? files(req, res, next) : next()));
  router.use((req: Request, res: Response, next: NextFunction) => {
    if (!mine(req)) return next();
    if (!existsSync(index)) {
      uiHeaders(res, NOT_BUILT_CSP);
      res.status(503).type('html').setHeader('Cache-Control', 'no-store');
      return void res.send(notBuiltPage(root));
    }
    // a missing file (an old asset, a typo) is a 404, not the app's page in its place; the app's
    // own pages are nested paths (/apps/hello@1.0.0), whatever dots they hold
    if (req.path.startsWith('/assets/') || /^\/[^/]+\.[a-z0-9]+$/i.test(req.path)) {
      res.setHeader('Cache-Control', 'no-cache');
      return void res.status(404).type('text').send(`Not found: ${req.path}`);
    }
    res.setHeader('Cache-Control', 'no-cache');
    const link = preloadLink(root, req.path, req.originalUrl.includes('?'), warn);
    if (link) res.setHeader('Link', link);
    res.sendFile(index, { dotfiles: 'deny' }, (e) => e && next(e));
  });
  return router;
}
