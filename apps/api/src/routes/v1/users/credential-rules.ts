/**
 * The email and new-password rules as plain zod, with no import of the OpenAPI layer or of bcrypt: the
 * configuration (read by a cluster primary that never serves a request) validates the first
 * superuser with them, and loading `users.wire.ts` there would cost ~30 MB per process.
 * `users.wire.ts` documents these same schemas for OpenAPI.
 */
import { z } from "zod";
import { COMMON_PASSWORD_MESSAGE, isCommonPassword } from "../../../passwords/common-passwords.js";

export const MIN_PASSWORD_CHARACTERS = 8;
/** bcrypt's input limit; equal to `MAX_PASSWORD_BYTES` of @app/auth (a test holds them together). */
export const MAX_PASSWORD_UTF8_BYTES = 72;
export const MAX_EMAIL_LENGTH = 254;

/**
 * Factories rather than constants: zod 4 attaches methods per instance, so a schema gains `.openapi()`
 * only if it is built after @hono/zod-openapi has extended zod, which `users.wire.ts` guarantees by
 * calling these in its own body.
 */
export function createEmailRule() {
  return z
    .string()
    .trim()
    .max(MAX_EMAIL_LENGTH, `must be at most ${MAX_EMAIL_LENGTH} characters`)
    .pipe(z.email("must be a valid email address"));
}

/**
 * The rules for a new password, for a configured minimum (`PASSWORD_MIN_LENGTH`, never below 8).
 * Characters are counted as code points (what a person sees), bytes as bcrypt sees them. The
 * common-list check is skipped for a password that already failed on length.
 */
export function createNewPasswordRule(minLength: number = MIN_PASSWORD_CHARACTERS) {
  return z
    .string()
    .refine((value) => [...value].length >= minLength, {
      message: `must be at least ${minLength} characters`,
      abort: true,
    })
    .refine((value) => Buffer.byteLength(value, "utf8") <= MAX_PASSWORD_UTF8_BYTES, {
      message: `must be at most ${MAX_PASSWORD_UTF8_BYTES} bytes in UTF-8`,
      abort: true,
    })
    .refine((value) => !isCommonPassword(value), { message: COMMON_PASSWORD_MESSAGE });
}
