/** One page of a list answer: `{ items, nextCursor }`. */
export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

/** The API's largest page. */
export const MAX_PAGE = 200;

/**
 * Every item of a cursor-paged list, page after page, or the first `limit` of them. `more` tells
 * whether the list went on past `limit`.
 */
export async function allPages<T>(page: (cursor: string | undefined, size: number) => Promise<Page<T>>, limit?: number): Promise<{ items: T[]; more: boolean }> {
  const items: T[] = [];
  let cursor: string | undefined;
  for (;;) {
    const size = Math.min(MAX_PAGE, limit === undefined ? MAX_PAGE : limit - items.length);
    const p = await page(cursor, size);
    items.push(...p.items);
    if (limit !== undefined && items.length >= limit) return { items: items.slice(0, limit), more: items.length > limit || p.nextCursor !== null };
    if (!p.nextCursor || p.items.length === 0) return { items, more: false };
    cursor = p.nextCursor;
  }
}
