import { hash } from "@node-rs/argon2";
import { describe, expect, it } from "vitest";
import { argon2idNeedsRehash, hashArgon2id, verifyArgon2 } from "./argon2id.js";
import { DEFAULT_ARGON2ID_PARAMETERS, meetsOwaspArgon2idMinimum } from "./defaults.js";

/**
 * Test vectors of the Argon2 reference implementation (phc-winner-argon2, `src/test.c` and its README):
 * password "password", salt "somesalt", Argon2id version 0x13, t=2, p=1, 32-byte output.
 */
const REFERENCE = {
  m65536: "$argon2id$v=19$m=65536,t=2,p=1$c29tZXNhbHQ$CTFhFdXPJO1aFaMaO6Mm5c8y7cJHAph8ArZWb2GRPPc",
  m256: "$argon2id$v=19$m=256,t=2,p=1$c29tZXNhbHQ$nf65EOgLrQMR/uIPnA4rEsF5h7TKyQwu9U1bMCHGi/4",
  argon2i: "$argon2i$v=19$m=65536,t=2,p=1$c29tZXNhbHQ$wWKIMhR9lyDFvRz9YTZweHKfbftvj+qf+YFY4NeBbtA",
};

/** Cheap parameters for the tests that are not about the defaults: same algorithm, far less memory. */
const cheap = { memoryKib: 1024, iterations: 1, parallelism: 1 };

describe("Argon2id", () => {
  it("verifies the reference implementation's PHC strings and refuses a wrong password", async () => {
    expect(await verifyArgon2("password", REFERENCE.m65536)).toBe(true);
    expect(await verifyArgon2("password", REFERENCE.m256)).toBe(true);
    expect(await verifyArgon2("passwore", REFERENCE.m65536)).toBe(false);
    expect(await verifyArgon2("password", REFERENCE.argon2i)).toBe(true);
  });

  it("computes the reference output with the algorithm and version values this module passes", async () => {
    // argon2id.ts passes algorithm 2 and version 1 (the package's const enums); with the reference salt
    // they must give the reference string, or new hashes would not be Argon2id v=19.
    const salt = new TextEncoder().encode("somesalt");
    const params = { algorithm: 2, version: 1, memoryCost: 256, timeCost: 2, parallelism: 1, salt } as const;
    expect(await hash("password", params)).toBe(REFERENCE.m256);
  });

  it("hashes with OWASP's parameters by default: a PHC string with 16 bytes of salt and 32 of output", async () => {
    const hashed = await hashArgon2id("correct horse battery", DEFAULT_ARGON2ID_PARAMETERS);
    const match = /^\$argon2id\$v=19\$m=19456,t=2,p=1\$([A-Za-z0-9+/]+)\$([A-Za-z0-9+/]+)$/.exec(hashed);
    expect(match).not.toBeNull();
    expect(Buffer.from(match?.[1] ?? "", "base64")).toHaveLength(16);
    expect(Buffer.from(match?.[2] ?? "", "base64")).toHaveLength(32);
    expect(await verifyArgon2("correct horse battery", hashed)).toBe(true);
    expect(await verifyArgon2("correct horse batterx", hashed)).toBe(false);
  });

  it("writes the configured parameters into the PHC string and salts every hash", async () => {
    const params = { memoryKib: 2048, iterations: 3, parallelism: 2 };
    const [a, b] = await Promise.all([hashArgon2id("same", params), hashArgon2id("same", params)]);
    expect(a).toMatch(/^\$argon2id\$v=19\$m=2048,t=3,p=2\$/);
    expect(a).not.toBe(b);
  });

  it("returns false for a malformed PHC string instead of throwing", async () => {
    expect(await verifyArgon2("password", "$argon2id$v=19$m=oops")).toBe(false);
  });

  describe("argon2idNeedsRehash", () => {
    it("keeps a hash with the configured or stronger parameters", async () => {
      expect(argon2idNeedsRehash(await hashArgon2id("pw", cheap), cheap)).toBe(false);
      expect(
        argon2idNeedsRehash(REFERENCE.m65536, { memoryKib: 19_456, iterations: 2, parallelism: 1 }),
      ).toBe(false);
    });

    it("replaces a hash with any parameter below the configured one", () => {
      expect(argon2idNeedsRehash(REFERENCE.m256, cheap)).toBe(true);
      expect(
        argon2idNeedsRehash(REFERENCE.m65536, { memoryKib: 65_536, iterations: 3, parallelism: 1 }),
      ).toBe(true);
      expect(
        argon2idNeedsRehash(REFERENCE.m65536, { memoryKib: 65_536, iterations: 2, parallelism: 2 }),
      ).toBe(true);
    });

    it("replaces another variant, an older version, bcrypt and anything unreadable", () => {
      expect(argon2idNeedsRehash(REFERENCE.argon2i, cheap)).toBe(true);
      expect(argon2idNeedsRehash(REFERENCE.m65536.replace("v=19", "v=16"), cheap)).toBe(true);
      expect(argon2idNeedsRehash("$2b$12$CCCCCCCCCCCCCCCCCCCCC.E5YPO9kmyuRGyh0XouQYb4YMJKvyOeW", cheap)).toBe(
        true,
      );
      expect(argon2idNeedsRehash("$argon2id$garbage", cheap)).toBe(true);
    });
  });

  it("meetsOwaspArgon2idMinimum accepts each row of OWASP's table and refuses anything weaker", () => {
    for (const [memoryKib, iterations] of [
      [47_104, 1],
      [19_456, 2],
      [12_288, 3],
      [9_216, 4],
      [7_168, 5],
    ] as const) {
      expect(meetsOwaspArgon2idMinimum({ memoryKib, iterations, parallelism: 1 })).toBe(true);
      expect(meetsOwaspArgon2idMinimum({ memoryKib: memoryKib - 1, iterations, parallelism: 1 })).toBe(false);
    }
    expect(meetsOwaspArgon2idMinimum({ memoryKib: 19_456, iterations: 1, parallelism: 1 })).toBe(false);
    expect(meetsOwaspArgon2idMinimum({ memoryKib: 65_536, iterations: 2, parallelism: 0 })).toBe(false);
  });
});
