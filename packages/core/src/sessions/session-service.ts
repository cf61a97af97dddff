import { createCipheriv, createDecipheriv, createHash, hkdfSync, randomBytes } from "node:crypto";
import { and, eq, isNotNull, isNull, lt, or } from "drizzle-orm";
import { uuidv7 } from "uuidv7";
import { type AuditContext, recordAuditEvent, truncateUserAgent } from "../audit/audit-log.js";
import type { Db } from "../db/client.js";
import { translateDatabaseError } from "../db/database-errors.js";
import { type RefreshTokenRow, refreshTokens, type SessionRow } from "../db/schema.js";
import {
  AccountDeactivatedError,
  DomainError,
  EmailNotVerifiedError,
  InvalidCredentialsError,
  InvalidRefreshTokenError,
  SessionNotFoundError,
  UserNotFoundError,
} from "../errors.js";
import { queueMail } from "../outbox/outbox.js";
import type { AccessTokenIssuer, AccessTokenSession } from "../ports.js";
import { endEverySession } from "../users/session-boundary.js";
import { tokensValidFrom, type User } from "../users/user.js";
import {
  getUserById,
  lockUserRecord,
  replacePasswordHash,
  toUser,
  updateUser,
} from "../users/user-repository.js";
import type { PasswordRehash } from "../users/user-service.js";
import {
  endSession,
  findLiveSession,
  insertSession,
  isNewDevice,
  listLiveSessions,
  touchSession,
} from "./session-repository.js";

export const DEFAULT_REFRESH_TOKEN_TTL_SECONDS = 30 * 24 * 3600;
export const DEFAULT_REFRESH_REUSE_GRACE_SECONDS = 10;

export interface SessionServiceDeps {
  db: Db;
  accessTokens: AccessTokenIssuer;
  /**
   * Secret from which the key that encrypts the grace-window cache is derived (HKDF-SHA256); the api
   * passes JWT_SECRET. Only a pair issued in the last few seconds is ever encrypted with it.
   */
  secret: string;
  refreshTokenTtlSeconds?: number;
  /** How long after a refresh a duplicate of it gets the same pair instead of revoking the family. 0 = never. */
  reuseGraceSeconds?: number;
  /**
   * Refuse to refresh (EmailNotVerifiedError) while the user's email is unverified: the rule login applies
   * under REQUIRE_VERIFIED_EMAIL, so a session started before the rule (or before an email change) cannot
   * be kept alive past it. The refused token is not spent.
   */
  requireVerifiedEmail?: boolean;
  /** Injected clock for tests; epoch milliseconds. */
  now?: () => number;
}

/** What a login or a refresh hands the client (RFC 6749 §5.1, in domain names). */
export interface SessionTokens {
  accessToken: string;
  /** Seconds the access token has left. */
  expiresIn: number;
  /** Opaque: base64url of 32 random bytes. Only its SHA-256 hash is stored. */
  refreshToken: string;
  /** Seconds the refresh token has left. */
  refreshExpiresIn: number;
}

export interface SessionService {
  /**
   * Starts a session (a new refresh-token family) for a user who has just authenticated, as `authenticate`
   * returned them; `amr` says how (RFC 8176, e.g. `["pwd"]`), is kept on the session and goes into every
   * access token of it, refreshed ones included. Locks
   * the user row and refuses when, since then, the password or the token boundary moved or the user was
   * deactivated or deleted: a login in flight must not outlive a password change. A `rehash` (a stronger
   * hash of the password that just verified, made before this transaction) is stored in the same
   * transaction, only while the stored hash is still the one it replaces; the boundary does not move.
   * @throws InvalidCredentialsError (the answer a wrong password gets)
   */
  start(
    user: User,
    options?: { amr?: string[]; context?: AuditContext; rehash?: PasswordRehash; method?: string },
  ): Promise<SessionTokens>;
  /**
   * Spends the refresh token and returns a new pair (rotation). A spent token presented again revokes
   * its whole family, except within the grace window, where it gets the pair its first use got.
   * @throws InvalidRefreshTokenError; EmailNotVerifiedError under `requireVerifiedEmail`
   */
  refresh(refreshToken: string, context?: AuditContext): Promise<SessionTokens>;
  /** Revokes the family of this refresh token; an unknown or spent token is silently ignored. */
  logout(refreshToken: string, context?: AuditContext): Promise<void>;
  /**
   * Revokes every refresh token of the user and moves the user's token boundary (`passwordChangedAt`),
   * so every access token issued until now is refused as well; outstanding reset and verification links
   * are spent too. Serialised with refresh on the user row, so no successor escapes.
   * @throws UserNotFoundError
   */
  logoutAll(userId: string, context?: AuditContext): Promise<void>;
  /** The user's live sessions, newest first. */
  listSessions(userId: string): Promise<SessionRow[]>;
  /**
   * Ends one session of the user: its refresh tokens are revoked, and its access tokens are refused from
   * the next request on (their `sid` names an ended session).
   * @throws SessionNotFoundError when the user has no such session (someone else's included)
   */
  endSession(userId: string, sessionId: string, context?: AuditContext): Promise<void>;
}

/** Stored in `successorCiphertext` for the grace window. */
interface CachedPair {
  accessToken: string;
  /** Epoch ms when the access token expires. */
  accessExpiresAt: number;
  refreshToken: string;
  /** Epoch ms when the refresh token expires. */
  refreshExpiresAt: number;
}

/**
 * Refresh-token sessions over any `Db`: opaque rotating refresh tokens, reuse detection by family, and
 * revocation. Race-safe on PostgreSQL and PGlite: of two concurrent refreshes with one token, the
 * conditional `UPDATE … WHERE used_at IS NULL` lets exactly one win; the winner's transaction holds
 * the row until the successor pair is stored, so the loser then reads that pair. Minting (start,
 * refresh) holds the user row `FOR SHARE` and every boundary move holds it `FOR UPDATE` (see
 * `tokensValidFrom`); the user row is always locked before any refresh_tokens row.
 * @example
 * const sessions = createSessionService({ db, secret, accessTokens: tokenService });
 * const pair = await sessions.start(await users.authenticate(credentials));
 * const next = await sessions.refresh(pair.refreshToken);
 */
export function createSessionService(deps: SessionServiceDeps): SessionService {
  const { db, accessTokens } = deps;
  const ttlMs = (deps.refreshTokenTtlSeconds ?? DEFAULT_REFRESH_TOKEN_TTL_SECONDS) * 1000;
  const graceMs = (deps.reuseGraceSeconds ?? DEFAULT_REFRESH_REUSE_GRACE_SECONDS) * 1000;
  const now = deps.now ?? Date.now;
  const requireVerifiedEmail = deps.requireVerifiedEmail ?? false;
  const cacheKey = Buffer.from(
    hkdfSync("sha256", deps.secret, Buffer.alloc(0), "refresh-token grace-window cache v1", 32),
  );

  return {
    async start(authenticated, { amr, context = {}, rehash, method } = {}) {
      return guard(() =>
        db.transaction(async (tx) => {
          // A login that writes the row locks it for that from the start: two logins holding it FOR SHARE
          // and both upgrading to write would deadlock.
          const record = await lockUserRecord(tx, authenticated.id, rehash ? "update" : "share");
          // Every password change moves passwordChangedAt, so an equal boundary also means the password
          // that was just checked is still the stored one.
          if (
            !record?.isActive ||
            record.passwordChangedAt.getTime() !== authenticated.passwordChangedAt.getTime()
          )
            throw new InvalidCredentialsError();
          // Conditional on the old hash as well: belt and braces over the boundary check above.
          if (rehash) await replacePasswordHash(tx, record.id, rehash);
          const user = toUser(record);
          const at = now();
          // Each login sweeps the user's dead rows, so the table holds live sessions, not history.
          await tx
            .delete(refreshTokens)
            .where(and(eq(refreshTokens.userId, user.id), lt(refreshTokens.expiresAt, new Date(at))));
          const sessionId = uuidv7();
          const device = context.device ?? null;
          const newDevice = await isNewDevice(tx, user.id, device, new Date(at));
          await insertSession(tx, {
            id: sessionId,
            userId: user.id,
            at: new Date(at),
            expiresAt: new Date(at + ttlMs),
            ip: context.ip ?? null,
            userAgent: truncateUserAgent(context.userAgent),
            device,
            amr: amr ?? null,
          });
          await recordAuditEvent(
            tx,
            {
              type: "login.succeeded",
              userId: user.id,
              details: { session_id: sessionId, device, amr, ...(method ? { method } : {}) },
            },
            { ...context, actor: { type: "user", id: user.id } },
            new Date(at),
          );
          if (newDevice) {
            await queueMail(
              tx,
              {
                kind: "new_sign_in",
                to: user.email,
                data: { device, ip: context.ip ?? null, at: new Date(at).toISOString() },
              },
              new Date(at),
            );
          }
          return issuePair(tx, user, { id: sessionId, ...(amr ? { amr } : {}) }, at);
        }),
      );
    },

    async refresh(refreshToken, context = {}) {
      const tokenHash = hashToken(refreshToken);
      const outcome = await guard(() =>
        db.transaction(async (tx) => {
          const [presented] = await tx
            .select({ userId: refreshTokens.userId })
            .from(refreshTokens)
            .where(eq(refreshTokens.tokenHash, tokenHash))
            .limit(1);
          if (!presented) throw new InvalidRefreshTokenError();
          // The user row first: a concurrent logout-all or password change either finished before (and
          // revoked this token) or waits until the successor exists (and revokes it too).
          const locked = await lockUserRecord(tx, presented.userId, "share");
          // Whoever holds one of the account's refresh tokens, in any state, is told why it stopped.
          if (locked && !locked.isActive) throw new AccountDeactivatedError();
          const at = now();
          const [spent] = await tx
            .update(refreshTokens)
            .set({ usedAt: new Date(at) })
            .where(
              and(
                eq(refreshTokens.tokenHash, tokenHash),
                isNull(refreshTokens.usedAt),
                isNull(refreshTokens.revokedAt),
              ),
            )
            .returning();
          if (!spent) return { won: false as const };
          if (spent.expiresAt.getTime() <= at) throw new InvalidRefreshTokenError();
          const user = validUser(locked ? toUser(locked) : null, spent);
          // The refreshed access token says how the session's login was proved, as the first one did.
          const { amr } = await touchSession(tx, spent.familyId, new Date(at), new Date(at + ttlMs));
          const pair = await issuePair(
            tx,
            user,
            { id: spent.familyId, ...(amr ? { amr } : {}) },
            at,
            spent.id,
          );
          // Dead grace caches of this user are cleared on the way.
          await tx
            .update(refreshTokens)
            .set({ successorCiphertext: null })
            .where(
              and(
                eq(refreshTokens.userId, user.id),
                isNotNull(refreshTokens.successorCiphertext),
                lt(refreshTokens.usedAt, new Date(at - graceMs)),
              ),
            );
          return { won: true as const, pair };
        }),
      );
      if (outcome.won) return outcome.pair;
      return guard(() => replayOrRevoke(tokenHash, context));
    },

    async logout(refreshToken, context = {}) {
      await guard(async () => {
        const [row] = await db
          .select({ familyId: refreshTokens.familyId, userId: refreshTokens.userId })
          .from(refreshTokens)
          .where(eq(refreshTokens.tokenHash, hashToken(refreshToken)))
          .limit(1);
        if (row) await revokeFamily(row, { reason: "logout", context });
      });
    },

    async logoutAll(userId, context = {}) {
      await guard(() =>
        db.transaction(async (tx) => {
          const user = await lockUserRecord(tx, userId, "update");
          if (!user) throw new UserNotFoundError();
          const at = new Date(now());
          const passwordChangedAt = await endEverySession(tx, user, at);
          await updateUser(tx, userId, { passwordChangedAt });
          await recordAuditEvent(tx, { type: "sessions.revoked_all", userId }, context, at);
        }),
      );
    },

    async listSessions(userId) {
      return guard(() => listLiveSessions(db, userId, new Date(now())));
    },

    async endSession(userId, sessionId, context = {}) {
      const session = await guard(() => findLiveSession(db, userId, sessionId, new Date(now())));
      if (!session) throw new SessionNotFoundError();
      await guard(() => revokeFamily({ familyId: session.id, userId }, { reason: "ended", context }));
    },
  };

  /** The loser of a race, or a replay: the cached pair inside the grace window, else the family dies. */
  async function replayOrRevoke(tokenHash: string, context: AuditContext): Promise<SessionTokens> {
    const at = now();
    const [row] = await db
      .select()
      .from(refreshTokens)
      .where(eq(refreshTokens.tokenHash, tokenHash))
      .limit(1);
    if (!row || row.revokedAt !== null || row.usedAt === null) throw new InvalidRefreshTokenError();
    const withinGrace = at - row.usedAt.getTime() <= graceMs;
    if (withinGrace && row.successorCiphertext !== null && row.replacedById !== null) {
      const [successor] = await db
        .select({ revokedAt: refreshTokens.revokedAt })
        .from(refreshTokens)
        .where(eq(refreshTokens.id, row.replacedById))
        .limit(1);
      if (successor && successor.revokedAt === null) {
        validUser(await getUserById(db, row.userId), row);
        const cached = decrypt(row.successorCiphertext);
        return {
          accessToken: cached.accessToken,
          expiresIn: Math.max(0, Math.floor((cached.accessExpiresAt - at) / 1000)),
          refreshToken: cached.refreshToken,
          refreshExpiresIn: Math.max(0, Math.floor((cached.refreshExpiresAt - at) / 1000)),
        };
      }
    }
    // A spent token seen again: someone holds a copy. Kill everything descended from that login.
    await revokeFamily(row, { reason: "reuse", context });
    throw new InvalidRefreshTokenError();
  }

  /** The token's user, if it may still refresh: present, active, no password change since, and verified if required. */
  function validUser(user: User | null, row: RefreshTokenRow): User {
    if (!user?.isActive) throw new InvalidRefreshTokenError();
    if (Math.floor(row.issuedAt.getTime() / 1000) < tokensValidFrom(user))
      throw new InvalidRefreshTokenError();
    if (requireVerifiedEmail && user.emailVerifiedAt === null) throw new EmailNotVerifiedError();
    return user;
  }

  async function issuePair(
    tx: Db,
    user: User,
    session: AccessTokenSession,
    at: number,
    predecessorId?: string,
  ): Promise<SessionTokens> {
    const refreshToken = randomBytes(32).toString("base64url");
    const id = uuidv7();
    const expiresAt = at + ttlMs;
    // Like an access token's iat: never before the user's boundary, or the token would be born revoked.
    const issuedAt = Math.max(at, tokensValidFrom(user) * 1000);
    await tx.insert(refreshTokens).values({
      id,
      userId: user.id,
      familyId: session.id,
      tokenHash: hashToken(refreshToken),
      issuedAt: new Date(issuedAt),
      expiresAt: new Date(expiresAt),
      createdAt: new Date(at),
    });
    const access = await accessTokens.issue({
      subject: user.id,
      issuedAtFloor: tokensValidFrom(user),
      sessionId: session.id,
      ...(session.amr ? { amr: session.amr } : {}),
    });
    if (predecessorId !== undefined) {
      const cached: CachedPair = {
        accessToken: access.token,
        accessExpiresAt: at + access.expiresIn * 1000,
        refreshToken,
        refreshExpiresAt: expiresAt,
      };
      await tx
        .update(refreshTokens)
        .set({ replacedById: id, successorCiphertext: graceMs > 0 ? encrypt(cached) : null })
        .where(eq(refreshTokens.id, predecessorId));
    }
    return {
      accessToken: access.token,
      expiresIn: access.expiresIn,
      refreshToken,
      refreshExpiresIn: Math.floor(ttlMs / 1000),
    };
  }

  /**
   * Revokes a family under the user's row lock (`FOR UPDATE`): the same lock order as everywhere, and two
   * revocations touching the same rows (a replay racing logout-all) take turns instead of deadlocking.
   */
  async function revokeFamily(
    { familyId, userId }: { familyId: string; userId: string },
    { reason, context }: { reason: "logout" | "ended" | "reuse"; context: AuditContext },
  ): Promise<void> {
    await db.transaction(async (tx) => {
      const user = await lockUserRecord(tx, userId, "update");
      const at = new Date(now());
      const ended = await endSession(tx, familyId, at);
      if (user) {
        if (reason === "reuse") {
          await recordAuditEvent(
            tx,
            { type: "refresh.reuse_detected", userId, details: { session_id: familyId } },
            { ...context, actor: { type: "system" } },
            at,
          );
          await queueMail(
            tx,
            { kind: "refresh_reuse_detected", to: user.email, data: { at: at.toISOString() } },
            at,
          );
        } else if (ended) {
          await recordAuditEvent(
            tx,
            { type: "session.revoked", userId, details: { session_id: familyId, reason } },
            context,
            at,
          );
        }
      }
      await tx
        .update(refreshTokens)
        .set({ revokedAt: at, successorCiphertext: null })
        .where(
          and(
            eq(refreshTokens.familyId, familyId),
            or(isNull(refreshTokens.revokedAt), isNotNull(refreshTokens.successorCiphertext)),
          ),
        );
    });
  }

  /** AES-256-GCM: iv (12) ‖ ciphertext ‖ tag (16), base64url. */
  function encrypt(pair: CachedPair): string {
    const iv = randomBytes(12);
    const cipher = createCipheriv("aes-256-gcm", cacheKey, iv);
    const body = Buffer.concat([cipher.update(JSON.stringify(pair), "utf8"), cipher.final()]);
    return Buffer.concat([iv, body, cipher.getAuthTag()]).toString("base64url");
  }

  function decrypt(value: string): CachedPair {
    try {
      const bytes = Buffer.from(value, "base64url");
      const decipher = createDecipheriv("aes-256-gcm", cacheKey, bytes.subarray(0, 12));
      decipher.setAuthTag(bytes.subarray(bytes.length - 16));
      const plain = Buffer.concat([decipher.update(bytes.subarray(12, bytes.length - 16)), decipher.final()]);
      return JSON.parse(plain.toString("utf8")) as CachedPair;
    } catch {
      // Written under another secret (JWT_SECRET rotated within the window): treat as a plain reuse.
      throw new InvalidRefreshTokenError();
    }
  }
}

/** SHA-256, base64url: the only form in which a refresh token is stored. */
export function hashToken(token: string): string {
  return createHash("sha256").update(token, "utf8").digest("base64url");
}

async function guard<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    if (error instanceof DomainError) throw error;
    return translateDatabaseError(error);
  }
}
