import { describe, expect, it } from "vitest";
import {
  appendPage,
  back,
  currentCursor,
  emptyLoadMore,
  forward,
  hasNext,
  hasPrevious,
  pageNumber,
  startTrail,
  withLoadedPage,
} from "./cursor-paging.js";

const item = (id: string) => ({ id });

describe("load more", () => {
  it("appends pages in order and keeps the cursor of the last one", () => {
    let state = emptyLoadMore<{ id: string }>();
    state = appendPage(state, { items: [item("c"), item("b")], next_cursor: "after-b" });
    expect(state.nextCursor).toBe("after-b");
    state = appendPage(state, { items: [item("a")], next_cursor: null });
    expect(state.items.map((event) => event.id)).toEqual(["c", "b", "a"]);
    expect(state.nextCursor).toBeNull();
  });

  it("never lists an item twice", () => {
    let state = appendPage(emptyLoadMore<{ id: string }>(), {
      items: [item("c"), item("b")],
      next_cursor: "x",
    });
    state = appendPage(state, { items: [item("b"), item("a")], next_cursor: null });
    expect(state.items.map((event) => event.id)).toEqual(["c", "b", "a"]);
  });

  it("does not change the state it was given", () => {
    const first = appendPage(emptyLoadMore<{ id: string }>(), { items: [item("b")], next_cursor: "x" });
    appendPage(first, { items: [item("a")], next_cursor: null });
    expect(first.items).toHaveLength(1);
    expect(first.nextCursor).toBe("x");
  });
});

describe("previous / next over cursors", () => {
  it("walks forward and back, re-reading each page from its own cursor", () => {
    let trail = startTrail();
    expect(currentCursor(trail)).toBeUndefined();
    expect(hasPrevious(trail)).toBe(false);
    expect(hasNext(trail)).toBe(false);

    trail = withLoadedPage(trail, "p2");
    expect(hasNext(trail)).toBe(true);
    trail = forward(trail);
    expect(currentCursor(trail)).toBe("p2");
    expect(pageNumber(trail)).toBe(2);
    expect(hasPrevious(trail)).toBe(true);
    // Unknown until page 2 has been loaded.
    expect(hasNext(trail)).toBe(false);

    trail = forward(withLoadedPage(trail, "p3"));
    expect(currentCursor(trail)).toBe("p3");
    trail = withLoadedPage(trail, null);
    expect(hasNext(trail)).toBe(false);
    expect(forward(trail)).toBe(trail);

    trail = back(trail);
    expect(currentCursor(trail)).toBe("p2");
    expect(pageNumber(trail)).toBe(2);
    trail = back(trail);
    expect(currentCursor(trail)).toBeUndefined();
    expect(back(trail)).toBe(trail);
  });
});
