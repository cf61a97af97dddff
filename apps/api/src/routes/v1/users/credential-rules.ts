/**
 * The email and new-password rules as plain zod, with no import of the OpenAPI layer or of bcrypt: the
 * configuration (read by a cluster primary that never serves a request) validates the first
 * superuser with them, and loading `users.wire.ts` there would cost ~30 MB per process.
 * `users.wire.ts` documents these same schemas for OpenAPI.
 */
import { z } from "zod";

export const MIN_PASSWORD_CHARACTERS = 8;
/** bcrypt's input limit; equal to `MAX_PASSWORD_BYTES` of @app/auth (a test holds them together). */
export const MAX_PASSWORD_UTF8_BYTES = 72;
export const MAX_EMAIL_LENGTH = 254;

export const emailRule = z
  .string()
  .trim()
  .max(MAX_EMAIL_LENGTH, `must be at most ${MAX_EMAIL_LENGTH} characters`)
  .pipe(z.email("must be a valid email address"));

/** Characters are counted as code points (what a person sees), bytes as bcrypt sees them. */
export const newPasswordRule = z
  .string()
  .refine((value) => [...value].length >= MIN_PASSWORD_CHARACTERS, {
    message: `must be at least ${MIN_PASSWORD_CHARACTERS} characters`,
  })
  .refine((value) => Buffer.byteLength(value, "utf8") <= MAX_PASSWORD_UTF8_BYTES, {
    message: `must be at most ${MAX_PASSWORD_UTF8_BYTES} bytes in UTF-8`,
  });
