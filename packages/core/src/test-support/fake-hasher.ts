import { createHash, randomBytes } from "node:crypto";
import type { PasswordHasher } from "../ports.js";

/**
 * A salted SHA-256 PasswordHasher that counts its calls. bcrypt belongs to @app/auth and is tested
 * there; the domain tests need a real (if fast) hasher and a way to see that a verify happened.
 */
export function createCountingHasher() {
  const calls = { hash: 0, verify: 0 };
  const digest = (salt: string, plain: string) =>
    createHash("sha256").update(`${salt}:${plain}`).digest("hex");
  const hasher: PasswordHasher = {
    async hash(plain) {
      calls.hash++;
      const salt = randomBytes(8).toString("hex");
      return `sha256$${salt}$${digest(salt, plain)}`;
    },
    async verify(plain, hashed) {
      calls.verify++;
      const [, salt, expected] = hashed.split("$");
      return salt !== undefined && digest(salt, plain) === expected;
    },
  };
  return { hasher, calls };
}
