import type { ServerResponse } from 'node:http';
import { genericStatusReason, type Instance } from '@wharf/contracts';

const esc = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

export interface PageOptions {
  status: number;
  title: string;
  /** Plain text; escaped. */
  message: string;
  /** Preformatted detail (e.g. the last log lines of a failed instance); escaped. */
  detail?: string;
  /** Reload the page after this many seconds. */
  refreshSeconds?: number;
  retryAfterSeconds?: number;
  /** Raw HTML of buttons/links (built only from escaped parts). */
  actions?: string;
  headers?: Record<string, string>;
}

/**
 * The router's own pages (not found, starting, suspended, failed, unreachable, no access).
 * Browsers get HTML; API clients (no `text/html` in Accept) get `{ error: { code, message } }`.
 */
export function sendPage(res: ServerResponse, accept: string | undefined, code: string, p: PageOptions): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const headers: Record<string, string> = { 'cache-control': 'no-store', ...p.headers };
  if (p.retryAfterSeconds !== undefined) headers['retry-after'] = String(p.retryAfterSeconds);
  let body: string;
  if (accept?.includes('text/html')) {
    headers['content-type'] = 'text/html; charset=utf-8';
    headers['content-security-policy'] = "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'";
    headers['x-frame-options'] = 'DENY';
    body = `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">${
      p.refreshSeconds ? `<meta http-equiv="refresh" content="${p.refreshSeconds}">` : ''
    }<title>${esc(p.title)} · Wharf</title><style>body{font:16px/1.5 system-ui,sans-serif;max-width:42rem;margin:4rem auto;padding:0 1rem;color:#1d2733}h1{font-size:1.5rem}pre{background:#f3f5f8;padding:1rem;overflow:auto;font-size:13px}button,a.button{font:inherit;padding:.4rem 1rem;border:1px solid #2f6fde;background:#2f6fde;color:#fff;border-radius:4px;text-decoration:none;cursor:pointer}small{color:#5b6673}</style></head><body><h1>${esc(
      p.title,
    )}</h1><p>${esc(p.message)}</p>${p.detail ? `<pre>${esc(p.detail)}</pre>` : ''}${p.actions ?? ''}<p><small>Wharf router</small></p></body></html>`;
  } else {
    headers['content-type'] = 'application/json; charset=utf-8';
    body = JSON.stringify({ error: { code, message: p.message, ...(p.detail ? { details: { detail: p.detail } } : {}) } });
  }
  headers['content-length'] = String(Buffer.byteLength(body));
  res.writeHead(p.status, headers);
  res.end(body);
}

/**
 * The page for an instance the caller may open but that does not serve requests right now (null:
 * it does). The status reason (a failure's last log lines) only for those who may read the logs.
 */
export function statusPage(i: Instance & { address: string | null }, isOwner: boolean, readLogs: boolean): { code: string; page: PageOptions } | null {
  const name = `${i.appName} ${i.appVersion}`;
  if (!readLogs) i = { ...i, statusReason: genericStatusReason(i.status) };
  switch (i.status) {
    case 'RUNNING':
    case 'INSTALLING':
    case 'STARTING':
      // the launcher listens from PROVISIONING on and shows its own progress page until the app is up
      return i.address ? null : starting(i, name);
    case 'QUEUED':
    case 'PROVISIONING':
      return i.address ? null : starting(i, name);
    case 'SUSPENDED':
      return {
        code: 'UNAVAILABLE',
        page: {
          status: 503,
          title: `${name} is suspended`,
          // the owner learns why (idle for 30 min, suspended by an admin, the platform was stopped)
          message: isOwner
            ? `This instance is suspended${readLogs && i.statusReason ? ` (${i.statusReason})` : ''}. Resume it to open it again.`
            : `This instance is suspended; its owner (${i.owner.name}) can resume it.`,
          // under the instance's base path: `/instance/<id>/.wharf/resume` in BASE_URL mode
          actions: isOwner ? `<form method="post" action="${esc(`${i.basePath ?? '/'}.wharf/resume`)}"><button type="submit">Resume</button></form>` : undefined,
        },
      };
    case 'FAILED':
      return {
        code: 'UNAVAILABLE',
        page: readLogs
          ? { status: 503, title: `${name} failed`, message: 'This instance stopped with an error.', detail: i.statusReason ?? 'no reason was recorded' }
          : { status: 503, title: `${name} failed`, message: 'This instance stopped with an error; its owner can read the logs.' },
      };
    default:
      return { code: 'NOT_FOUND', page: { status: 404, title: 'No such instance', message: 'This instance does not exist (any more).' } };
  }
}

/** Statuses of an instance on its way up: its launcher (or app) may not listen yet. */
const COMING_UP = new Set<Instance['status']>(['QUEUED', 'PROVISIONING', 'INSTALLING', 'STARTING']);

/**
 * The page for a connection the instance refused while it is still coming up (resumed, or just
 * run: the record has the launcher's address a moment before the launcher listens): the
 * self-refreshing starting page, not "not answering". Null when the instance is up (RUNNING) or gone.
 */
export function comingUpPage(i: Instance, readLogs: boolean): { code: string; page: PageOptions } | null {
  // the page statusPage gives the same status before the record has an address
  return COMING_UP.has(i.status) ? statusPage({ ...i, address: null }, false, readLogs) : null;
}

function starting(i: Instance, name: string): { code: string; page: PageOptions } {
  return {
    code: 'UNAVAILABLE',
    page: {
      status: 503,
      title: `Starting ${name}`,
      message: `${i.statusReason ?? i.status.toLowerCase()}… this page reloads by itself.`,
      refreshSeconds: 1,
      retryAfterSeconds: 1,
    },
  };
}
