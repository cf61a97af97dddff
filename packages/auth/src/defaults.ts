/**
 * The token and password-hashing defaults, in a module that imports nothing, so the api's configuration (which a cluster
 * primary loads without any of the token code) takes its defaults from here instead of restating them.
 */

/** 15 minutes: clients renew with a refresh token, so a stolen access token is short-lived. */
export const DEFAULT_ACCESS_TOKEN_TTL_SECONDS = 15 * 60;
/** How far past `exp` (and before `iat`/`nbf`) a token is still accepted, for clock differences. */
export const DEFAULT_LEEWAY_SECONDS = 5;

/** Argon2id's three work factors, as the PHC string names them: `m` (KiB), `t` and `p`. */
export interface Argon2idParameters {
  /** Memory per hash in KiB (`m`); each computation holds this much while it runs. */
  memoryKib: number;
  /** Passes over the memory (`t`). */
  iterations: number;
  /** Lanes (`p`). */
  parallelism: number;
}

/** OWASP's Password Storage Cheat Sheet: m=19456 KiB (19 MiB), t=2, p=1. */
export const DEFAULT_ARGON2ID_PARAMETERS: Readonly<Argon2idParameters> = Object.freeze({
  memoryKib: 19_456,
  iterations: 2,
  parallelism: 1,
});

/**
 * OWASP's equivalent Argon2id settings (memory KiB, iterations), strongest memory first: a setting is at
 * least as strong as the cheat sheet asks when it reaches both numbers of one row.
 */
export const OWASP_ARGON2ID_MINIMUMS: readonly (readonly [memoryKib: number, iterations: number])[] = [
  [47_104, 1],
  [19_456, 2],
  [12_288, 3],
  [9_216, 4],
  [7_168, 5],
];

/** Whether the parameters reach one of OWASP's rows (parallelism 1 or more). */
export function meetsOwaspArgon2idMinimum({
  memoryKib,
  iterations,
  parallelism,
}: Argon2idParameters): boolean {
  return (
    parallelism >= 1 &&
    OWASP_ARGON2ID_MINIMUMS.some(
      ([minMemory, minIterations]) => memoryKib >= minMemory && iterations >= minIterations,
    )
  );
}
