import { createHmac } from "node:crypto";
import { and, desc, eq, gte, lt, lte, or, type SQL } from "drizzle-orm";
import { uuidv7 } from "uuidv7";
import type { Db } from "../db/client.js";
import { translateDatabaseError } from "../db/database-errors.js";
import { type AuditEventRow, auditEvents } from "../db/schema.js";
import { InvalidCursorError } from "../errors.js";
import { normalizeEmail } from "../users/user.js";

export const AUDIT_EVENT_TYPES = [
  "user.registered",
  "login.succeeded",
  "login.failed",
  "mfa.failed",
  "password.changed",
  "password.reset",
  "email.changed",
  "email.verified",
  "mfa.enabled",
  "mfa.disabled",
  "passkey.added",
  "passkey.removed",
  "session.revoked",
  "sessions.revoked_all",
  "refresh.reuse_detected",
  "user.updated_by_admin",
  "user.deleted",
  "identity.linked",
  "identity.unlinked",
] as const;

export type AuditEventType = (typeof AUDIT_EVENT_TYPES)[number];

/**
 * Who asked for a change and from where, handed by the api to the core services that record it. Core
 * knows nothing of HTTP: the api fills this from the request (client address, user agent, request id)
 * and the signed-in user. Absent fields are stored as null; an absent actor is the subject user when
 * there is one, else the system.
 */
export interface AuditContext {
  actor?: { type: "user" | "superuser" | "system"; id?: string | null } | undefined;
  /** The client address; null when addresses are not stored. */
  ip?: string | null | undefined;
  userAgent?: string | null | undefined;
  requestId?: string | null | undefined;
  /** Browser and operating system read from the user agent, for session labels and new-device mail. */
  device?: string | null | undefined;
  /** Told of each event once it is inserted (the api counts them for /metrics). */
  onRecorded?: ((type: AuditEventType) => void) | undefined;
}

export interface AuditEventInput {
  type: AuditEventType;
  /** The subject user; null when unknown (a failed login for an email nobody has). */
  userId: string | null;
  /** Never a password, token, code or hash. */
  details?: Record<string, unknown>;
}

/** A user agent longer than this is cut: it is a label, and the column must not grow without bound. */
const MAX_USER_AGENT_LENGTH = 512;

export function truncateUserAgent(userAgent: string | null | undefined): string | null {
  return userAgent ? userAgent.slice(0, MAX_USER_AGENT_LENGTH) : null;
}

/**
 * Inserts one security-log event with `db`, which should be the transaction of the change it records:
 * then the event exists exactly when the change committed.
 */
export async function recordAuditEvent(
  db: Db,
  event: AuditEventInput,
  context: AuditContext = {},
  at: Date = new Date(),
): Promise<AuditEventRow> {
  const actorType = context.actor?.type ?? (event.userId ? "user" : "system");
  const actorId =
    context.actor !== undefined ? (context.actor.id ?? null) : actorType === "user" ? event.userId : null;
  const [row] = await db
    .insert(auditEvents)
    .values({
      id: uuidv7(),
      type: event.type,
      createdAt: at,
      actorType,
      actorId,
      userId: event.userId,
      ip: context.ip ?? null,
      userAgent: truncateUserAgent(context.userAgent),
      requestId: context.requestId ?? null,
      details: event.details ?? {},
    })
    .returning();
  if (!row) throw new Error("audit event insert returned no row");
  context.onRecorded?.(event.type);
  return row;
}

/**
 * A keyed HMAC-SHA256 of the normalised email: failed logins for one unknown address can be correlated
 * without the address being stored. Without the key, the value cannot be tested against a list of emails.
 */
export function emailFingerprint(key: string, email: string): string {
  return createHmac("sha256", key).update(normalizeEmail(email), "utf8").digest("base64url");
}

export interface AuditEventQuery {
  userId?: string | undefined;
  type?: string | undefined;
  since?: Date | undefined;
  until?: Date | undefined;
  limit: number;
  /** From a previous page's `nextCursor`. */
  cursor?: string | undefined;
}

export interface AuditEventPage {
  items: AuditEventRow[];
  /** Null on the last page. */
  nextCursor: string | null;
}

/**
 * Newest first, by `(createdAt, id)` descending. The cursor names the last row shown, so a page starts
 * strictly after it: rows inserted meanwhile (newer) never shift later pages, and none repeats or is skipped.
 * @throws InvalidCursorError for a cursor this function did not produce
 */
export async function listAuditEvents(db: Db, query: AuditEventQuery): Promise<AuditEventPage> {
  const conditions: SQL[] = [];
  if (query.userId !== undefined) conditions.push(eq(auditEvents.userId, query.userId));
  if (query.type !== undefined) conditions.push(eq(auditEvents.type, query.type));
  if (query.since !== undefined) conditions.push(gte(auditEvents.createdAt, query.since));
  if (query.until !== undefined) conditions.push(lte(auditEvents.createdAt, query.until));
  if (query.cursor !== undefined) {
    const after = decodeCursor(query.cursor);
    const before = or(
      lt(auditEvents.createdAt, after.createdAt),
      and(eq(auditEvents.createdAt, after.createdAt), lt(auditEvents.id, after.id)),
    );
    if (before) conditions.push(before);
  }
  try {
    const rows = await db
      .select()
      .from(auditEvents)
      .where(and(...conditions))
      .orderBy(desc(auditEvents.createdAt), desc(auditEvents.id))
      .limit(query.limit + 1);
    const items = rows.slice(0, query.limit);
    const last = items[items.length - 1];
    return { items, nextCursor: rows.length > query.limit && last ? encodeCursor(last) : null };
  } catch (error) {
    return translateDatabaseError(error);
  }
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

function encodeCursor(row: Pick<AuditEventRow, "createdAt" | "id">): string {
  return Buffer.from(`${row.createdAt.getTime()}.${row.id}`, "utf8").toString("base64url");
}

function decodeCursor(cursor: string): { createdAt: Date; id: string } {
  const [millis, id, ...rest] = Buffer.from(cursor, "base64url").toString("utf8").split(".");
  const createdAt = new Date(Number(millis));
  if (
    rest.length > 0 ||
    !id ||
    !UUID.test(id) ||
    !/^\d{1,15}$/.test(millis ?? "") ||
    Number.isNaN(createdAt.getTime())
  )
    throw new InvalidCursorError();
  return { createdAt, id };
}
