import { describe, expect, it } from "vitest";
import { PasswordTooLongError } from "./errors.js";
import { createPasswordHasher, hashPassword, verifyPassword } from "./password.js";

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
