import { and, asc, eq, isNull, lte, or, sql } from "drizzle-orm";
import { uuidv7 } from "uuidv7";
import type { Db } from "../db/client.js";
import { translateDatabaseError } from "../db/database-errors.js";
import { type OutboxRow, outbox } from "../db/schema.js";

/** The mails core queues; the api renders each kind from `data`. */
export type OutboxMailKind =
  | "new_sign_in"
  | "password_changed"
  | "email_changed"
  | "mfa_disabled"
  | "refresh_reuse_detected"
  | "identity_linked"
  | "identity_unlinked"
  | "provider_account_created";

export interface OutboxMail {
  kind: OutboxMailKind;
  to: string;
  /** The template's values: never a secret (a token, a code, a password). */
  data: Record<string, unknown>;
}

/**
 * Queues a mail in `db`, which should be the transaction of the change it is about: the mail is sent
 * exactly when that change commits, even if the process dies right after.
 */
export async function queueMail(db: Db, mail: OutboxMail, at: Date = new Date()): Promise<void> {
  await db.insert(outbox).values({
    id: uuidv7(),
    kind: mail.kind,
    recipient: mail.to,
    data: mail.data,
    createdAt: at,
    availableAt: at,
  });
}

/**
 * Claims up to `limit` due mails for `leaseMs`: `FOR UPDATE SKIP LOCKED` lets concurrent senders pass
 * each other's rows, and the lease (`lockedUntil`) keeps a claimed row from every other sender until it
 * is marked sent or failed, or the lease lapses because its sender died.
 */
export async function claimDueMail(
  db: Db,
  { now, leaseMs, limit }: { now: Date; leaseMs: number; limit: number },
): Promise<OutboxRow[]> {
  try {
    return await db.transaction(async (tx) => {
      const due = await tx
        .select({ id: outbox.id })
        .from(outbox)
        .where(
          and(
            isNull(outbox.sentAt),
            isNull(outbox.failedAt),
            lte(outbox.availableAt, now),
            or(isNull(outbox.lockedUntil), lte(outbox.lockedUntil, now)),
          ),
        )
        .orderBy(asc(outbox.availableAt))
        .limit(limit)
        .for("update", { skipLocked: true });
      if (due.length === 0) return [];
      const ids = due.map((row) => row.id);
      return tx
        .update(outbox)
        .set({ lockedUntil: new Date(now.getTime() + leaseMs), attempts: sql`${outbox.attempts} + 1` })
        .where(sql`${outbox.id} in ${ids}`)
        .returning();
    });
  } catch (error) {
    return translateDatabaseError(error);
  }
}

/** Marks a claimed mail sent. */
export async function markMailSent(db: Db, id: string, at: Date = new Date()): Promise<void> {
  await db.update(outbox).set({ sentAt: at, lockedUntil: null }).where(eq(outbox.id, id));
}

/** After a failed send: try again from `retryAt`, or never again when `retryAt` is null. */
export async function markMailFailed(
  db: Db,
  id: string,
  { retryAt, at = new Date() }: { retryAt: Date | null; at?: Date },
): Promise<void> {
  await db
    .update(outbox)
    .set(retryAt ? { availableAt: retryAt, lockedUntil: null } : { failedAt: at, lockedUntil: null })
    .where(eq(outbox.id, id));
}
