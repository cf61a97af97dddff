import { and, eq, isNull, max } from "drizzle-orm";
import type { Db } from "../db/client.js";
import { translateDatabaseError } from "../db/database-errors.js";
import { refreshTokens } from "../db/schema.js";
import { spendOutstandingTokens } from "../one-time-tokens/one-time-token-repository.js";
import { endUserSessions } from "../sessions/session-repository.js";
import { nextPasswordChangedAt, type User } from "./user.js";

/**
 * The step every boundary-moving change shares (password change or admin set, reset confirm, deactivation,
 * logout-all), inside the caller's transaction and AFTER it has locked the user row `FOR UPDATE`
 * (`lockUserRecord`): revokes every refresh token of the user, spends every outstanding reset and
 * verification link, and returns the `passwordChangedAt` the caller must store in the same transaction.
 *
 * The new boundary is computed here, under the lock, so it lies above every token minted before the lock
 * was taken (see `tokensValidFrom`). It is also kept a second past the newest refresh token ever issued to
 * the user: that token was minted together with an access token by some process, possibly on a clock a
 * little ahead of ours, and its stored issue time is the evidence of how far ahead.
 */
export async function endEverySession(
  tx: Db,
  user: Pick<User, "id" | "passwordChangedAt">,
  at: Date,
): Promise<Date> {
  try {
    const [newest] = await tx
      .select({ issuedAt: max(refreshTokens.issuedAt) })
      .from(refreshTokens)
      .where(eq(refreshTokens.userId, user.id));
    await tx
      .update(refreshTokens)
      .set({ revokedAt: at, successorCiphertext: null })
      .where(and(eq(refreshTokens.userId, user.id), isNull(refreshTokens.revokedAt)));
    await endUserSessions(tx, user.id, at);
    await spendOutstandingTokens(tx, { userId: user.id, now: at });
    const boundary = nextPasswordChangedAt(user, at);
    const newestIssuedAt = newest?.issuedAt ? new Date(newest.issuedAt).getTime() : 0;
    return new Date(Math.max(boundary.getTime(), newestIssuedAt + 1000));
  } catch (error) {
    return translateDatabaseError(error);
  }
}
