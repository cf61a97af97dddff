import { and, gt, inArray, isNotNull, isNull, lte, notInArray, or, sql } from "drizzle-orm";
import type { Db } from "../db/client.js";
import { translateDatabaseError } from "../db/database-errors.js";
import { auditEvents, oneTimeTokens, outbox, refreshTokens, sessions } from "../db/schema.js";
import { KNOWN_DEVICE_DAYS } from "../sessions/session-repository.js";

const DAY_MS = 24 * 3600 * 1000;
/** Sent (or abandoned) mail is kept this long, for a look at what went out. */
const SENT_MAIL_DAYS = 7;

/** Any fixed 64-bit number that no other advisory lock of this database uses: "user-management sweep". */
const SWEEP_LOCK_KEY = sql.raw("7571032301");

export interface SweepOptions {
  /** Rows that stopped being usable before this instant are deleted. */
  before: Date;
  /** Rows per DELETE: each batch is one short transaction, so no statement holds many row locks. */
  batchSize: number;
  /** Batches per table and run; what is left waits for the next run. */
  maxBatches: number;
  /** Security-log events older than this many days are deleted (`AUDIT_RETENTION_DAYS`, default 365). */
  auditRetentionDays?: number;
}

type Table = "oneTimeTokens" | "refreshTokens" | "sessions" | "auditEvents" | "outbox";
const TABLES: readonly Table[] = ["oneTimeTokens", "refreshTokens", "sessions", "auditEvents", "outbox"];

export interface SweepResult {
  oneTimeTokens: number;
  refreshTokens: number;
  /** Sessions that ended (revoked or expired) longer ago than the known-device window. */
  sessions: number;
  auditEvents: number;
  /** Mail sent or given up on a week ago. */
  outbox: number;
  /** True when another process held the sweep lock, so this run deleted nothing. */
  skipped: boolean;
}

/**
 * Deletes what can never be used again: one-time tokens that expired or were spent, the expired or
 * revoked refresh tokens of sessions that are over (no token of the family is live any more), sessions
 * that ended more than `KNOWN_DEVICE_DAYS` ago (until then their device label is known), security-log
 * events past retention, and mail sent or abandoned a week ago. While a
 * family lives, its spent tokens stay: presenting one again must still revoke the family. Each batch takes a
 * transaction-scoped advisory lock with `pg_try_advisory_xact_lock`, so replicas that sweep at the same
 * moment do not delete the same rows twice; a process that finds the lock taken stops this run.
 * @example
 * await sweepStaleRows(database.db, { before: new Date(), batchSize: 1000, maxBatches: 100 });
 */
export async function sweepStaleRows(db: Db, options: SweepOptions): Promise<SweepResult> {
  const result: SweepResult = {
    oneTimeTokens: 0,
    refreshTokens: 0,
    sessions: 0,
    auditEvents: 0,
    outbox: 0,
    skipped: false,
  };
  for (const table of TABLES) {
    for (let batch = 0; batch < options.maxBatches; batch++) {
      const deleted = await deleteBatch(db, table, options);
      if (deleted === null) return { ...result, skipped: true };
      result[table] += deleted;
      if (deleted < options.batchSize) break;
    }
  }
  return result;
}

/** One locked batch; null when the lock is held elsewhere. */
async function deleteBatch(
  db: Db,
  table: Table,
  { before, batchSize, auditRetentionDays = 365 }: SweepOptions,
): Promise<number | null> {
  try {
    return await db.transaction(async (tx) => {
      const locked = await tx.execute(sql`select pg_try_advisory_xact_lock(${SWEEP_LOCK_KEY}) as locked`);
      if (!rowsOf<{ locked: boolean }>(locked)[0]?.locked) return null;
      if (table === "oneTimeTokens") {
        const stale = tx
          .select({ tokenHash: oneTimeTokens.tokenHash })
          .from(oneTimeTokens)
          .where(or(lte(oneTimeTokens.expiresAt, before), lte(oneTimeTokens.usedAt, before)))
          .limit(batchSize);
        const rows = await tx
          .delete(oneTimeTokens)
          .where(inArray(oneTimeTokens.tokenHash, stale))
          .returning({ tokenHash: oneTimeTokens.tokenHash });
        return rows.length;
      }
      if (table === "sessions") {
        const endedBefore = new Date(before.getTime() - KNOWN_DEVICE_DAYS * DAY_MS);
        const stale = tx
          .select({ id: sessions.id })
          .from(sessions)
          .where(or(lte(sessions.expiresAt, endedBefore), lte(sessions.revokedAt, endedBefore)))
          .limit(batchSize);
        const rows = await tx
          .delete(sessions)
          .where(inArray(sessions.id, stale))
          .returning({ id: sessions.id });
        return rows.length;
      }
      if (table === "auditEvents") {
        const stale = tx
          .select({ id: auditEvents.id })
          .from(auditEvents)
          .where(lte(auditEvents.createdAt, new Date(before.getTime() - auditRetentionDays * DAY_MS)))
          .limit(batchSize);
        const rows = await tx
          .delete(auditEvents)
          .where(inArray(auditEvents.id, stale))
          .returning({ id: auditEvents.id });
        return rows.length;
      }
      if (table === "outbox") {
        const doneBefore = new Date(before.getTime() - SENT_MAIL_DAYS * DAY_MS);
        const stale = tx
          .select({ id: outbox.id })
          .from(outbox)
          .where(or(lte(outbox.sentAt, doneBefore), lte(outbox.failedAt, doneBefore)))
          .limit(batchSize);
        const rows = await tx.delete(outbox).where(inArray(outbox.id, stale)).returning({ id: outbox.id });
        return rows.length;
      }
      const liveFamilies = tx
        .select({ familyId: refreshTokens.familyId })
        .from(refreshTokens)
        .where(and(gt(refreshTokens.expiresAt, before), isNull(refreshTokens.revokedAt)));
      const stale = tx
        .select({ id: refreshTokens.id })
        .from(refreshTokens)
        .where(
          and(
            or(
              lte(refreshTokens.expiresAt, before),
              and(isNotNull(refreshTokens.revokedAt), lte(refreshTokens.revokedAt, before)),
            ),
            notInArray(refreshTokens.familyId, liveFamilies),
          ),
        )
        .limit(batchSize);
      const rows = await tx
        .delete(refreshTokens)
        .where(inArray(refreshTokens.id, stale))
        .returning({ id: refreshTokens.id });
      return rows.length;
    });
  } catch (error) {
    return translateDatabaseError(error);
  }
}

/** postgres.js answers `execute` with an array of rows, PGlite with `{ rows }`. */
function rowsOf<T>(result: unknown): T[] {
  if (Array.isArray(result)) return result as T[];
  return ((result as { rows?: T[] }).rows ?? []) as T[];
}
