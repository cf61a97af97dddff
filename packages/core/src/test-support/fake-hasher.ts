import { createHash, randomBytes } from "node:crypto";
import type { PasswordHasher } from "../ports.js";

export interface CountingHasherOptions {
  /** The "algorithm" written into new hashes (default `sha256`); another scheme's hashes need a rehash. */
  scheme?: string;
  /** The "cost" written into new hashes (default 1); a stored lower cost needs a rehash. */
  cost?: number;
}

/**
 * A salted SHA-256 PasswordHasher that counts its calls. bcrypt and Argon2id belong to @app/auth and
 * are tested there; the domain tests need a real (if fast) hasher, a way to see that a verify happened,
 * and, for rehash on login, hashes that name their scheme and cost (`scheme$cost$salt$digest`) as PHC
 * strings do, so that two hashers of different configurations verify each other's hashes.
 */
export function createCountingHasher({ scheme = "sha256", cost = 1 }: CountingHasherOptions = {}) {
  const calls = { hash: 0, verify: 0 };
  const digest = (stored: string, salt: string, plain: string) =>
    createHash("sha256").update(`${stored}:${salt}:${plain}`).digest("hex");
  const parse = (hashed: string) => {
    const [storedScheme, storedCost, salt, expected] = hashed.split("$");
    return { storedScheme, storedCost: Number(storedCost), salt, expected };
  };
  const hasher: Required<PasswordHasher> = {
    async hash(plain) {
      calls.hash++;
      const salt = randomBytes(8).toString("hex");
      return `${scheme}$${cost}$${salt}$${digest(`${scheme}$${cost}`, salt, plain)}`;
    },
    async verify(plain, hashed) {
      calls.verify++;
      const { storedScheme, storedCost, salt, expected } = parse(hashed);
      return salt !== undefined && digest(`${storedScheme}$${storedCost}`, salt, plain) === expected;
    },
    needsRehash(hashed) {
      const { storedScheme, storedCost } = parse(hashed);
      return storedScheme !== scheme || !(storedCost >= cost);
    },
  };
  return { hasher, calls };
}
