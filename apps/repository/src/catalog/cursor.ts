import { invalid } from '@wharf/contracts';
import type { Cursor } from './app-version.repository';

export function encodeCursor(c: Cursor): string {
  return Buffer.from(JSON.stringify([c.name, c.versionKey])).toString('base64url');
}

export function decodeCursor(s: string | undefined): Cursor | null {
  if (!s) return null;
  try {
    const v: unknown = JSON.parse(Buffer.from(s, 'base64url').toString('utf8'));
    if (Array.isArray(v) && v.length === 2 && typeof v[0] === 'string' && typeof v[1] === 'string') {
      return { name: v[0], versionKey: v[1] };
    }
  } catch {
    // fall through
  }
  throw invalid('cursor is not valid: pass the nextCursor of a previous page unchanged');
}
