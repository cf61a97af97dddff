/** A user as the domain sees it. Deliberately carries no password hash: nothing outside core needs it. */
export interface User {
  id: string;
  email: string;
  fullName: string | null;
  isActive: boolean;
  isSuperuser: boolean;
  /** When the current email was verified; null while unverified (and after every email change). */
  emailVerifiedAt: Date | null;
  passwordChangedAt: Date;
  /** Whether login asks for a second factor (a confirmed TOTP factor or a passkey). */
  mfaEnabled: boolean;
  createdAt: Date;
  updatedAt: Date;
}

/**
 * Emails are compared case-insensitively after trimming; we store them in that normal form so that
 * what a user sees back is exactly what uniqueness was checked against.
 */
export function normalizeEmail(email: string): string {
  return email.trim().toLowerCase();
}

/**
 * The first second (epoch seconds) from which an access token's `iat` (and a refresh token's issue time)
 * is acceptable for this user: the one definition of the token boundary.
 *
 * Whole seconds are exact here because of the order the database imposes, not because of timing:
 * - every change that moves the boundary (password change or admin set, reset confirm, deactivation,
 *   logout-all) locks the user row `FOR UPDATE` first and computes the new `passwordChangedAt` only once it
 *   holds the lock (`endEverySession`);
 * - minting (login's session start, refresh) locks the same row `FOR SHARE`, re-reads it, and a login
 *   refuses when the boundary or the active flag differ from what `authenticate` saw.
 * So a token minted under the shared lock was minted before the change took the lock: its `iat` is at most
 * the clock's second then, and the new boundary (`nextPasswordChangedAt`, at least that clock, then the
 * next whole second) lies strictly above it. A login that authenticated before the change but mints after
 * it sees a moved boundary and is refused.
 *
 * Tokens carry whole-second `iat`s (RFC 7519, and what other JWT libraries insist on), so a change at
 * 12:00:00.400 must refuse every token stamped 12:00:00: the boundary is the next whole second, and new
 * tokens are stamped no earlier than it (see `issuedAtFloor` in the token service).
 */
export function tokensValidFrom(user: Pick<User, "passwordChangedAt">): number {
  return Math.floor(user.passwordChangedAt.getTime() / 1000) + 1;
}

/**
 * The `passwordChangedAt` to store when a password changes (or every session is revoked) at `now`.
 * Tokens issued since the previous change may carry `iat` = the previous boundary, which can lie up to a
 * second ahead of the clock; moving at least one second past the previous change keeps the new boundary
 * strictly above every `iat` issued before it.
 */
export function nextPasswordChangedAt(user: Pick<User, "passwordChangedAt">, now: Date = new Date()): Date {
  return new Date(Math.max(now.getTime(), user.passwordChangedAt.getTime() + 1000));
}

/**
 * Stored instead of a hash for an account created through an identity provider: no password hashes to
 * it (it is not in any hash format), so no password signs in until one is set through a reset.
 */
export const NO_PASSWORD_HASH = "!no-password";

export function hasPassword(hashedPassword: string): boolean {
  return hashedPassword !== NO_PASSWORD_HASH;
}
