import { createHash, randomBytes } from "node:crypto";
import { and, eq, gt, isNull, lte, ne, or } from "drizzle-orm";
import type { Db } from "../db/client.js";
import { translateDatabaseError } from "../db/database-errors.js";
import { oneTimeTokens } from "../db/schema.js";

export type OneTimeTokenPurpose = "password_reset" | "verify_email";

export interface IssueOneTimeToken {
  purpose: OneTimeTokenPurpose;
  userId: string;
  /** The address the token is sent to. */
  email: string;
  expiresAt: Date;
  now: Date;
}

/** What a redeemed token stood for. */
export interface RedeemedToken {
  userId: string;
  email: string;
}

/** SHA-256, base64url: the only form of a token that is ever stored or compared. */
export function hashOneTimeToken(token: string): string {
  return createHash("sha256").update(token).digest("base64url");
}

/**
 * Creates a token (32 random bytes, base64url) and stores its hash.
 * @returns the token itself, which exists nowhere else: it goes into the email and is forgotten.
 */
export async function issueOneTimeToken(db: Db, input: IssueOneTimeToken): Promise<string> {
  const token = randomBytes(32).toString("base64url");
  try {
    await db.insert(oneTimeTokens).values({
      tokenHash: hashOneTimeToken(token),
      purpose: input.purpose,
      userId: input.userId,
      email: input.email,
      createdAt: input.now,
      expiresAt: input.expiresAt,
    });
    return token;
  } catch (error) {
    return translateDatabaseError(error);
  }
}

/**
 * Spends a token: one conditional UPDATE that only an unused, unexpired token of this purpose passes, so
 * of two concurrent redemptions exactly one gets the row back.
 * @returns what the token stood for, or null when it is unknown, expired, already used or of another purpose.
 */
export async function redeemOneTimeToken(
  db: Db,
  { purpose, token, now }: { purpose: OneTimeTokenPurpose; token: string; now: Date },
): Promise<RedeemedToken | null> {
  try {
    const [row] = await db
      .update(oneTimeTokens)
      .set({ usedAt: now })
      .where(
        and(
          eq(oneTimeTokens.tokenHash, hashOneTimeToken(token)),
          eq(oneTimeTokens.purpose, purpose),
          isNull(oneTimeTokens.usedAt),
          gt(oneTimeTokens.expiresAt, now),
        ),
      )
      .returning({ userId: oneTimeTokens.userId, email: oneTimeTokens.email });
    return row ?? null;
  } catch (error) {
    return translateDatabaseError(error);
  }
}

/**
 * What an unused, unexpired token of this purpose stands for, without spending it: lets a caller refuse a
 * bad token before doing expensive work (hashing a new password). Redeem it afterwards; only
 * `redeemOneTimeToken` decides who gets to use it.
 */
export async function findRedeemableOneTimeToken(
  db: Db,
  { purpose, token, now }: { purpose: OneTimeTokenPurpose; token: string; now: Date },
): Promise<RedeemedToken | null> {
  try {
    const [row] = await db
      .select({ userId: oneTimeTokens.userId, email: oneTimeTokens.email })
      .from(oneTimeTokens)
      .where(
        and(
          eq(oneTimeTokens.tokenHash, hashOneTimeToken(token)),
          eq(oneTimeTokens.purpose, purpose),
          isNull(oneTimeTokens.usedAt),
          gt(oneTimeTokens.expiresAt, now),
        ),
      )
      .limit(1);
    return row ?? null;
  } catch (error) {
    return translateDatabaseError(error);
  }
}

/**
 * Marks every other outstanding token of the user (of this purpose, or of every purpose when none is
 * given) as used: once a password has been reset or changed, an email verified or changed, or every
 * session ended, older links in the mailbox must not work any more.
 */
export async function spendOutstandingTokens(
  db: Db,
  {
    purpose,
    userId,
    now,
    except,
  }: { purpose?: OneTimeTokenPurpose | undefined; userId: string; now: Date; except?: string },
): Promise<void> {
  try {
    await db
      .update(oneTimeTokens)
      .set({ usedAt: now })
      .where(
        and(
          eq(oneTimeTokens.userId, userId),
          purpose === undefined ? undefined : eq(oneTimeTokens.purpose, purpose),
          isNull(oneTimeTokens.usedAt),
          except === undefined ? undefined : ne(oneTimeTokens.tokenHash, hashOneTimeToken(except)),
        ),
      );
  } catch (error) {
    translateDatabaseError(error);
  }
}

/** Deletes tokens that can no longer be redeemed (expired or used before `before`). @returns how many. */
export async function deleteStaleOneTimeTokens(db: Db, before: Date): Promise<number> {
  try {
    const rows = await db
      .delete(oneTimeTokens)
      .where(or(lte(oneTimeTokens.expiresAt, before), lte(oneTimeTokens.usedAt, before)))
      .returning({ tokenHash: oneTimeTokens.tokenHash });
    return rows.length;
  } catch (error) {
    return translateDatabaseError(error);
  }
}
