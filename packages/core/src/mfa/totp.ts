import { randomBytes } from "node:crypto";
import { encodeBase32UpperCaseNoPadding } from "@oslojs/encoding";
import { createTOTPKeyURI, generateHOTP } from "@oslojs/otp";

/** RFC 6238 as authenticator apps expect it: HMAC-SHA-1, 6 digits, 30-second steps. */
export const TOTP_PERIOD_SECONDS = 30;
export const TOTP_DIGITS = 6;
/** Steps either side of the current one that are still accepted (clock drift, a code typed late). */
export const TOTP_WINDOW_STEPS = 1;
/** RFC 4226 §4 recommends 160 bits for HMAC-SHA-1 keys. */
const SECRET_BYTES = 20;

/** A new random TOTP key (20 bytes). */
export function generateTotpSecret(): Uint8Array {
  return new Uint8Array(randomBytes(SECRET_BYTES));
}

/** The key as authenticator apps take it when typed in: base32, upper case, no padding. */
export function totpSecretToBase32(secret: Uint8Array): string {
  return encodeBase32UpperCaseNoPadding(secret);
}

/** The `otpauth://totp/…` URI a QR code carries (issuer and account label, SHA-1, 6 digits, 30 s). */
export function totpKeyUri(issuer: string, accountName: string, secret: Uint8Array): string {
  return createTOTPKeyURI(issuer, accountName, secret, TOTP_PERIOD_SECONDS, TOTP_DIGITS);
}

/** The RFC 6238 time step (T) of an instant: whole periods since the Unix epoch. */
export function totpStepAt(epochMs: number): number {
  return Math.floor(epochMs / 1000 / TOTP_PERIOD_SECONDS);
}

/** The code for one time step: RFC 6238 is HOTP (RFC 4226) with the step as the counter. */
export function totpCodeForStep(secret: Uint8Array, step: number, digits = TOTP_DIGITS): string {
  return generateHOTP(secret, BigInt(step), digits);
}

/**
 * The time step whose code `code` is, looking at the current step and `TOTP_WINDOW_STEPS` either side,
 * but only steps after `lastUsedStep`: a code already accepted (or one older than it) never matches
 * again. Newest step first, so the step recorded is never lower than it must be.
 * @returns the matching step, or null.
 */
export function matchTotpStep(
  secret: Uint8Array,
  code: string,
  epochMs: number,
  lastUsedStep: number | null,
): number | null {
  if (!/^[0-9]{6}$/.test(code)) return null;
  const current = totpStepAt(epochMs);
  for (let step = current + TOTP_WINDOW_STEPS; step >= current - TOTP_WINDOW_STEPS; step--) {
    if (lastUsedStep !== null && step <= lastUsedStep) break;
    if (constantTimeEqual(totpCodeForStep(secret, step), code)) return step;
  }
  return null;
}

function constantTimeEqual(a: string, b: string): boolean {
  if (a.length !== b.length) return false;
  let difference = 0;
  for (let index = 0; index < a.length; index++) difference |= a.charCodeAt(index) ^ b.charCodeAt(index);
  return difference === 0;
}
