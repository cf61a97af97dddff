import { describe, expect, it } from "vitest";
import { PasswordHasherBusyError, PasswordTooLongError } from "./errors.js";
import { createPasswordHasher, hashPassword, passwordNeedsRehash, verifyPassword } from "./password.js";

// Cost 4 keeps the suite fast; the cost itself is bcrypt's business and is read back from the hash.
const fast = { cost: 4 };

describe("hashPassword / verifyPassword", () => {
  it("verifies the right password and refuses a wrong one", async () => {
    const hashed = await hashPassword("correct horse battery", fast);
    expect(hashed).toMatch(/^\$2b\$04\$/);
    expect(await verifyPassword("correct horse battery", hashed)).toBe(true);
    expect(await verifyPassword("correct horse batterx", hashed)).toBe(false);
  });

  it("uses the configured cost and defaults to 12", async () => {
    expect(await hashPassword("pw-12345678", { cost: 5 })).toMatch(/^\$2b\$05\$/);
    expect(await hashPassword("pw-12345678")).toMatch(/^\$2b\$12\$/);
  });

  it("salts every hash", async () => {
    const [a, b] = await Promise.all([
      hashPassword("same-password", fast),
      hashPassword("same-password", fast),
    ]);
    expect(a).not.toBe(b);
  });

  it("accepts exactly 72 UTF-8 bytes and refuses 73, never truncating", async () => {
    const seventyTwo = "é".repeat(36); // 2 bytes each
    const hashed = await hashPassword(seventyTwo, fast);
    expect(await verifyPassword(seventyTwo, hashed)).toBe(true);
    await expect(hashPassword(`${seventyTwo}x`, fast)).rejects.toBeInstanceOf(PasswordTooLongError);
    await expect(hashPassword("a".repeat(73), fast)).rejects.toMatchObject({ code: "PASSWORD_TOO_LONG" });
  });

  it("never lets a longer password match a hash of its 72-byte prefix", async () => {
    const prefix = "p".repeat(72);
    const hashed = await hashPassword(prefix, fast);
    expect(await verifyPassword(`${prefix}suffix`, hashed)).toBe(false);
  });

  it("returns false for a malformed hash instead of throwing", async () => {
    expect(await verifyPassword("whatever1", "not-a-bcrypt-hash")).toBe(false);
  });

  it("runs off the event loop: timers keep firing while hashing", async () => {
    let ticks = 0;
    const timer = setInterval(() => ticks++, 5);
    await hashPassword("keep-serving", { cost: 10 });
    clearInterval(timer);
    expect(ticks).toBeGreaterThan(2);
  });

  it("createPasswordHasher fixes the cost once", async () => {
    const hasher = createPasswordHasher({ cost: 4 });
    const hashed = await hasher.hash("configured-cost");
    expect(hashed).toMatch(/^\$2b\$04\$/);
    expect(await hasher.verify("configured-cost", hashed)).toBe(true);
  });
});

/** Openwall crypt_blowfish's own test vector (also John the Ripper's): "U*U", cost 5. */
const BCRYPT_REFERENCE = "$2a$05$CCCCCCCCCCCCCCCCCCCCC.E5YPO9kmyuRGyh0XouQYb4YMJKvyOeW";
/** The Argon2 reference implementation's vector (phc-winner-argon2 `src/test.c`): "password", "somesalt". */
const ARGON2ID_REFERENCE =
  "$argon2id$v=19$m=256,t=2,p=1$c29tZXNhbHQ$nf65EOgLrQMR/uIPnA4rEsF5h7TKyQwu9U1bMCHGi/4";
const cheapArgon2 = {
  algorithm: "argon2id",
  argon2: { memoryKib: 1024, iterations: 1, parallelism: 1 },
} as const;

describe("algorithms side by side", () => {
  it("verifies each stored hash with the algorithm it names, whatever new hashes use", async () => {
    for (const hasher of [createPasswordHasher(fast), createPasswordHasher(cheapArgon2)]) {
      expect(await hasher.verify("U*U", BCRYPT_REFERENCE)).toBe(true);
      expect(await hasher.verify("U*V", BCRYPT_REFERENCE)).toBe(false);
      expect(await hasher.verify("password", ARGON2ID_REFERENCE)).toBe(true);
      expect(await hasher.verify("passwore", ARGON2ID_REFERENCE)).toBe(false);
    }
  });

  it("hashes Argon2id as a PHC string with the configured parameters, and bcrypt as $2b$", async () => {
    const argon = await hashPassword("correct horse battery", cheapArgon2);
    expect(argon).toMatch(/^\$argon2id\$v=19\$m=1024,t=1,p=1\$/);
    expect(await verifyPassword("correct horse battery", argon)).toBe(true);
    expect(await hashPassword("correct horse battery", { algorithm: "bcrypt", cost: 4 })).toMatch(
      /^\$2b\$04\$/,
    );
  });

  it("uses OWASP's Argon2id parameters by default", async () => {
    expect(await hashPassword("pw-12345678", { algorithm: "argon2id" })).toMatch(
      /^\$argon2id\$v=19\$m=19456,t=2,p=1\$/,
    );
  });

  it("refuses over 72 bytes with Argon2id too, and never verifies such a password", async () => {
    await expect(hashPassword("a".repeat(73), cheapArgon2)).rejects.toBeInstanceOf(PasswordTooLongError);
    expect(await verifyPassword("a".repeat(73), ARGON2ID_REFERENCE)).toBe(false);
  });

  it("refuses unknown hash formats without throwing", async () => {
    expect(await verifyPassword("password", "$5$rounds=5000$salt$hash")).toBe(false);
    expect(await verifyPassword("password", "")).toBe(false);
  });
});

describe("passwordNeedsRehash", () => {
  it("under bcrypt: a lower cost or another algorithm is replaced, the same or a higher cost kept", () => {
    const at12 = { algorithm: "bcrypt", cost: 12 } as const;
    expect(passwordNeedsRehash(BCRYPT_REFERENCE, at12)).toBe(true);
    expect(passwordNeedsRehash(BCRYPT_REFERENCE.replace("$05$", "$12$"), at12)).toBe(false);
    expect(passwordNeedsRehash(BCRYPT_REFERENCE.replace("$2a$05$", "$2b$13$"), at12)).toBe(false);
    expect(passwordNeedsRehash(ARGON2ID_REFERENCE, at12)).toBe(true);
    expect(passwordNeedsRehash("garbage", at12)).toBe(true);
  });

  it("under Argon2id: bcrypt and weaker parameters are replaced, the configured ones kept", async () => {
    expect(passwordNeedsRehash(BCRYPT_REFERENCE, cheapArgon2)).toBe(true);
    expect(passwordNeedsRehash(ARGON2ID_REFERENCE, cheapArgon2)).toBe(true);
    expect(passwordNeedsRehash(await hashPassword("pw", cheapArgon2), cheapArgon2)).toBe(false);
    expect(
      passwordNeedsRehash(await hashPassword("pw", { algorithm: "argon2id" }), { algorithm: "argon2id" }),
    ).toBe(false);
  });

  it("is the hasher's needsRehash, with the hasher's configuration", async () => {
    const hasher = createPasswordHasher({ cost: 5 });
    expect(hasher.needsRehash(await hashPassword("pw", { cost: 4 }))).toBe(true);
    expect(hasher.needsRehash(await hasher.hash("pw"))).toBe(false);
  });
});

describe("createPasswordHasher's bounded queue", () => {
  it("runs `concurrency` at once, queues `maxQueue` more and refuses the rest at once", async () => {
    const hasher = createPasswordHasher({ cost: 10, concurrency: 1, maxQueue: 2 });
    const hashed = await hashPassword("queued password", fast);
    const started = performance.now();
    const outcomes = Array.from({ length: 6 }, () =>
      hasher.verify("queued password", hashed).then(
        (ok) => ({ ok, at: performance.now() - started }),
        (error: unknown) => ({ error, at: performance.now() - started }),
      ),
    );
    const results = await Promise.all(outcomes);
    expect(results.slice(0, 3).map((r) => ("ok" in r ? r.ok : r.error))).toEqual([true, true, true]);
    const refused = results.slice(3);
    for (const r of refused) {
      expect("error" in r && r.error).toBeInstanceOf(PasswordHasherBusyError);
      expect((r as { error: PasswordHasherBusyError }).error.retryAfterSeconds).toBeGreaterThanOrEqual(1);
    }
    // Refused before the first bcrypt (tens of ms at cost 10) had finished: no waiting to be told no.
    const firstDone = Math.min(...results.slice(0, 3).map((r) => r.at));
    for (const r of refused) expect(r.at).toBeLessThan(firstDone);
  });

  it("frees its slots: after a refused burst, hashing and verifying work again", async () => {
    const hasher = createPasswordHasher({ cost: 4, concurrency: 1, maxQueue: 0 });
    const burst = await Promise.allSettled([hasher.hash("one password"), hasher.hash("two password")]);
    expect(burst.map((r) => r.status)).toEqual(["fulfilled", "rejected"]);
    const hashed = await hasher.hash("three password");
    expect(await hasher.verify("three password", hashed)).toBe(true);
    // A failing job (too long to hash) frees its slot as well.
    await expect(hasher.hash("x".repeat(73))).rejects.toBeInstanceOf(PasswordTooLongError);
    expect(await hasher.verify("three password", hashed)).toBe(true);
  });
});
