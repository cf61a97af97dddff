/**
 * The words both sides use for a broken rule. The API returns them as `errors[].message` after the field's
 * path; the web app shows them as a sentence ("must be …" → "Must be ….").
 */
import { MAX_EMAIL_LENGTH, MAX_FULL_NAME_LENGTH, MAX_PASSWORD_UTF8_BYTES } from "./credential-limits.js";

export const credentialMessages = {
  emailTooLong: `must be at most ${MAX_EMAIL_LENGTH} characters`,
  emailInvalid: "must be a valid email address",
  passwordTooShort: (minLength: number) => `must be at least ${minLength} characters`,
  passwordTooLong: `must be at most ${MAX_PASSWORD_UTF8_BYTES} bytes in UTF-8`,
  fullNameTooLong: `must be at most ${MAX_FULL_NAME_LENGTH} characters`,
  fullNameHasNul: "must not contain NUL characters",
} as const;
