/**
 * What the browser may ask for before the UI's code has run. The build writes this as
 * `preload.json` beside `index.html`; the gateway sends each entry as a `Link: rel=preload`
 * header with the page, so the browser reads the session (and, on the catalog, its first page)
 * while it is still compiling the scripts, and the UI's own request takes the answer already in.
 *
 * Keys are page paths: `*` every page, `/` the catalog's address without a query string (the
 * catalog's other views ask for other URLs). Each URL must be exactly what the UI asks for (the
 * browser reuses a preload only for the same URL); src/api/preload.test.ts holds them to it.
 *
 * Kept free of browser code: vite.config.ts imports it.
 */

/** The catalog's first page, shown at once; the rest streams in behind it in pages of CATALOG_PAGE. */
export const CATALOG_FIRST_PAGE = 60;
export const CATALOG_PAGE = 200;

export const SESSION_URL = '/auth/session';
export const CATALOG_FIRST_URL = `/api/v1/apps?limit=${CATALOG_FIRST_PAGE}`;

export const PRELOADS: Readonly<Record<string, readonly string[]>> = {
  '*': [SESSION_URL],
  '/': [CATALOG_FIRST_URL],
};
