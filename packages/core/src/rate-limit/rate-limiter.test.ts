import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createDatabase } from "../db/client.js";
import { rateLimits } from "../db/schema.js";
import { openTestDatabase, type TestDatabase, testDatabaseKinds } from "../test-support/index.js";
import { createRateLimiter } from "./rate-limiter.js";

let n = 0;
const key = (tag: string) => `test:${tag}:${++n}:${Date.now()}`;

describe.each(testDatabaseKinds)("rate limiter on %s", (kind) => {
  let t: TestDatabase;
  beforeAll(async () => {
    t = await openTestDatabase(kind);
  });
  afterAll(async () => {
    await t.dispose();
  });

  it("allows `limit` hits per window, then refuses with a Retry-After within the window", async () => {
    const limiter = createRateLimiter({ db: t.database.db, cleanupEvery: 0 });
    const k = key("limit");
    const decisions = [];
    for (let i = 0; i < 4; i++) decisions.push(await limiter.hit(k, 3, 60));
    expect(decisions.map((d) => d.allowed)).toEqual([true, true, true, false]);
    expect(decisions.map((d) => d.remaining)).toEqual([2, 1, 0, 0]);
    for (const d of decisions) {
      expect(Number.isInteger(d.retryAfterSeconds)).toBe(true);
      expect(d.retryAfterSeconds).toBeGreaterThanOrEqual(1);
      expect(d.retryAfterSeconds).toBeLessThanOrEqual(60);
    }
  });

  it("keeps keys apart and forgets a key on reset", async () => {
    const limiter = createRateLimiter({ db: t.database.db, cleanupEvery: 0 });
    const a = key("a");
    const b = key("b");
    await limiter.hit(a, 1, 60);
    expect((await limiter.hit(a, 1, 60)).allowed).toBe(false);
    expect((await limiter.hit(b, 1, 60)).allowed).toBe(true);
    await limiter.reset(a);
    expect((await limiter.hit(a, 1, 60)).allowed).toBe(true);
  });

  it("forgets every key under a prefix, and only those, on resetPrefix (wildcards are literal)", async () => {
    const limiter = createRateLimiter({ db: t.database.db, cleanupEvery: 0 });
    const prefix = `${key("family")}:a_b%:`;
    const members = [`${prefix}10.0.0.1`, `${prefix}2001:db8::/64`];
    const lookalike = prefix.replace("a_b%", "axb%");
    for (const k of [...members, lookalike]) await limiter.hit(k, 1, 60);
    await limiter.resetPrefix(prefix);
    for (const k of members) expect((await limiter.hit(k, 1, 60)).allowed).toBe(true);
    expect((await limiter.hit(lookalike, 1, 60)).allowed).toBe(false);
  });

  it("starts a new window once the old one has ended", async () => {
    const limiter = createRateLimiter({ db: t.database.db, cleanupEvery: 0 });
    const k = key("window");
    await limiter.hit(k, 1, 60);
    expect((await limiter.hit(k, 1, 60)).allowed).toBe(false);
    await t.database.db.execute(
      sql`update rate_limits set window_ends_at = now() - interval '1 second' where key = ${k}`,
    );
    const fresh = await limiter.hit(k, 1, 60);
    expect(fresh).toMatchObject({ allowed: true, remaining: 0 });
    expect(fresh.retryAfterSeconds).toBeGreaterThan(55);
  });

  it("counts every one of many concurrent hits exactly once", async () => {
    const limiter = createRateLimiter({ db: t.database.db, cleanupEvery: 0 });
    const k = key("concurrent");
    const decisions = await Promise.all(Array.from({ length: 40 }, () => limiter.hit(k, 25, 60)));
    expect(decisions.filter((d) => d.allowed)).toHaveLength(25);
    expect(new Set(decisions.map((d) => d.remaining)).size).toBeGreaterThan(1);
  });

  it("deletes expired rows every N hits in the background, and leaves live ones", async () => {
    const limiter = createRateLimiter({ db: t.database.db, cleanupEvery: 3 });
    const stale = key("stale");
    const live = key("live");
    await limiter.hit(stale, 5, 60);
    await t.database.db.execute(
      sql`update rate_limits set window_ends_at = now() - interval '1 minute' where key = ${stale}`,
    );
    await limiter.hit(live, 5, 60);
    const keysNow = async () =>
      (await t.database.db.select({ key: rateLimits.key }).from(rateLimits)).map((r) => r.key);
    await limiter.idle();
    expect(await keysNow()).toContain(stale); // only 2 hits so far
    await limiter.hit(live, 5, 60);
    await limiter.idle();
    const keys = await keysNow();
    expect(keys).not.toContain(stale);
    expect(keys).toContain(live);
  });
});

describe("rate limiter across processes", () => {
  it("shares one budget between two independent connection pools on one PostgreSQL database", async () => {
    const t = await openTestDatabase("postgres");
    const url = t.url;
    if (!url) throw new Error("postgres test database has no url");
    const other = await createDatabase({ url, poolSize: 3 });
    try {
      const first = createRateLimiter({ db: t.database.db, cleanupEvery: 0 });
      const second = createRateLimiter({ db: other.db, cleanupEvery: 0 });
      const k = key("shared");
      const decisions = await Promise.all(
        Array.from({ length: 30 }, (_, i) => (i % 2 ? first : second).hit(k, 20, 60)),
      );
      expect(decisions.filter((d) => d.allowed)).toHaveLength(20);
    } finally {
      await other.close();
      await t.dispose();
    }
  });
});
