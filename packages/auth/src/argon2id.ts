import { type Algorithm, hash, parseOptions, type Version, verify } from "@node-rs/argon2";
import type { Argon2idParameters } from "./defaults.js";

// The package's enums are `const enum`s, which isolated modules cannot read: their documented values.
const ARGON2ID: Algorithm = 2;
const VERSION_0X13: Version = 1;

export const ARGON2ID_PREFIX = "$argon2id$";
const ARGON2_PREFIX = /^\$argon2(id|i|d)\$/;

/** Whether the stored string is an Argon2 PHC string (any variant): the one `verifyArgon2` accepts. */
export function isArgon2Hash(hashed: string): boolean {
  return ARGON2_PREFIX.test(hashed);
}

/** Argon2id (version 0x13), 16 random bytes of salt, 32 bytes of output, as a PHC string. */
export async function hashArgon2id(password: string, parameters: Argon2idParameters): Promise<string> {
  return hash(password, {
    algorithm: ARGON2ID,
    version: VERSION_0X13,
    memoryCost: parameters.memoryKib,
    timeCost: parameters.iterations,
    parallelism: parameters.parallelism,
  });
}

/** Checks a password against an Argon2 PHC string, with the parameters written in it; false if malformed. */
export async function verifyArgon2(password: string, hashed: string): Promise<boolean> {
  try {
    return await verify(hashed, password);
  } catch {
    return false;
  }
}

/**
 * Whether an Argon2 PHC string falls short of the given parameters: another variant than Argon2id, a
 * version before 0x13, or any of m, t, p lower. A stronger stored hash is kept (it is not downgraded).
 */
export function argon2idNeedsRehash(hashed: string, parameters: Argon2idParameters): boolean {
  if (!hashed.startsWith(ARGON2ID_PREFIX)) return true;
  try {
    const stored = parseOptions(hashed);
    return (
      stored.algorithm !== ARGON2ID ||
      stored.version !== VERSION_0X13 ||
      stored.memoryCost < parameters.memoryKib ||
      stored.timeCost < parameters.iterations ||
      stored.parallelism < parameters.parallelism
    );
  } catch {
    return true;
  }
}
