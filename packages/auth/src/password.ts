import { availableParallelism } from "node:os";
import { hash, verify } from "@node-rs/bcrypt";
import { PasswordHasherBusyError, PasswordTooLongError } from "./errors.js";

/** bcrypt reads at most 72 bytes of its input; longer passwords are refused rather than truncated. */
export const MAX_PASSWORD_BYTES = 72;
export const DEFAULT_BCRYPT_COST = 12;

/** What a refusal from a full queue asks the client to wait. */
export const PASSWORD_HASHER_RETRY_AFTER_SECONDS = 1;

export interface PasswordHashingOptions {
  /** bcrypt cost factor (4–31). Each step doubles the work; 12 takes ~250 ms on one core here. */
  cost?: number;
}

export interface PasswordHasherOptions extends PasswordHashingOptions {
  /** bcrypt computations that run at once; more would only share the same cores. Default: the cores. */
  concurrency?: number;
  /**
   * How many more may wait for a turn; the next one fails at once with PasswordHasherBusyError.
   * Default: no bound.
   */
  maxQueue?: number;
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

/**
 * The hashing half of `@app/core`'s `PasswordHasher` port, with the cost fixed once from configuration.
 * Every hash and verify of one hasher shares one bounded queue, so a burst of password checks (a
 * guesser, a flood of logins) delays the others by at most the queue's length and is refused beyond it.
 * @throws PasswordHasherBusyError (from `hash` or `verify`) when `concurrency + maxQueue` are in flight.
 * @example const passwords = createPasswordHasher({ cost: 12, concurrency: 2, maxQueue: 16 });
 */
export function createPasswordHasher(options: PasswordHasherOptions = {}) {
  const run = createWorkQueue(
    options.concurrency ?? availableParallelism(),
    options.maxQueue ?? Number.POSITIVE_INFINITY,
  );
  return {
    hash: (plain: string) => run(() => hashPassword(plain, options)),
    verify: (plain: string, hashed: string) => run(() => verifyPassword(plain, hashed)),
  };
}

function createWorkQueue(concurrency: number, maxQueue: number) {
  let running = 0;
  const waiting: (() => void)[] = [];
  return async function run<T>(work: () => Promise<T>): Promise<T> {
    if (running < Math.max(1, concurrency)) {
      running += 1;
    } else {
      if (waiting.length >= maxQueue) throw new PasswordHasherBusyError(PASSWORD_HASHER_RETRY_AFTER_SECONDS);
      await new Promise<void>((resolve) => waiting.push(resolve));
    }
    try {
      return await work();
    } finally {
      // A finished job hands its slot straight to the next in line, so `running` never dips meanwhile.
      const next = waiting.shift();
      if (next) next();
      else running -= 1;
    }
  };
}

export type PasswordHasherImpl = ReturnType<typeof createPasswordHasher>;
