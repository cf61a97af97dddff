import { describe, expect, it } from "vitest";
import { createVerifiedTokenCache } from "./verified-token-cache.js";

describe("createVerifiedTokenCache", () => {
  it("keeps at most maxEntries, evicting the least recently used", () => {
    const cache = createVerifiedTokenCache<number>(2);
    cache.set("a", 1, 10_000);
    cache.set("b", 2, 10_000);
    expect(cache.get("a", 0)).toBe(1);
    cache.set("c", 3, 10_000);
    expect(cache.size).toBe(2);
    expect(cache.get("b", 0)).toBeUndefined();
    expect(cache.get("a", 0)).toBe(1);
    expect(cache.get("c", 0)).toBe(3);
  });

  it("forgets an entry at its expiry", () => {
    const cache = createVerifiedTokenCache<number>(10);
    cache.set("a", 1, 1000);
    expect(cache.get("a", 999)).toBe(1);
    expect(cache.get("a", 1000)).toBeUndefined();
    expect(cache.size).toBe(0);
  });

  it("stores nothing when its size is 0", () => {
    const cache = createVerifiedTokenCache<number>(0);
    cache.set("a", 1, 10_000);
    expect(cache.get("a", 0)).toBeUndefined();
  });
});
