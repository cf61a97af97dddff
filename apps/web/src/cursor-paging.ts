/**
 * Paging state for the API's cursor lists (`{items, next_cursor}`), kept apart from the DOM so it can be
 * tested. Two shapes: a growing list ("Load more") and pages with Previous/Next (the audit log).
 */

export interface CursorPage<T> {
  items: readonly T[];
  next_cursor: string | null;
}

/** A list that grows by one page at a time. */
export interface LoadMoreState<T> {
  items: readonly T[];
  /** Where the next page starts; null once the last page is shown. */
  nextCursor: string | null;
}

export function emptyLoadMore<T>(): LoadMoreState<T> {
  return { items: [], nextCursor: null };
}

/**
 * Adds a page below the items already shown. An item already listed (same id) is not repeated: events
 * written between two requests never show twice, whatever the server's cursor semantics.
 */
export function appendPage<T extends { id: string }>(
  state: LoadMoreState<T>,
  page: CursorPage<T>,
): LoadMoreState<T> {
  const seen = new Set(state.items.map((item) => item.id));
  return {
    items: [...state.items, ...page.items.filter((item) => !seen.has(item.id))],
    nextCursor: page.next_cursor,
  };
}

/**
 * Previous/Next over cursor pages. The API only walks forward, so the cursors of the pages already seen
 * are kept: going back re-reads the page that started at the previous cursor.
 */
export interface CursorTrail {
  /** Cursors of the pages from the first to the current one; the first page has none. */
  readonly cursors: readonly (string | undefined)[];
  /** The cursor after the current page, null on the last page (unknown until a page is loaded). */
  readonly next: string | null;
}

export function startTrail(): CursorTrail {
  return { cursors: [undefined], next: null };
}

export function currentCursor(trail: CursorTrail): string | undefined {
  return trail.cursors[trail.cursors.length - 1];
}

export function pageNumber(trail: CursorTrail): number {
  return trail.cursors.length;
}

export function hasPrevious(trail: CursorTrail): boolean {
  return trail.cursors.length > 1;
}

export function hasNext(trail: CursorTrail): boolean {
  return trail.next !== null;
}

/** Records what the page just loaded says about the next one. */
export function withLoadedPage(trail: CursorTrail, nextCursor: string | null): CursorTrail {
  return { cursors: trail.cursors, next: nextCursor };
}

/** The trail positioned on the next page (load it with `currentCursor`); unchanged on the last page. */
export function forward(trail: CursorTrail): CursorTrail {
  if (trail.next === null) return trail;
  return { cursors: [...trail.cursors, trail.next], next: null };
}

/** The trail positioned on the previous page; unchanged on the first page. */
export function back(trail: CursorTrail): CursorTrail {
  if (trail.cursors.length <= 1) return trail;
  return { cursors: trail.cursors.slice(0, -1), next: null };
}
