import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import { signingKeys } from "../db/schema.js";
import { openTestDatabase, type TestDatabase, testDatabaseKinds } from "../test-support/index.js";
import { createSigningKeyCache } from "./signing-key-cache.js";
import { createSigningKeyStore, type SigningKeyStore } from "./signing-key-store.js";

const DAY = 24 * 3600 * 1000;
const T0 = Date.UTC(2026, 0, 1);

describe.each(testDatabaseKinds)("signing-key cache on %s", (kind) => {
  let t: TestDatabase;
  let clock = T0;
  const storeOn = (): SigningKeyStore =>
    createSigningKeyStore({
      db: t.database.db,
      secret: "cache test secret",
      publishAheadSeconds: 3600,
      accessTokenTtlSeconds: 900,
      now: () => clock,
    });
  /** A real store that counts its loads. */
  const countingStore = () => {
    const store = storeOn();
    const counts = { loads: 0 };
    const counted: SigningKeyStore = {
      ...store,
      load: () => {
        counts.loads++;
        return store.load();
      },
    };
    return { store: counted, counts };
  };

  beforeAll(async () => {
    t = await openTestDatabase(kind);
  });
  afterAll(async () => {
    await t.dispose();
  });
  beforeEach(async () => {
    await t.database.db.delete(signingKeys);
    clock = T0;
  });

  it("creates the first key on start and refuses get() before it", async () => {
    const cache = createSigningKeyCache(storeOn(), { reloadIntervalMs: 0, now: () => clock });
    expect(() => cache.get()).toThrow(/not been started/);
    await cache.start();
    const { active, published } = cache.get();
    expect(published.map((jwk) => jwk.kid)).toEqual([active.kid]);
  });

  it("switches to the successor exactly at its activation, from memory, without a reload", async () => {
    const { store, counts } = countingStore();
    const cache = createSigningKeyCache(store, { reloadIntervalMs: 0, now: () => clock });
    await cache.start();
    const a = cache.get().active.kid;
    clock = T0 + 30 * DAY - 3600 * 1000;
    await cache.refresh();
    const loads = counts.loads;
    expect(cache.get().active.kid).toBe(a);
    const b = cache.get().published[0]?.kid;
    expect(b).not.toBe(a);
    clock = T0 + 30 * DAY;
    expect(cache.get().active.kid).toBe(b);
    expect(counts.loads).toBe(loads);
  });

  it("reloads on an unknown kid, at most once per cooldown", async () => {
    const { store, counts } = countingStore();
    const cache = createSigningKeyCache(store, {
      reloadIntervalMs: 0,
      unknownKidCooldownMs: 5000,
      now: () => clock,
    });
    await cache.start();
    const rotated = await storeOn().rotateNow();
    expect(cache.get().active.kid).not.toBe(rotated.kid);

    const before = counts.loads;
    expect((await cache.findPublicKey(rotated.kid))?.kid).toBe(rotated.kid);
    expect(counts.loads).toBe(before + 1);
    expect(cache.get().active.kid).toBe(rotated.kid);

    // That reload started the cooldown: made-up kids within it cost nothing.
    expect(await cache.findPublicKey("made-up-1")).toBeUndefined();
    clock += 4999;
    expect(await cache.findPublicKey("made-up-2")).toBeUndefined();
    expect(counts.loads).toBe(before + 1);
    clock += 1;
    expect(await cache.findPublicKey("made-up-3")).toBeUndefined();
    expect(counts.loads).toBe(before + 2);
    expect(await cache.findPublicKey("made-up-4")).toBeUndefined();
    expect(counts.loads).toBe(before + 2);
    // A known kid never costs a reload.
    expect((await cache.findPublicKey(rotated.kid))?.kid).toBe(rotated.kid);
    expect(counts.loads).toBe(before + 2);
  });

  it("reloads on its interval until stopped, and shares one reload between concurrent refreshes", async () => {
    const { store, counts } = countingStore();
    const cache = createSigningKeyCache(store, { reloadIntervalMs: 50, now: () => clock });
    await cache.start();
    const rotated = await storeOn().rotateNow();
    await vi.waitFor(() => expect(cache.get().active.kid).toBe(rotated.kid), {
      timeout: 10_000,
      interval: 20,
    });
    cache.stop();
    await cache.refresh();
    const settled = counts.loads;
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(counts.loads).toBe(settled);
    await Promise.all([cache.refresh(), cache.refresh(), cache.refresh()]);
    expect(counts.loads).toBe(settled + 1);
  });

  it("keeps the keys it has when a background reload fails, and reports the error", async () => {
    const errors: unknown[] = [];
    const store = storeOn();
    let failing = false;
    const flaky: SigningKeyStore = {
      ...store,
      load: () => (failing ? Promise.reject(new Error("database away")) : store.load()),
    };
    const cache = createSigningKeyCache(flaky, {
      reloadIntervalMs: 30,
      onReloadError: (error) => errors.push(error),
      now: () => clock,
    });
    await cache.start();
    const kid = cache.get().active.kid;
    failing = true;
    await vi.waitFor(() => expect(errors.length).toBeGreaterThan(0), { timeout: 10_000, interval: 20 });
    cache.stop();
    expect(cache.get().active.kid).toBe(kid);
  });
});
