import { and, desc, eq, gt, isNull, sql } from "drizzle-orm";
import type { Db } from "../db/client.js";
import { type SessionRow, sessions } from "../db/schema.js";

/** How far back a device label counts as known: a sign-in from any other is announced by mail. */
export const KNOWN_DEVICE_DAYS = 90;

export interface NewSession {
  id: string;
  userId: string;
  at: Date;
  expiresAt: Date;
  ip: string | null;
  userAgent: string | null;
  device: string | null;
}

export async function insertSession(tx: Db, session: NewSession): Promise<void> {
  await tx.insert(sessions).values({
    id: session.id,
    userId: session.userId,
    createdAt: session.at,
    lastUsedAt: session.at,
    expiresAt: session.expiresAt,
    ip: session.ip,
    userAgent: session.userAgent,
    device: session.device,
  });
}

/** A refresh: the session was used now and lives until the new refresh token expires. */
export async function touchSession(tx: Db, id: string, at: Date, expiresAt: Date): Promise<void> {
  await tx.update(sessions).set({ lastUsedAt: at, expiresAt }).where(eq(sessions.id, id));
}

/** Ends one session; false when it had ended already (it keeps its first `revokedAt`). */
export async function endSession(tx: Db, id: string, at: Date): Promise<boolean> {
  const rows = await tx
    .update(sessions)
    .set({ revokedAt: at })
    .where(and(eq(sessions.id, id), isNull(sessions.revokedAt)))
    .returning({ id: sessions.id });
  return rows.length > 0;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** The user's session with this id if it is live; null for an unknown, foreign, ended or expired one. */
export async function findLiveSession(
  db: Db,
  userId: string,
  id: string,
  now: Date,
): Promise<SessionRow | null> {
  if (!UUID.test(id)) return null;
  const [row] = await db
    .select()
    .from(sessions)
    .where(
      and(
        eq(sessions.id, id),
        eq(sessions.userId, userId),
        isNull(sessions.revokedAt),
        gt(sessions.expiresAt, now),
      ),
    )
    .limit(1);
  return row ?? null;
}

/** Ends every live session of the user. */
export async function endUserSessions(tx: Db, userId: string, at: Date): Promise<number> {
  const rows = await tx
    .update(sessions)
    .set({ revokedAt: at })
    .where(and(eq(sessions.userId, userId), isNull(sessions.revokedAt)))
    .returning({ id: sessions.id });
  return rows.length;
}

/** The user's live sessions (not ended, not expired), newest first. */
export async function listLiveSessions(db: Db, userId: string, now: Date): Promise<SessionRow[]> {
  return db
    .select()
    .from(sessions)
    .where(and(eq(sessions.userId, userId), isNull(sessions.revokedAt), gt(sessions.expiresAt, now)))
    .orderBy(desc(sessions.createdAt), desc(sessions.id));
}

/**
 * Whether this sign-in deserves a "new device" mail: the user has signed in before, and never from a
 * browser with this label in the last `KNOWN_DEVICE_DAYS`. Without a label there is nothing to compare.
 */
export async function isNewDevice(
  tx: Db,
  userId: string,
  device: string | null,
  now: Date,
): Promise<boolean> {
  if (!device) return false;
  const since = new Date(now.getTime() - KNOWN_DEVICE_DAYS * 24 * 3600 * 1000);
  const rows = await tx
    .select({
      any: sql<number>`count(*)::int`,
      same: sql<number>`count(*) filter (where ${sessions.device} = ${device})::int`,
    })
    .from(sessions)
    .where(and(eq(sessions.userId, userId), gt(sessions.createdAt, since)));
  const counts = rows[0];
  return (counts?.any ?? 0) > 0 && (counts?.same ?? 0) === 0;
}
