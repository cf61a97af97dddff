/**
 * The well-known password list: zxcvbn-ts's common dictionary (~49k passwords from breach corpora),
 * held as a lower-cased Set built on first use, so a lookup is O(1) and case-insensitive ("PASSWORD1"
 * is as guessable as "password1").
 */
import { createRequire } from "node:module";

type CommonDictionary = typeof import("@zxcvbn-ts/language-common");

let common: Set<string> | undefined;

/** Whether `password` (compared case-insensitively) is on the common/breached list. */
export function isCommonPassword(password: string): boolean {
  // Loaded on first use: the module holds several lists (~7 MB), and a cluster primary, which reads the
  // configuration but never checks a request's password, should not pay for it.
  common ??= new Set(
    (createRequire(import.meta.url)("@zxcvbn-ts/language-common") as CommonDictionary).dictionary[
      "passwords-common"
    ].map((entry) => entry.toLowerCase()),
  );
  return common.has(password.toLowerCase());
}

export const COMMON_PASSWORD_MESSAGE = "is too common; choose another";
