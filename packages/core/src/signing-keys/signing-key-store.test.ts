import { sql } from "drizzle-orm";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { createDatabase, type Database } from "../db/client.js";
import { signingKeys } from "../db/schema.js";
import { NoActiveSigningKeyError, SigningKeyDecryptionError } from "../errors.js";
import { openTestDatabase, type TestDatabase, testDatabaseKinds } from "../test-support/index.js";
import {
  createSigningKeyStore,
  type SigningKeyStoreOptions,
  selectSigningKeys,
} from "./signing-key-store.js";

const DAY = 24 * 3600 * 1000;
const PUBLISH_AHEAD_S = 3600;
const TTL_S = 900;
const LEEWAY_S = 60;
const T0 = Date.UTC(2026, 0, 1);
const SECRET = "the key-encryption secret for tests";

describe.each(testDatabaseKinds)("signing-key store on %s", (kind) => {
  let t: TestDatabase;
  let clock = T0;
  const storeOn = (db = t.database.db, overrides: Partial<SigningKeyStoreOptions> = {}) =>
    createSigningKeyStore({
      db,
      secret: SECRET,
      rotationDays: 30,
      publishAheadSeconds: PUBLISH_AHEAD_S,
      accessTokenTtlSeconds: TTL_S,
      retiredKeyLeewaySeconds: LEEWAY_S,
      now: () => clock,
      ...overrides,
    });
  const storedKids = async () =>
    (await t.database.db.select({ kid: signingKeys.kid }).from(signingKeys)).map((row) => row.kid).sort();

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

  it("rotates on the injected clock: publish ahead, switch on day 30, keep the old key until its last token expires", async () => {
    const store = storeOn();
    await expect(store.load()).rejects.toThrow(NoActiveSigningKeyError);

    // Day 0: the first key signs at once.
    const first = await store.ensureKeys();
    expect(first.created).toHaveLength(1);
    const a = first.created[0];
    let set = await store.load();
    expect(set.active.kid).toBe(a);
    expect(set.published.map((jwk) => jwk.kid)).toEqual([a]);
    expect(set.published[0]).toEqual({
      kty: "OKP",
      crv: "Ed25519",
      x: set.active.publicJwk.x,
      kid: a,
      alg: "EdDSA",
      use: "sig",
    });

    // Just before the publish-ahead window: nothing to do.
    clock = T0 + 30 * DAY - PUBLISH_AHEAD_S * 1000 - 1;
    expect(await store.ensureKeys()).toEqual({ created: [], deleted: [] });

    // Day 30 − publishAhead: B is created and published, but A still signs.
    clock = T0 + 30 * DAY - PUBLISH_AHEAD_S * 1000;
    const second = await store.ensureKeys();
    expect(second.created).toHaveLength(1);
    const b = second.created[0];
    set = await store.load();
    expect(set.active.kid).toBe(a);
    expect(set.published.map((jwk) => jwk.kid)).toEqual([b, a]);
    const row = (await t.database.db.select().from(signingKeys)).find((r) => r.kid === b);
    expect(row?.activatesAt.getTime()).toBe(T0 + 30 * DAY);
    expect(await store.ensureKeys()).toEqual({ created: [], deleted: [] });

    clock = T0 + 30 * DAY - 1;
    expect((await store.load()).active.kid).toBe(a);

    // Day 30: B signs; A is retired but stays published for the tokens it signed.
    clock = T0 + 30 * DAY;
    expect(await store.ensureKeys()).toEqual({ created: [], deleted: [] });
    set = await store.load();
    expect(set.active.kid).toBe(b);
    expect(set.published.map((jwk) => jwk.kid)).toEqual([b, a]);
    expect(set.keys.find((key) => key.kid === a)?.privateJwk).toBeNull();

    // A's last token (signed just before day 30) expires at day 30 + TTL; A leaves after the leeway too.
    clock = T0 + 30 * DAY + (TTL_S + LEEWAY_S) * 1000 - 1;
    expect(await store.ensureKeys()).toEqual({ created: [], deleted: [] });
    expect((await store.load()).published.map((jwk) => jwk.kid)).toEqual([b, a]);
    clock += 1;
    expect((await store.load()).published.map((jwk) => jwk.kid)).toEqual([b]);
    expect(await store.ensureKeys()).toEqual({ created: [], deleted: [a] });
    expect(await storedKids()).toEqual([b]);

    // And the cycle repeats from B's activation.
    clock = T0 + 60 * DAY - PUBLISH_AHEAD_S * 1000;
    const third = await store.ensureKeys();
    expect(third.created).toHaveLength(1);
    clock = T0 + 60 * DAY;
    expect((await store.load()).active.kid).toBe(third.created[0]);
  });

  it("after an outage past the rotation date, still publishes the successor a full window before it signs", async () => {
    const store = storeOn();
    const [a] = (await store.ensureKeys()).created;
    clock = T0 + 45 * DAY;
    const [b] = (await store.ensureKeys()).created;
    expect((await store.load()).active.kid).toBe(a);
    clock = T0 + 45 * DAY + PUBLISH_AHEAD_S * 1000 - 1;
    expect((await store.load()).active.kid).toBe(a);
    clock += 1;
    expect((await store.load()).active.kid).toBe(b);
  });

  it("lets a snapshot loaded before the switch pick the new key at the switch, as every replica's cache does", async () => {
    const store = storeOn();
    const [a] = (await store.ensureKeys()).created;
    clock = T0 + 30 * DAY - PUBLISH_AHEAD_S * 1000;
    const [b] = (await store.ensureKeys()).created;
    const snapshot = await store.load();
    expect(selectSigningKeys(snapshot.keys, T0 + 30 * DAY - 1).active.kid).toBe(a);
    const after = selectSigningKeys(snapshot.keys, T0 + 30 * DAY);
    expect(after.active.kid).toBe(b);
    expect(after.active.privateJwk.x).toBe(after.active.publicJwk.x);
  });

  it("refuses to load under a wrong secret or with an altered ciphertext, with a typed error", async () => {
    await storeOn().ensureKeys();
    const wrong = storeOn(t.database.db, { secret: "not the secret the keys were sealed with" });
    await expect(wrong.load()).rejects.toThrow(SigningKeyDecryptionError);
    await expect(wrong.load()).rejects.toMatchObject({ code: "SIGNING_KEY_DECRYPTION_FAILED" });

    await t.database.db.execute(
      sql`update signing_keys set private_key_ciphertext = 'v1.' || translate(substr(private_key_ciphertext, 4), 'ABCDEFGHabcdefgh', 'BCDEFGHAbcdefgha')`,
    );
    await expect(storeOn().load()).rejects.toThrow(SigningKeyDecryptionError);
  });

  it("refuses a ciphertext copied onto another key's row (the kid is authenticated)", async () => {
    const store = storeOn();
    await store.ensureKeys();
    clock = T0 + 30 * DAY - PUBLISH_AHEAD_S * 1000;
    const [b] = (await store.ensureKeys()).created;
    await t.database.db.execute(
      sql`update signing_keys set private_key_ciphertext = (select private_key_ciphertext from signing_keys where kid <> ${b}) where kid = ${b}`,
    );
    await expect(store.load()).rejects.toThrow(SigningKeyDecryptionError);
  });

  it("rotateNow: a new key signs at once, the old one stays published until its tokens expire", async () => {
    const store = storeOn();
    const [a] = (await store.ensureKeys()).created;
    clock = T0 + DAY;
    const rotated = await store.rotateNow();
    expect(rotated).toMatchObject({ retired: [a], removed: [] });
    const set = await store.load();
    expect(set.active.kid).toBe(rotated.kid);
    expect(set.published.map((jwk) => jwk.kid)).toEqual([rotated.kid, a]);
    clock = T0 + DAY + (TTL_S + LEEWAY_S) * 1000;
    expect(await store.deleteExpired()).toEqual([a]);
    expect(await storedKids()).toEqual([rotated.kid]);
    // The next automatic rotation counts from the new key.
    clock = T0 + 31 * DAY - PUBLISH_AHEAD_S * 1000 - 1;
    expect((await store.ensureKeys()).created).toEqual([]);
    clock += 1;
    expect((await store.ensureKeys()).created).toHaveLength(1);
  });

  it("rotateNow({ retireOldImmediately }): every old key leaves the published set and the table at once", async () => {
    const store = storeOn();
    const [a] = (await store.ensureKeys()).created;
    clock = T0 + 30 * DAY - PUBLISH_AHEAD_S * 1000;
    const [b] = (await store.ensureKeys()).created;
    const rotated = await store.rotateNow({ retireOldImmediately: true });
    expect(rotated.retired).toEqual([]);
    expect([...rotated.removed].sort()).toEqual([a, b].sort());
    const set = await store.load();
    expect(set.active.kid).toBe(rotated.kid);
    expect(set.published.map((jwk) => jwk.kid)).toEqual([rotated.kid]);
    expect(await storedKids()).toEqual([rotated.kid]);
  });

  it("rotateNow drops an upcoming key that never signed", async () => {
    const store = storeOn();
    const [a] = (await store.ensureKeys()).created;
    clock = T0 + 30 * DAY - PUBLISH_AHEAD_S * 1000;
    const [b] = (await store.ensureKeys()).created;
    const rotated = await store.rotateNow();
    expect(rotated).toMatchObject({ retired: [a], removed: [b] });
    expect((await store.load()).published.map((jwk) => jwk.kid)).toEqual([rotated.kid, a]);
  });

  it("concurrent ensureKeys from five stores on separate connections create exactly one key per step, round after round", async () => {
    const extra: Database[] =
      kind === "postgres"
        ? await Promise.all(Array.from({ length: 5 }, () => createDatabase({ url: t.url, poolSize: 2 })))
        : [];
    try {
      const stores =
        kind === "postgres"
          ? extra.map((database) => storeOn(database.db))
          : Array.from({ length: 5 }, () => storeOn());
      for (let round = 0; round < 6; round++) {
        // Round 0 races for the first key; each later round races for the successor of the active one.
        clock = round === 0 ? T0 : T0 + round * 30 * DAY - PUBLISH_AHEAD_S * 1000;
        const results = await Promise.all(stores.map((store) => store.ensureKeys()));
        expect(results.flatMap((result) => result.created)).toHaveLength(1);
        const rows = await t.database.db.select().from(signingKeys);
        const live = rows.filter((row) => row.deleteAfter === null || row.deleteAfter.getTime() > clock);
        expect(live.filter((row) => row.activatesAt.getTime() > clock)).toHaveLength(round === 0 ? 0 : 1);
        expect(new Set(rows.map((row) => row.activatesAt.getTime())).size).toBe(rows.length);
        const active = await Promise.all(stores.map(async (store) => (await store.load()).active.kid));
        expect(new Set(active).size).toBe(1);
      }
    } finally {
      await Promise.all(extra.map((database) => database.close()));
    }
  });
});
