import { createHash, randomBytes } from "node:crypto";
import { and, eq, gt, isNotNull, isNull, lt, or, sql } from "drizzle-orm";
import type { Db } from "../db/client.js";
import { mfaLoginTokens } from "../db/schema.js";
import { InvalidMfaTokenError } from "../errors.js";

export const MFA_TOKEN_TTL_SECONDS = 5 * 60;
/** Checks one mfa_token allows; the one after the fifth wrong code finds it dead. */
export const MAX_MFA_ATTEMPTS = 5;

/** What a live mfa_token stands for: the user, and their token boundary when the password was checked. */
export interface MfaLoginTicket {
  userId: string;
  passwordChangedAt: Date;
}

export function hashMfaToken(token: string): string {
  return createHash("sha256").update(token, "utf8").digest("base64url");
}

/** A new mfa_token for a user whose password was just checked; the user's dead tokens are swept. */
export async function issueMfaLoginToken(
  db: Db,
  ticket: MfaLoginTicket,
  at: number,
): Promise<{ token: string; expiresInSeconds: number }> {
  const token = randomBytes(32).toString("base64url");
  await db
    .delete(mfaLoginTokens)
    .where(
      and(
        eq(mfaLoginTokens.userId, ticket.userId),
        or(lt(mfaLoginTokens.expiresAt, new Date(at)), isNotNull(mfaLoginTokens.consumedAt)),
      ),
    );
  await db.insert(mfaLoginTokens).values({
    tokenHash: hashMfaToken(token),
    userId: ticket.userId,
    passwordChangedAt: ticket.passwordChangedAt,
    expiresAt: new Date(at + MFA_TOKEN_TTL_SECONDS * 1000),
    createdAt: new Date(at),
  });
  return { token, expiresInSeconds: MFA_TOKEN_TTL_SECONDS };
}

const live = (tokenHash: string, at: number) =>
  and(
    eq(mfaLoginTokens.tokenHash, tokenHash),
    isNull(mfaLoginTokens.consumedAt),
    gt(mfaLoginTokens.expiresAt, new Date(at)),
  );

/**
 * The ticket of a live token, without spending an attempt (to pick the account's budget, or to start a
 * passkey ceremony). A token whose attempts are all spent is dead here too.
 * @throws InvalidMfaTokenError
 */
export async function readMfaLoginToken(db: Db, token: string, at: number): Promise<MfaLoginTicket> {
  const [row] = await db
    .select({ userId: mfaLoginTokens.userId, passwordChangedAt: mfaLoginTokens.passwordChangedAt })
    .from(mfaLoginTokens)
    .where(and(live(hashMfaToken(token), at), lt(mfaLoginTokens.attempts, MAX_MFA_ATTEMPTS)))
    .limit(1);
  if (!row) throw new InvalidMfaTokenError();
  return row;
}

/**
 * Counts one check against the token before it runs. One conditional UPDATE: of any number of
 * concurrent checks, at most `MAX_MFA_ATTEMPTS` ever pass it.
 * @throws InvalidMfaTokenError when the token is unknown, expired, spent or out of attempts
 */
export async function countMfaAttempt(db: Db, token: string, at: number): Promise<MfaLoginTicket> {
  const [row] = await db
    .update(mfaLoginTokens)
    .set({ attempts: sql`${mfaLoginTokens.attempts} + 1` })
    .where(and(live(hashMfaToken(token), at), lt(mfaLoginTokens.attempts, MAX_MFA_ATTEMPTS)))
    .returning({ userId: mfaLoginTokens.userId, passwordChangedAt: mfaLoginTokens.passwordChangedAt });
  if (!row) throw new InvalidMfaTokenError();
  return row;
}

/**
 * Spends the token once its second factor is proven (in the same transaction as the proof, so a
 * proof whose token was spent meanwhile is rolled back with it).
 * @throws InvalidMfaTokenError when another request spent it first
 */
export async function consumeMfaLoginToken(tx: Db, token: string, at: number): Promise<void> {
  const [row] = await tx
    .update(mfaLoginTokens)
    .set({ consumedAt: new Date(at) })
    .where(live(hashMfaToken(token), at))
    .returning({ userId: mfaLoginTokens.userId });
  if (!row) throw new InvalidMfaTokenError();
}
