import type { Schemas } from '@wharf/api';
import { UsageError } from './errors';

export type Visibility = Schemas['AppPatch']['visibility'];
const VISIBILITIES: Record<string, Visibility> = { private: 'PRIVATE', 'all-users': 'ALL_USERS', all_users: 'ALL_USERS', public: 'PUBLIC' };

/** `private`, `all-users` or `public` (any case; `ALL_USERS` too) as the API's visibility. */
export function visibilityOf(raw: string, flag = '-v/--visibility'): Visibility {
  const v = VISIBILITIES[raw.toLowerCase()];
  if (!v) throw new UsageError(`${flag}: "${raw}" is not one of private, all-users, public`);
  return v;
}

const SWITCH: Record<string, boolean> = { on: true, off: false, true: true, false: false, yes: true, no: false };

/** `on` or `off` (also true/false, yes/no, any case). */
export function onOff(raw: string, flag: string): boolean {
  const v = SWITCH[raw.trim().toLowerCase()];
  if (v === undefined) throw new UsageError(`${flag}: "${raw}" is neither on nor off`);
  return v;
}

/** A whole number of at least `min` from an option's text. */
export function intOf(raw: string, flag: string, min = 1): number {
  const n = Number(raw);
  if (!/^\d+$/.test(raw.trim()) || !Number.isSafeInteger(n) || n < min) throw new UsageError(`${flag}: "${raw}" is not a whole number of at least ${min}`);
  return n;
}

/** Collects a repeatable option's values (commander's `(value, previous)` parser). */
export const repeatable = (value: string, previous: string[] = []): string[] => [...previous, value];

/**
 * A time for an API filter: an ISO 8601 time (a date alone is midnight UTC), or an age before now
 * such as `30m`, `12h`, `7d` or `2w`.
 */
export function sinceOf(raw: string, flag: string, now = Date.now()): string {
  const rel = /^(\d+)\s*(s|m|h|d|w)$/i.exec(raw.trim());
  if (rel) {
    const unit = { s: 1, m: 60, h: 3600, d: 86_400, w: 604_800 }[rel[2]!.toLowerCase() as 's' | 'm' | 'h' | 'd' | 'w'];
    return new Date(now - Number(rel[1]) * unit * 1000).toISOString();
  }
  const t = Date.parse(/^\d{4}-\d{2}-\d{2}$/.test(raw.trim()) ? `${raw.trim()}T00:00:00Z` : raw);
  if (Number.isNaN(t)) throw new UsageError(`${flag}: "${raw}" is neither a time (2024-05-01, 2024-05-01T12:00:00Z) nor an age (30m, 12h, 7d, 2w)`);
  return new Date(t).toISOString();
}
