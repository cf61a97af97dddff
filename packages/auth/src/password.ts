import { availableParallelism } from "node:os";
import { hash, verify } from "@node-rs/bcrypt";
import { argon2idNeedsRehash, hashArgon2id, isArgon2Hash, verifyArgon2 } from "./argon2id.js";
import { type Argon2idParameters, DEFAULT_ARGON2ID_PARAMETERS } from "./defaults.js";
import { PasswordHasherBusyError, PasswordTooLongError } from "./errors.js";

/**
 * bcrypt reads at most 72 bytes of its input; longer passwords are refused rather than truncated. The
 * limit holds for Argon2id too, so a switch back to bcrypt never meets a password it cannot hash.
 */
export const MAX_PASSWORD_BYTES = 72;
export const DEFAULT_BCRYPT_COST = 12;

/** What new hashes are made with (`PASSWORD_HASH`); stored hashes of either kind always verify. */
export type PasswordHashAlgorithm = "bcrypt" | "argon2id";
export const PASSWORD_HASH_ALGORITHMS: readonly PasswordHashAlgorithm[] = ["bcrypt", "argon2id"];

const BCRYPT_HASH = /^\$2[aby]\$(\d{2})\$/;

/** What a refusal from a full queue asks the client to wait. */
export const PASSWORD_HASHER_RETRY_AFTER_SECONDS = 1;

export interface PasswordHashingOptions {
  /** Default bcrypt. */
  algorithm?: PasswordHashAlgorithm;
  /** bcrypt cost factor (4–31). Each step doubles the work; 12 takes ~250 ms on one core here. */
  cost?: number;
  /** Argon2id's work factors; default OWASP's m=19456 KiB, t=2, p=1. */
  argon2?: Argon2idParameters;
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
 * Hashes a password with the chosen algorithm (bcrypt unless told otherwise) on libuv's thread pool, so
 * the event loop keeps serving. bcrypt gives `$2b$<cost>$…`, Argon2id a PHC string
 * (`$argon2id$v=19$m=…,t=…,p=…$salt$hash`), stored as they are.
 * @throws PasswordTooLongError when the password is over 72 UTF-8 bytes.
 * @example const hashed = await hashPassword("correct horse battery staple", { algorithm: "argon2id" });
 */
export async function hashPassword(password: string, options: PasswordHashingOptions = {}): Promise<string> {
  if (passwordByteLength(password) > MAX_PASSWORD_BYTES) throw new PasswordTooLongError(MAX_PASSWORD_BYTES);
  if (options.algorithm === "argon2id") {
    return hashArgon2id(password, options.argon2 ?? DEFAULT_ARGON2ID_PARAMETERS);
  }
  return hash(password, { cost: options.cost ?? DEFAULT_BCRYPT_COST, rejectLongPasswords: true });
}

/**
 * Checks a password against a stored hash, with the algorithm and work factors the stored string names
 * (bcrypt `$2a$`/`$2b$`/`$2y$`, or an Argon2 PHC string), whatever is configured for new hashes. Returns
 * false (never throws) for a mismatch, a malformed or unknown hash, or a password over 72 bytes, so
 * callers have one failure path.
 */
export async function verifyPassword(password: string, hashed: string): Promise<boolean> {
  if (passwordByteLength(password) > MAX_PASSWORD_BYTES) return false;
  if (isArgon2Hash(hashed)) return verifyArgon2(password, hashed);
  if (!BCRYPT_HASH.test(hashed)) return false;
  return verify(password, hashed);
}

/**
 * Whether a stored hash should be replaced by one made with `options`: another algorithm than the
 * configured one, or lower work factors (bcrypt cost; Argon2id m, t or p, or an older variant or
 * version). A hash stronger than configured is kept. Only meaningful after the password verified.
 */
export function passwordNeedsRehash(hashed: string, options: PasswordHashingOptions = {}): boolean {
  if (options.algorithm === "argon2id") {
    return argon2idNeedsRehash(hashed, options.argon2 ?? DEFAULT_ARGON2ID_PARAMETERS);
  }
  const cost = BCRYPT_HASH.exec(hashed)?.[1];
  return cost === undefined || Number(cost) < (options.cost ?? DEFAULT_BCRYPT_COST);
}

/**
 * `@app/core`'s `PasswordHasher` port, with the algorithm and its work factors fixed once from
 * configuration: `hash` makes new hashes that way, `verify` accepts any supported stored hash, and
 * `needsRehash` tells the login which stored hashes to replace.
 * Every hash and verify of one hasher shares one bounded queue, so a burst of password checks (a
 * guesser, a flood of logins) delays the others by at most the queue's length and is refused beyond it.
 * @throws PasswordHasherBusyError (from `hash` or `verify`) when `concurrency + maxQueue` are in flight.
 * @example const passwords = createPasswordHasher({ algorithm: "argon2id", concurrency: 2, maxQueue: 16 });
 */
export function createPasswordHasher(options: PasswordHasherOptions = {}) {
  const run = createWorkQueue(
    options.concurrency ?? availableParallelism(),
    options.maxQueue ?? Number.POSITIVE_INFINITY,
  );
  return {
    hash: (plain: string) => run(() => hashPassword(plain, options)),
    verify: (plain: string, hashed: string) => run(() => verifyPassword(plain, hashed)),
    needsRehash: (hashed: string) => passwordNeedsRehash(hashed, options),
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
