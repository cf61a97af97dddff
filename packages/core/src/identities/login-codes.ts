import { createHash, randomBytes } from "node:crypto";
import { and, eq, gt, lt } from "drizzle-orm";
import type { Db } from "../db/client.js";
import { loginCodes } from "../db/schema.js";

/** A login code crosses one redirect and one request: a minute is plenty, and little for a thief. */
export const LOGIN_CODE_TTL_SECONDS = 60;

export type LoginCodePurpose = "login" | "link";

export interface LoginCodeTicket {
  userId: string;
  provider: string;
  amr: string[];
  secondFactorDone: boolean;
  /** The user's token boundary when the code was issued. */
  passwordChangedAt: Date;
}

export function hashLoginCode(code: string): string {
  return createHash("sha256").update(code, "utf8").digest("base64url");
}

/** Stores the hash of a new code (32 random bytes) and sweeps the user's expired ones. */
export async function issueLoginCode(
  db: Db,
  purpose: LoginCodePurpose,
  ticket: LoginCodeTicket,
  at: number,
): Promise<{ code: string; expiresInSeconds: number }> {
  const code = randomBytes(32).toString("base64url");
  await db
    .delete(loginCodes)
    .where(and(eq(loginCodes.userId, ticket.userId), lt(loginCodes.expiresAt, new Date(at))));
  await db.insert(loginCodes).values({
    codeHash: hashLoginCode(code),
    purpose,
    userId: ticket.userId,
    provider: ticket.provider,
    amr: ticket.amr,
    secondFactorDone: ticket.secondFactorDone,
    passwordChangedAt: ticket.passwordChangedAt,
    expiresAt: new Date(at + LOGIN_CODE_TTL_SECONDS * 1000),
    createdAt: new Date(at),
  });
  return { code, expiresInSeconds: LOGIN_CODE_TTL_SECONDS };
}

/**
 * Spends a code: one `DELETE … RETURNING` that only a live code of this purpose passes, so of any number
 * of concurrent redemptions exactly one gets the row.
 * @returns what it stood for, or null when unknown, expired, spent or of another purpose
 */
export async function redeemLoginCode(
  db: Db,
  purpose: LoginCodePurpose,
  code: string,
  at: number,
): Promise<LoginCodeTicket | null> {
  const [row] = await db
    .delete(loginCodes)
    .where(
      and(
        eq(loginCodes.codeHash, hashLoginCode(code)),
        eq(loginCodes.purpose, purpose),
        gt(loginCodes.expiresAt, new Date(at)),
      ),
    )
    .returning({
      userId: loginCodes.userId,
      provider: loginCodes.provider,
      amr: loginCodes.amr,
      secondFactorDone: loginCodes.secondFactorDone,
      passwordChangedAt: loginCodes.passwordChangedAt,
    });
  return row ?? null;
}
