import { invalid } from '@wharf/contracts';
import type { NextFunction, Request, Response } from 'express';

/** No API body needs more; deeper ones are refused before anything walks them. */
export const MAX_BODY_DEPTH = 64;

/**
 * Where in a parsed JSON body the first NUL character is (`name`, `items[2].value`), `{ tooDeep }`
 * when it is nested deeper than MAX_BODY_DEPTH, or null. Walks without recursion: a hostile body
 * of thousands of nested arrays must not exhaust the stack.
 */
export function nulPath(value: unknown): string | { tooDeep: string } | null {
  const stack: { v: unknown; at: string; depth: number }[] = [{ v: value, at: '', depth: 0 }];
  while (stack.length > 0) {
    const { v, at, depth } = stack.pop()!;
    if (typeof v === 'string') {
      if (v.includes('\u0000')) return at || '(the body)';
      continue;
    }
    if (!v || typeof v !== 'object') continue;
    if (depth >= MAX_BODY_DEPTH) return { tooDeep: at };
    const entries: [string, unknown][] = Array.isArray(v) ? v.map((x, i) => [`${at}[${i}]`, x]) : Object.entries(v).map(([k, x]) => [at ? `${at}.${k}` : k, x]);
    if (!Array.isArray(v)) {
      const key = Object.keys(v).find((k) => k.includes('\u0000'));
      if (key !== undefined) return at ? `${at}.${key}` : key;
    }
    // reversed, so that the first entry is looked at first
    for (let i = entries.length - 1; i >= 0; i--) stack.push({ v: entries[i]![1], at: entries[i]![0], depth: depth + 1 });
  }
  return null;
}

/**
 * Express middleware (after the body parsers): refuses a request with a NUL character in its path,
 * query or JSON body, or a body nested deeper than any API needs. No id, name or text in Wharf may hold one, and PostgreSQL cannot store it:
 * without this it would surface as an internal error deep in a service instead of a clear 400.
 */
export function refuseNul(req: Request, _res: Response, next: NextFunction): void {
  const url = req.originalUrl ?? req.url;
  if (url.includes('\u0000') || /%00/.test(url)) {
    next(invalid('the request path or query contains a NUL character (%00); remove it'));
    return;
  }
  const where = nulPath(req.body as unknown);
  if (where && typeof where === 'object') {
    next(invalid(`the request body is nested more than ${MAX_BODY_DEPTH} levels deep (at ${where.tooDeep || 'the top'}); send a flatter one`));
    return;
  }
  if (where) {
    next(invalid(`the request body contains a NUL character (\\u0000) at ${where}; remove it`, { path: where }));
    return;
  }
  next();
}
