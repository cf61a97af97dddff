import { eq, lt, sql } from "drizzle-orm";
import type { Db } from "../db/client.js";
import { translateDatabaseError } from "../db/database-errors.js";
import { rateLimits } from "../db/schema.js";

export interface RateLimitDecision {
  /** False once this hit is over the limit for the current window. */
  allowed: boolean;
  /** Hits left in the current window after this one (never negative). */
  remaining: number;
  /** Whole seconds until the window ends (≥ 1): what a 429's `Retry-After` carries. */
  retryAfterSeconds: number;
}

export interface RateLimiter {
  /**
   * Counts one hit on `key` in a fixed window of `windowSeconds` and says whether it is within `limit`.
   * One atomic upsert: concurrent hits from any number of processes each see a distinct count.
   */
  hit(key: string, limit: number, windowSeconds: number): Promise<RateLimitDecision>;
  /** Forgets `key` (a successful login clears the account's failures). */
  reset(key: string): Promise<void>;
  /**
   * Forgets every key that starts with `prefix` (a password reset clears an account's budgets from
   * every address). Not index-assisted: meant for rare events, not every request.
   */
  resetPrefix(prefix: string): Promise<void>;
  /** Deletes every row whose window has ended; returns how many. */
  deleteExpired(): Promise<number>;
  /** Resolves when the background clean-up started by `hit` (if any) has finished. */
  idle(): Promise<void>;
}

export interface RateLimiterOptions {
  db: Db;
  /** Every this many hits (per process), expired rows are deleted in the background. Default 500; 0 = never. */
  cleanupEvery?: number | undefined;
  /** Told about a failed background clean-up (which never fails a hit). */
  onCleanupError?: ((error: unknown) => void) | undefined;
}

/**
 * A fixed-window rate limiter whose counters live in the `rate_limits` table, so every process and
 * replica on one database shares the budget. Each check is a single `INSERT … ON CONFLICT DO UPDATE …
 * RETURNING`: no read-modify-write race, no lock held across round trips. Time comes from the database's
 * clock, so replicas with skewed clocks agree on when a window ends.
 * @example
 * const limiter = createRateLimiter({ db: database.db });
 * const { allowed, retryAfterSeconds } = await limiter.hit(`login:address:${ip}`, 100, 900);
 */
export function createRateLimiter({
  db,
  cleanupEvery = 500,
  onCleanupError,
}: RateLimiterOptions): RateLimiter {
  let hitsSinceCleanup = 0;
  let cleanup: Promise<void> = Promise.resolve();

  async function deleteExpired(): Promise<number> {
    try {
      const deleted = await db
        .delete(rateLimits)
        .where(lt(rateLimits.windowEndsAt, sql`now()`))
        .returning({ key: rateLimits.key });
      return deleted.length;
    } catch (error) {
      return translateDatabaseError(error);
    }
  }

  function maybeCleanUp(): void {
    if (cleanupEvery <= 0 || ++hitsSinceCleanup < cleanupEvery) return;
    hitsSinceCleanup = 0;
    cleanup = cleanup.then(() =>
      deleteExpired().then(
        () => undefined,
        (error: unknown) => onCleanupError?.(error),
      ),
    );
  }

  return {
    async hit(key, limit, windowSeconds) {
      const seconds = Math.max(1, Math.ceil(windowSeconds));
      const windowEnd = sql`now() + ${seconds}::int * interval '1 second'`;
      const expired = sql`${rateLimits.windowEndsAt} <= now()`;
      let row: { hits: number; secondsLeft: number } | undefined;
      try {
        [row] = await db
          .insert(rateLimits)
          .values({ key, hits: 1, windowEndsAt: windowEnd })
          .onConflictDoUpdate({
            target: rateLimits.key,
            set: {
              hits: sql`case when ${expired} then 1 else ${rateLimits.hits} + 1 end`,
              windowEndsAt: sql`case when ${expired} then ${windowEnd} else ${rateLimits.windowEndsAt} end`,
            },
          })
          .returning({
            hits: rateLimits.hits,
            secondsLeft: sql<number>`extract(epoch from (${rateLimits.windowEndsAt} - now()))`.mapWith(
              Number,
            ),
          });
      } catch (error) {
        return translateDatabaseError(error);
      }
      if (!row) throw new Error("rate-limit upsert returned no row");
      maybeCleanUp();
      return {
        allowed: row.hits <= limit,
        remaining: Math.max(0, limit - row.hits),
        // The stored end is rounded to milliseconds, which can put it a hair past a full window.
        retryAfterSeconds: Math.min(seconds, Math.max(1, Math.ceil(row.secondsLeft))),
      };
    },

    async reset(key) {
      try {
        await db.delete(rateLimits).where(eq(rateLimits.key, key));
      } catch (error) {
        translateDatabaseError(error);
      }
    },

    async resetPrefix(prefix) {
      try {
        await db.delete(rateLimits).where(sql`starts_with(${rateLimits.key}, ${prefix})`);
      } catch (error) {
        translateDatabaseError(error);
      }
    },

    deleteExpired,

    idle: () => cleanup,
  };
}
