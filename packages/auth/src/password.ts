import { hash, verify } from "@node-rs/bcrypt";
import { PasswordTooLongError } from "./errors.js";

/** bcrypt reads at most 72 bytes of its input; longer passwords are refused rather than truncated. */
export const MAX_PASSWORD_BYTES = 72;
export const DEFAULT_BCRYPT_COST = 12;

export interface PasswordHashingOptions {
  /** bcrypt cost factor (4–31). Each step doubles the work; 12 takes ~250 ms on one core here. */
  cost?: number;
}

export function passwordByteLength(password: string): number {
  return Buffer.byteLength(password, "utf8");
}

/**
 * Hashes a password with bcrypt on libuv's thread pool, so the event loop keeps serving.
 * @throws PasswordTooLongError when the password is over 72 UTF-8 bytes.
 * @example const hashed = await hashPassword("correct horse battery staple", { cost: 12 });
 */
export async function hashPassword(password: string, options: PasswordHashingOptions = {}): Promise<string> {
  if (passwordByteLength(password) > MAX_PASSWORD_BYTES) throw new PasswordTooLongError(MAX_PASSWORD_BYTES);
  return hash(password, { cost: options.cost ?? DEFAULT_BCRYPT_COST, rejectLongPasswords: true });
}

/**
 * Checks a password against a bcrypt hash. Returns false (never throws) for a mismatch, a malformed
 * hash, or a password bcrypt would have had to truncate, so callers have one failure path.
 */
export async function verifyPassword(password: string, hashed: string): Promise<boolean> {
  if (passwordByteLength(password) > MAX_PASSWORD_BYTES) return false;
  return verify(password, hashed);
}

/** The hashing half of `@app/core`'s `PasswordHasher` port, with the cost fixed once from configuration. */
export function createPasswordHasher(options: PasswordHashingOptions = {}) {
  return {
    hash: (plain: string) => hashPassword(plain, options),
    verify: (plain: string, hashed: string) => verifyPassword(plain, hashed),
  };
}

export type PasswordHasherImpl = ReturnType<typeof createPasswordHasher>;
