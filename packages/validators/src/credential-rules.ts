/**
 * The email, new-password and full-name rules as plain zod. Factories rather than constants: zod 4 attaches
 * methods per instance, so a schema gains `.openapi()` only if it is built after @hono/zod-openapi has
 * extended zod; the API's wire module calls these in its own body, after that import. Nothing here imports
 * Node or the OpenAPI layer, so the browser bundle and a cluster primary can load it cheaply.
 */
import { z } from "zod";
import {
  MAX_EMAIL_LENGTH,
  MAX_FULL_NAME_LENGTH,
  MAX_PASSWORD_UTF8_BYTES,
  MIN_PASSWORD_CHARACTERS,
} from "./credential-limits.js";
import { credentialMessages } from "./credential-messages.js";

/** Trimmed, at most 254 characters, then zod's email pattern. */
export function createEmailRule() {
  return z
    .string()
    .trim()
    .max(MAX_EMAIL_LENGTH, credentialMessages.emailTooLong)
    .pipe(z.email(credentialMessages.emailInvalid));
}

/** A check a side adds to the new-password rule (the server's common-password list). */
export interface PasswordCheck {
  /** True when the password passes. */
  accepts(password: string): boolean;
  message: string;
}

/**
 * The rules for a new password, for a configured minimum (`PASSWORD_MIN_LENGTH`, never below 8).
 * Characters are counted as code points (what a person sees), bytes as bcrypt sees them (UTF-8). An
 * extra check runs only for a password that passed on length, so an expensive one is not paid for junk.
 */
export function createNewPasswordRule(
  minLength: number = MIN_PASSWORD_CHARACTERS,
  extraCheck?: PasswordCheck,
) {
  const lengthRules = z
    .string()
    .refine((value) => [...value].length >= minLength, {
      message: credentialMessages.passwordTooShort(minLength),
      abort: true,
    })
    .refine((value) => utf8ByteLength(value) <= MAX_PASSWORD_UTF8_BYTES, {
      message: credentialMessages.passwordTooLong,
      abort: true,
    });
  if (extraCheck === undefined) return lengthRules;
  return lengthRules.refine((value) => extraCheck.accepts(value), { message: extraCheck.message });
}

/** Optional on every route; trimmed; PostgreSQL text cannot hold U+0000, so it is refused here, not at the database. */
export function createFullNameRule() {
  return z
    .string()
    .trim()
    .max(MAX_FULL_NAME_LENGTH, credentialMessages.fullNameTooLong)
    .refine((value) => !value.includes("\u0000"), credentialMessages.fullNameHasNul);
}

const encoder = new TextEncoder();

/** Bytes as bcrypt sees them: UTF-8 (TextEncoder, so this also runs in the browser). */
export function utf8ByteLength(value: string): number {
  return encoder.encode(value).length;
}
