import { and, asc, count, desc, eq, isNotNull, isNull, type SQL, sql } from "drizzle-orm";
import { uuidv7 } from "uuidv7";
import type { Db } from "../db/client.js";
import { translateDatabaseError } from "../db/database-errors.js";
import { sessions, users } from "../db/schema.js";
import { DomainError } from "../errors.js";
import { normalizeEmail, type User } from "./user.js";

/** A user with the password hash: only the repository and the user service ever see one. */
export type UserRecord = User & { hashedPassword: string };

export interface NewUser {
  email: string;
  hashedPassword: string;
  fullName?: string | null | undefined;
  isSuperuser?: boolean | undefined;
  isActive?: boolean | undefined;
  /** Set when someone trusted vouches for the address (an operator creating a superuser). */
  emailVerified?: boolean | undefined;
}

export interface UserPatch {
  email?: string | undefined;
  fullName?: string | null | undefined;
  isActive?: boolean | undefined;
  isSuperuser?: boolean | undefined;
  hashedPassword?: string | undefined;
  passwordChangedAt?: Date | undefined;
  emailVerifiedAt?: Date | null | undefined;
}

const userColumns = {
  id: users.id,
  email: users.email,
  fullName: users.fullName,
  isActive: users.isActive,
  isSuperuser: users.isSuperuser,
  emailVerifiedAt: users.emailVerifiedAt,
  passwordChangedAt: users.passwordChangedAt,
  mfaEnabled: users.mfaEnabled,
  createdAt: users.createdAt,
  updatedAt: users.updatedAt,
};
const recordColumns = { ...userColumns, hashedPassword: users.hashedPassword };

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/** A string that is not a uuid names no user; asking Postgres would only raise a cast error. */
const isUuid = (id: string) => UUID.test(id);

/**
 * The two lookups on every request path (/me by id, login by email) are built once per database as
 * prepared queries: the SQL is not rebuilt per call, and postgres.js keeps a named statement per
 * connection so PostgreSQL parses and plans them once (ad-hoc Drizzle queries go unnamed, parsed every
 * time). Keyed weakly by `db`, so a closed test database takes its statements with it.
 */
const preparedLookups = new WeakMap<Db, ReturnType<typeof prepareLookups>>();

function prepareLookups(db: Db) {
  return {
    byId: db
      .select(userColumns)
      .from(users)
      .where(eq(users.id, sql.placeholder("id")))
      .limit(1)
      .prepare("user_by_id"),
    byEmail: db
      .select(recordColumns)
      .from(users)
      .where(sql`lower(${users.email}) = ${sql.placeholder("email")}`)
      .limit(1)
      .prepare("user_by_email"),
    byIdWithSession: db
      .select({ ...userColumns, sessionId: sessions.id, sessionRevokedAt: sessions.revokedAt })
      .from(users)
      .leftJoin(sessions, and(eq(sessions.id, sql.placeholder("sessionId")), eq(sessions.userId, users.id)))
      .where(eq(users.id, sql.placeholder("id")))
      .limit(1)
      .prepare("user_by_id_with_session"),
  };
}

function lookups(db: Db) {
  let prepared = preparedLookups.get(db);
  if (!prepared) {
    prepared = prepareLookups(db);
    preparedLookups.set(db, prepared);
  }
  return prepared;
}

/** Drops the hash: the shape everything outside core works with. */
export function toUser(record: UserRecord): User {
  const { hashedPassword: _hash, ...user } = record;
  return user;
}

/**
 * Inserts a user with a new time-ordered id and the normalised email.
 * @throws EmailTakenError when the email (case-insensitively) exists, even under a concurrent insert.
 */
export async function createUser(db: Db, input: NewUser): Promise<User> {
  const now = new Date();
  try {
    const [row] = await db
      .insert(users)
      .values({
        id: uuidv7(),
        email: normalizeEmail(input.email),
        hashedPassword: input.hashedPassword,
        fullName: input.fullName ?? null,
        isSuperuser: input.isSuperuser ?? false,
        isActive: input.isActive ?? true,
        emailVerifiedAt: input.emailVerified ? now : null,
        passwordChangedAt: now,
        createdAt: now,
        updatedAt: now,
      })
      .returning(userColumns);
    if (!row) throw new Error("insert returned no row");
    return row;
  } catch (error) {
    return translateDatabaseError(error);
  }
}

/** Looks a user up by email, case-insensitively (through the `lower(email)` index). */
export async function getUserByEmail(db: Db, email: string): Promise<UserRecord | null> {
  // No stored email can contain U+0000 (PostgreSQL text refuses it), so there is nothing to look up.
  if (email.includes("\u0000")) return null;
  try {
    const [row] = await lookups(db).byEmail.execute({ email: normalizeEmail(email) });
    return row ?? null;
  } catch (error) {
    return translateDatabaseError(error);
  }
}

export async function getUserById(db: Db, id: string): Promise<User | null> {
  if (!isUuid(id)) return null;
  try {
    const [row] = await lookups(db).byId.execute({ id });
    return row ?? null;
  } catch (error) {
    return translateDatabaseError(error);
  }
}

/**
 * The user and whether the named session of theirs is still live, in one round trip (this runs on every
 * authenticated request). `sessionLive` is false for an unknown, foreign or ended session.
 */
export async function getUserWithSession(
  db: Db,
  id: string,
  sessionId: string,
): Promise<{ user: User; sessionLive: boolean } | null> {
  if (!isUuid(id)) return null;
  try {
    if (!isUuid(sessionId)) {
      const [row] = await lookups(db).byId.execute({ id });
      return row ? { user: row, sessionLive: false } : null;
    }
    const [row] = await lookups(db).byIdWithSession.execute({ id, sessionId });
    if (!row) return null;
    const { sessionId: found, sessionRevokedAt, ...user } = row;
    return { user, sessionLive: found !== null && sessionRevokedAt === null };
  } catch (error) {
    return translateDatabaseError(error);
  }
}

/** Like `getUserById`, with the hash, for password checks. */
export async function getUserRecordById(db: Db, id: string): Promise<UserRecord | null> {
  if (!isUuid(id)) return null;
  try {
    const [row] = await db.select(recordColumns).from(users).where(eq(users.id, id)).limit(1);
    return row ?? null;
  } catch (error) {
    return translateDatabaseError(error);
  }
}

/**
 * Reads the user with the hash and locks the row until the transaction ends: `update` for a change that
 * moves the token boundary (or writes the row), `share` for minting tokens. Every path locks the user row
 * before any refresh_tokens or one_time_tokens row, so two of them never wait on each other in a cycle.
 * Must run inside a transaction (`tx`).
 */
export async function lockUserRecord(
  tx: Db,
  id: string,
  strength: "update" | "share",
): Promise<UserRecord | null> {
  if (!isUuid(id)) return null;
  try {
    const [row] = await tx.select(recordColumns).from(users).where(eq(users.id, id)).limit(1).for(strength);
    return row ?? null;
  } catch (error) {
    return translateDatabaseError(error);
  }
}

/**
 * Applies the given fields (others untouched) and bumps `updatedAt`. A new email that differs from the
 * stored one clears `emailVerifiedAt` (decided in the same statement, so it cannot race another change).
 * @returns the updated user, or null when there is no such user.
 * @throws EmailTakenError when the new email belongs to someone else.
 */
export async function updateUser(db: Db, id: string, patch: UserPatch): Promise<User | null> {
  if (!isUuid(id)) return null;
  const values: { [K in keyof typeof users.$inferInsert]?: (typeof users.$inferInsert)[K] | SQL } = {
    updatedAt: new Date(),
  };
  if (patch.email !== undefined) {
    const email = normalizeEmail(patch.email);
    values.email = email;
    values.emailVerifiedAt = sql`case when lower(${users.email}) = ${email} then ${users.emailVerifiedAt} else null end`;
  }
  if (patch.emailVerifiedAt !== undefined) values.emailVerifiedAt = patch.emailVerifiedAt;
  if (patch.fullName !== undefined) values.fullName = patch.fullName;
  if (patch.isActive !== undefined) values.isActive = patch.isActive;
  if (patch.isSuperuser !== undefined) values.isSuperuser = patch.isSuperuser;
  if (patch.hashedPassword !== undefined) values.hashedPassword = patch.hashedPassword;
  if (patch.passwordChangedAt !== undefined) values.passwordChangedAt = patch.passwordChangedAt;
  try {
    const [row] = await db.update(users).set(values).where(eq(users.id, id)).returning(userColumns);
    return row ?? null;
  } catch (error) {
    return translateDatabaseError(error);
  }
}

/**
 * Stores a new hash of the SAME password, only while the stored hash is still `previousHash` (one
 * conditional statement, so a password changed meanwhile is never overwritten with a hash of the old
 * one). Touches nothing else: not `passwordChangedAt` (no token is revoked by it), not `updatedAt`
 * (nothing the user sees changed).
 * @returns whether the hash was replaced.
 */
export async function replacePasswordHash(
  db: Db,
  id: string,
  { previousHash, newHash }: { previousHash: string; newHash: string },
): Promise<boolean> {
  if (!isUuid(id)) return false;
  try {
    const rows = await db
      .update(users)
      .set({ hashedPassword: newHash })
      .where(and(eq(users.id, id), eq(users.hashedPassword, previousHash)))
      .returning({ id: users.id });
    return rows.length > 0;
  } catch (error) {
    return translateDatabaseError(error);
  }
}

/** @returns whether a user was deleted. */
export async function deleteUser(db: Db, id: string): Promise<boolean> {
  if (!isUuid(id)) return false;
  try {
    const rows = await db.delete(users).where(eq(users.id, id)).returning({ id: users.id });
    return rows.length > 0;
  } catch (error) {
    return translateDatabaseError(error);
  }
}

export interface Page {
  /** 1–100 rows. */
  limit: number;
  /** Rows to skip, ≥ 0. */
  offset: number;
}

/** How an administrator narrows and orders the list; every field is optional and all of them combine. */
export interface UserListQuery extends Page {
  /** Emails starting with this text, compared case-insensitively (emails are stored lower-cased). */
  emailPrefix?: string | undefined;
  isActive?: boolean | undefined;
  isSuperuser?: boolean | undefined;
  emailVerified?: boolean | undefined;
  mfaEnabled?: boolean | undefined;
  /** Default `created_at`, oldest first. */
  sort?: "created_at" | "email" | undefined;
  order?: "asc" | "desc" | undefined;
}

/** `%`, `_` and the escape character itself are literal in a search, not LIKE wildcards. */
function escapeLike(text: string): string {
  return text.replace(/[\\%_]/g, (character) => `\\${character}`);
}

function listFilter(query: UserListQuery): SQL | undefined {
  const conditions: SQL[] = [];
  if (query.emailPrefix !== undefined && query.emailPrefix !== "") {
    // The same expression as users_email_lower_pattern_idx (text_pattern_ops), so a prefix is an index
    // range scan on any collation; a substring search would need pg_trgm, which PGlite does not load.
    conditions.push(sql`lower(${users.email}) like ${`${escapeLike(query.emailPrefix.toLowerCase())}%`}`);
  }
  if (query.isActive !== undefined) conditions.push(eq(users.isActive, query.isActive));
  if (query.isSuperuser !== undefined) conditions.push(eq(users.isSuperuser, query.isSuperuser));
  if (query.mfaEnabled !== undefined) conditions.push(eq(users.mfaEnabled, query.mfaEnabled));
  if (query.emailVerified !== undefined)
    conditions.push(query.emailVerified ? isNotNull(users.emailVerifiedAt) : isNull(users.emailVerifiedAt));
  return conditions.length > 0 ? and(...conditions) : undefined;
}

/**
 * One page of users and how many match. Oldest first unless `sort`/`order` say otherwise; ties are broken
 * by id in the same direction, so pages never overlap.
 */
export async function listUsers(db: Db, query: UserListQuery): Promise<{ items: User[]; total: number }> {
  const direction = query.order === "desc" ? desc : asc;
  // lower(email) is what the unique index holds, so sorting by it can walk that index.
  const key = query.sort === "email" ? sql`lower(${users.email})` : users.createdAt;
  const where = listFilter(query);
  try {
    const [items, totals] = await Promise.all([
      db
        .select(userColumns)
        .from(users)
        .where(where)
        .orderBy(direction(key), direction(users.id))
        .limit(query.limit)
        .offset(query.offset),
      db.select({ total: count() }).from(users).where(where),
    ]);
    return { items, total: totals[0]?.total ?? 0 };
  } catch (error) {
    return translateDatabaseError(error);
  }
}

/**
 * Runs `work` in a transaction that first locks every active superuser row (`SELECT … FOR UPDATE`, in id
 * order so two callers never deadlock) and hands it their ids. Two concurrent "demote the other one"
 * requests then serialise: the second re-reads the rows after the first commits and sees one superuser
 * left. PGlite has a single connection, so there the transaction alone serialises them.
 */
export async function withActiveSuperusersLocked<T>(
  db: Db,
  work: (tx: Db, activeSuperuserIds: string[]) => Promise<T>,
): Promise<T> {
  try {
    return await db.transaction(async (tx) => work(tx, await lockActiveSuperusers(tx)));
  } catch (error) {
    if (error instanceof DomainError) throw error;
    return translateDatabaseError(error);
  }
}

/** Inside a transaction: locks every active superuser row `FOR UPDATE`, in id order, and returns their ids. */
export async function lockActiveSuperusers(tx: Db): Promise<string[]> {
  const rows = await tx
    .select({ id: users.id })
    .from(users)
    .where(and(eq(users.isSuperuser, true), eq(users.isActive, true)))
    .orderBy(asc(users.id))
    .for("update");
  return rows.map((row) => row.id);
}
