import { invalid } from './errors';

/** The sort key of the last row of a page: a tuple of strings (e.g. `[createdAt, id]`). */
export type CursorKey = readonly string[];

type Strings<N extends number, T extends string[] = []> = T['length'] extends N ? T : Strings<N, [...T, string]>;

/**
 * Every list's `nextCursor`: the page's last sort key as base64url of a JSON array, opaque to
 * clients (they pass it back unchanged as `cursor`). One codec for every service.
 */
export function encodeCursor(key: CursorKey): string {
  return Buffer.from(JSON.stringify(key)).toString('base64url');
}

/**
 * The key a cursor from `encodeCursor` holds, checked to be `fields` strings; null when there is
 * none (first page). Anything else is INVALID, naming the request parameter (`param`).
 */
export function decodeCursor<N extends number>(cursor: string | undefined | null, fields: N, param = 'cursor'): Strings<N> | null {
  if (cursor === undefined || cursor === null || cursor === '') return null;
  if (/^[A-Za-z0-9_-]+$/.test(cursor)) {
    try {
      const v: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
      if (Array.isArray(v) && v.length === fields && v.every((x) => typeof x === 'string')) return v as Strings<N>;
    } catch {
      // not JSON: refused below
    }
  }
  throw invalid(`${param} is not valid: pass the nextCursor of a previous page unchanged`, { param });
}
