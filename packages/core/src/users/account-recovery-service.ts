import { randomBytes } from "node:crypto";
import { type AuditContext, recordAuditEvent } from "../audit/audit-log.js";
import type { Db } from "../db/client.js";
import { InvalidResetTokenError, InvalidVerificationTokenError, UserNotFoundError } from "../errors.js";
import {
  findRedeemableOneTimeToken,
  issueOneTimeToken,
  redeemOneTimeToken,
  spendOutstandingTokens,
} from "../one-time-tokens/one-time-token-repository.js";
import { queueMail } from "../outbox/outbox.js";
import type { PasswordHasher } from "../ports.js";
import { endEverySession } from "./session-boundary.js";
import { normalizeEmail, type User } from "./user.js";
import { getUserByEmail, getUserById, lockUserRecord, toUser, updateUser } from "./user-repository.js";

export const DEFAULT_PASSWORD_RESET_TTL_MS = 30 * 60 * 1000;
export const DEFAULT_VERIFY_EMAIL_TTL_MS = 24 * 60 * 60 * 1000;

export interface AccountRecoveryServiceDeps {
  db: Db;
  passwords: PasswordHasher;
  /** Lifetimes of the emailed links; defaults 30 minutes (reset) and 24 hours (verification). */
  ttl?: { passwordResetMs?: number; verifyEmailMs?: number };
  /** The clock; tests move it to expire tokens. */
  now?: () => Date;
}

/** A token to put in an email, and whom to send it to. */
export interface TokenToSend {
  user: User;
  token: string;
  expiresAt: Date;
}

export interface AccountRecoveryService {
  /**
   * Issues a password-reset token for the active account with this email.
   * @returns null when there is no such (active) account: the caller answers the same either way.
   */
  requestPasswordReset(email: string): Promise<TokenToSend | null>;
  /**
   * Spends the token and sets the new password, moving `passwordChangedAt` so every earlier access token
   * is refused and revoking every refresh token. Every other outstanding reset or verification link of the
   * user is spent too. A reset also proves the user reads the address the link went to, so that address
   * counts as verified. The token is checked before the new password is hashed, so a bad token costs no
   * bcrypt run.
   * @throws InvalidResetTokenError for an unknown, expired or used token, a deactivated account, or a
   * token sent to an address that is no longer the user's email
   */
  resetPassword(input: { token: string; newPassword: string }, context?: AuditContext): Promise<User>;
  /**
   * Issues a verification token for the user's current email.
   * @returns null when the email is already verified (nothing to send).
   * @throws UserNotFoundError
   */
  requestEmailVerification(userId: string): Promise<TokenToSend | null>;
  /**
   * Issues a verification token for the account with this email, for someone who lost the mail and
   * cannot sign in (`REQUIRE_VERIFIED_EMAIL`).
   * @returns null when no active account has this email or it is already verified: the caller answers
   * the same either way.
   */
  requestEmailVerificationByEmail(email: string): Promise<TokenToSend | null>;
  /**
   * Spends the token and marks the email verified, if it is still the user's email.
   * @throws InvalidVerificationTokenError
   */
  verifyEmail(token: string, context?: AuditContext): Promise<User>;
}

/**
 * Password reset and email verification over one-time tokens (see `one_time_tokens`). Sending the
 * emails is the caller's job; this service only decides who gets which token.
 */
export function createAccountRecoveryService({
  db,
  passwords,
  ttl = {},
  now = () => new Date(),
}: AccountRecoveryServiceDeps): AccountRecoveryService {
  const resetTtlMs = ttl.passwordResetMs ?? DEFAULT_PASSWORD_RESET_TTL_MS;
  const verifyTtlMs = ttl.verifyEmailMs ?? DEFAULT_VERIFY_EMAIL_TTL_MS;

  return {
    async requestPasswordReset(email) {
      return issueTokenByEmail(email, "password_reset", resetTtlMs, (record) => record.isActive);
    },

    async resetPassword({ token, newPassword }, context = {}) {
      // A look first (nothing spent), so a bad token is refused without a bcrypt run; then hash outside
      // the transaction, since no row lock should wait for bcrypt; then redeem for real under the lock.
      const candidate = await findRedeemableOneTimeToken(db, {
        purpose: "password_reset",
        token,
        now: now(),
      });
      if (!candidate) throw new InvalidResetTokenError();
      const hashedPassword = await passwords.hash(newPassword);
      const at = now();
      const updated = await db.transaction(async (tx) => {
        // The user row before the token rows: the lock order every boundary change uses.
        const current = await lockUserRecord(tx, candidate.userId, "update");
        if (!current) return null;
        const redeemed = await redeemOneTimeToken(tx, { purpose: "password_reset", token, now: at });
        // A link sent to an address the user has since changed away from belongs to whoever reads that
        // old mailbox, not to the user.
        if (
          !redeemed ||
          !current.isActive ||
          normalizeEmail(current.email) !== normalizeEmail(redeemed.email)
        )
          return null;
        const user = await updateUser(tx, current.id, {
          hashedPassword,
          passwordChangedAt: await endEverySession(tx, current, at),
          ...(current.emailVerifiedAt === null ? { emailVerifiedAt: at } : {}),
        });
        if (user) {
          await recordAuditEvent(
            tx,
            { type: "password.reset", userId: user.id },
            { ...context, actor: { type: "user", id: user.id } },
            at,
          );
          await queueMail(
            tx,
            { kind: "password_changed", to: user.email, data: { at: at.toISOString() } },
            at,
          );
        }
        return user;
      });
      if (!updated) throw new InvalidResetTokenError();
      return updated;
    },

    async requestEmailVerification(userId) {
      const user = await getUserById(db, userId);
      if (!user) throw new UserNotFoundError();
      if (user.emailVerifiedAt !== null) return null;
      const issuedAt = now();
      const expiresAt = new Date(issuedAt.getTime() + verifyTtlMs);
      const token = await issueOneTimeToken(db, {
        purpose: "verify_email",
        userId: user.id,
        email: user.email,
        expiresAt,
        now: issuedAt,
      });
      return { user, token, expiresAt };
    },

    async requestEmailVerificationByEmail(email) {
      return issueTokenByEmail(
        email,
        "verify_email",
        verifyTtlMs,
        (record) => record.isActive && record.emailVerifiedAt === null,
      );
    },

    async verifyEmail(token, context = {}) {
      const at = now();
      const candidate = await findRedeemableOneTimeToken(db, { purpose: "verify_email", token, now: at });
      if (!candidate) throw new InvalidVerificationTokenError();
      const verified = await db.transaction(async (tx) => {
        // The user row before the token rows: the lock order every boundary change uses.
        const record = await lockUserRecord(tx, candidate.userId, "update");
        if (!record) return null;
        const redeemed = await redeemOneTimeToken(tx, { purpose: "verify_email", token, now: at });
        // A link sent to an address the user has since changed away from proves nothing about the new one.
        if (!redeemed || normalizeEmail(record.email) !== normalizeEmail(redeemed.email)) return null;
        await spendOutstandingTokens(tx, { purpose: "verify_email", userId: record.id, now: at });
        if (record.emailVerifiedAt !== null) return toUser(record);
        await recordAuditEvent(
          tx,
          { type: "email.verified", userId: record.id },
          { ...context, actor: { type: "user", id: record.id } },
          at,
        );
        return updateUser(tx, record.id, { emailVerifiedAt: at });
      });
      if (!verified) throw new InvalidVerificationTokenError();
      return verified;
    },
  };

  /**
   * A single-use token for the account with this email, when `eligible`; otherwise null after a
   * statement that matches nothing, so an unknown or ineligible address costs the same round trips and
   * about the same time as a known one.
   */
  async function issueTokenByEmail(
    email: string,
    purpose: "password_reset" | "verify_email",
    ttlMs: number,
    eligible: (record: NonNullable<Awaited<ReturnType<typeof getUserByEmail>>>) => boolean,
  ): Promise<TokenToSend | null> {
    const record = await getUserByEmail(db, email);
    if (!record || !eligible(record)) {
      await redeemOneTimeToken(db, { purpose, token: randomBytes(32).toString("base64url"), now: now() });
      return null;
    }
    const issuedAt = now();
    const expiresAt = new Date(issuedAt.getTime() + ttlMs);
    const token = await issueOneTimeToken(db, {
      purpose,
      userId: record.id,
      email: record.email,
      expiresAt,
      now: issuedAt,
    });
    const { hashedPassword: _hash, ...user } = record;
    return { user, token, expiresAt };
  }
}
