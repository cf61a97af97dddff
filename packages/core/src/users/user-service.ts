import { randomBytes } from "node:crypto";
import {
  type AuditContext,
  type AuditEventInput,
  emailFingerprint,
  recordAuditEvent,
} from "../audit/audit-log.js";
import type { Db } from "../db/client.js";
import { translateDatabaseError } from "../db/database-errors.js";
import {
  AccountDeactivatedError,
  DomainError,
  EmailTakenError,
  InactiveUserError,
  IncorrectPasswordError,
  InvalidCredentialsError,
  LastSuperuserError,
  TokenRevokedError,
  UserNotFoundError,
} from "../errors.js";
import { spendOutstandingTokens } from "../one-time-tokens/one-time-token-repository.js";
import { queueMail } from "../outbox/outbox.js";
import type { PasswordHasher } from "../ports.js";
import { endEverySession } from "./session-boundary.js";
import { hasPassword, normalizeEmail, tokensValidFrom, type User } from "./user.js";
import {
  createUser,
  deleteUser,
  getUserByEmail,
  getUserById,
  getUserRecordById,
  getUserWithSession,
  listUsers,
  lockActiveSuperusers,
  lockUserRecord,
  replacePasswordHash,
  toUser,
  type UserListQuery,
  type UserPatch,
  type UserRecord,
  updateUser,
  withActiveSuperusersLocked,
} from "./user-repository.js";

export interface UserServiceDeps {
  db: Db;
  passwords: PasswordHasher;
  /**
   * Key of the HMAC that stands for an unknown email in a failed-login event (see `emailFingerprint`);
   * the api derives it from its secret. Absent: a random key per process (events still correlate within it).
   */
  auditEmailKey?: string;
}

export interface RegisterInput {
  email: string;
  password: string;
  fullName?: string | null | undefined;
}

export interface Credentials {
  email: string;
  password: string;
}

/**
 * A new hash of the password that has just verified, made with the configured algorithm and work
 * factors, to replace `previousHash` (the stored one it verified against) only while that is still stored.
 */
export interface PasswordRehash {
  previousHash: string;
  newHash: string;
}

/** A password sign-in's first result: the user, and a rehash when the stored hash falls short. */
export interface AuthenticatedWithPassword {
  user: User;
  rehash?: PasswordRehash;
}

/** What a user may change about their own account. `fullName: null` clears the name. */
export interface ProfilePatch {
  email?: string | undefined;
  fullName?: string | null | undefined;
}

/** What a superuser may change about any account. A new `password` refuses the user's earlier tokens. */
export interface AdminUserPatch extends ProfilePatch {
  isActive?: boolean | undefined;
  isSuperuser?: boolean | undefined;
  password?: string | undefined;
}

export interface PasswordChange {
  currentPassword: string;
  newPassword: string;
}

export interface UserPage {
  items: User[];
  total: number;
}

export interface UserService {
  /** Hashes the password and creates the user. @throws EmailTakenError */
  register(input: RegisterInput, context?: AuditContext): Promise<User>;
  /** @throws InvalidCredentialsError for an unknown email or a wrong password; InactiveUserError when deactivated. */
  authenticate(credentials: Credentials, context?: AuditContext): Promise<User>;
  /**
   * `authenticate` for a password sign-in. When the stored hash falls short of the hasher's
   * configuration (`needsRehash`), also returns a new hash of the same password, computed here, outside
   * any transaction (hashing is slow; no row lock is held meanwhile): the session start stores it in its
   * transaction, or `applyPasswordRehash` on its own. A hasher too busy to make it returns no rehash:
   * the next login tries again.
   * @throws as `authenticate`
   */
  authenticateWithPassword(
    credentials: Credentials,
    context?: AuditContext,
  ): Promise<AuthenticatedWithPassword>;
  /**
   * Stores a rehash on its own, conditionally on the old hash (see `replacePasswordHash`): for a
   * sign-in whose password was proven but that starts no session in this step (a second factor follows).
   * Moves no token boundary: the password is the same. @returns whether the hash was replaced
   */
  applyPasswordRehash(userId: string, rehash: PasswordRehash): Promise<boolean>;
  /** @throws UserNotFoundError */
  getProfile(userId: string): Promise<User>;
  /**
   * The user a verified access token speaks for, if it still may.
   * @param issuedAt the token's `iat`, epoch seconds
   * @param sessionId the token's `sid`: when present, the session must still be live (read in the same query)
   * @throws AccountDeactivatedError when the user is deactivated (the token's signature was checked, so
   *   only its holder learns it); TokenRevokedError when the user is gone, the token predates a password
   *   change, or its session has ended
   */
  getActiveUserForToken(token: {
    userId: string;
    issuedAt: number;
    sessionId?: string | undefined;
  }): Promise<User>;
  /**
   * Changes the user's own email and/or name; an empty patch returns the user unchanged.
   * @throws UserNotFoundError, EmailTakenError
   */
  updateProfile(userId: string, patch: ProfilePatch, context?: AuditContext): Promise<User>;
  /**
   * Checks the user's current password (before a sensitive change such as a new email).
   * @throws IncorrectPasswordError, UserNotFoundError
   */
  confirmPassword(userId: string, password: string): Promise<void>;
  /**
   * Checks the current password, stores the new one and moves `passwordChangedAt`, so every token issued
   * before now is refused; a token issued after it (a new login) is accepted at once. Every refresh token
   * is revoked and every outstanding reset or verification link spent, in the same transaction.
   * @throws IncorrectPasswordError, UserNotFoundError
   */
  changePassword(userId: string, change: PasswordChange, context?: AuditContext): Promise<User>;
  /**
   * Deletes the user's own account; the email can register again.
   * @throws UserNotFoundError, LastSuperuserError when this is the last active superuser
   */
  deleteAccount(userId: string, context?: AuditContext): Promise<void>;
  /** A page of the users matching `query` (all of them by default, in creation order), and how many match. */
  listUsers(query: UserListQuery): Promise<UserPage>;
  /**
   * A superuser's change to any account. Demoting or deactivating the last active superuser is refused.
   * A new password or a deactivation ends every session of the user (as `changePassword` does), so a
   * later reactivation revives none of them; a new email spends the links sent to the old one.
   * @throws UserNotFoundError, EmailTakenError, LastSuperuserError
   */
  adminUpdateUser(userId: string, patch: AdminUserPatch, context?: AuditContext): Promise<User>;
  /** @throws UserNotFoundError, LastSuperuserError */
  adminDeleteUser(userId: string, context?: AuditContext): Promise<void>;
  /**
   * Creates an active superuser with a verified email (the operator vouches for it) unless a user with
   * this email already exists, in which case that
   * user is left exactly as it is (never promoted, its password never reset). Safe to call from several
   * processes at once: the unique email index lets one insert win, and the others report `created: false`.
   */
  ensureSuperuser(input: { email: string; password: string; fullName?: string | null | undefined }): Promise<{
    user: User;
    created: boolean;
  }>;
}

/**
 * The user use cases, over any `Db` and any `PasswordHasher`.
 * @example
 * const users = createUserService({ db: database.db, passwords: createPasswordHasher({ cost: 12 }) });
 * const ada = await users.register({ email: "ada@example.com", password: "correct horse battery" });
 * const same = await users.authenticate({ email: "ADA@example.com", password: "correct horse battery" });
 */
export function createUserService({ db, passwords, auditEmailKey }: UserServiceDeps): UserService {
  const emailKey = auditEmailKey ?? randomBytes(32).toString("base64url");
  // Hashed lazily with the configured hasher, so an unknown email costs exactly what a known one does.
  let dummyHash: Promise<string> | undefined;
  const getDummyHash = () => {
    // A failed attempt (a hasher at capacity) must not be cached for the life of the process.
    dummyHash ??= passwords.hash(randomBytes(18).toString("base64")).catch((error: unknown) => {
      dummyHash = undefined;
      throw error;
    });
    return dummyHash;
  };

  return {
    async register({ email, password, fullName }, context = {}) {
      const hashedPassword = await passwords.hash(password);
      return withTransaction(async (tx) => {
        const user = await createUser(tx, { email, hashedPassword, fullName: fullName ?? null });
        await recordAuditEvent(
          tx,
          { type: "user.registered", userId: user.id },
          userContext(context, user.id),
        );
        return user;
      });
    },

    async authenticate(credentials, context = {}) {
      return toUser(await checkPassword(credentials, context));
    },

    async authenticateWithPassword(credentials, context = {}) {
      const record = await checkPassword(credentials, context);
      const user = toUser(record);
      if (!passwords.needsRehash?.(record.hashedPassword)) return { user };
      // A rehash is never worth failing a correct login (a hasher at capacity): the next login tries again.
      const newHash = await passwords.hash(credentials.password).catch(() => undefined);
      return newHash === undefined
        ? { user }
        : { user, rehash: { previousHash: record.hashedPassword, newHash } };
    },

    async applyPasswordRehash(userId, rehash) {
      return withTransaction((tx) => replacePasswordHash(tx, userId, rehash));
    },

    async getProfile(userId) {
      const user = await getUserById(db, userId);
      if (!user) throw new UserNotFoundError();
      return user;
    },

    async getActiveUserForToken({ userId, issuedAt, sessionId }) {
      let user: User | null;
      if (sessionId === undefined) {
        user = await getUserById(db, userId);
      } else {
        const found = await getUserWithSession(db, userId, sessionId);
        if (found && !found.user.isActive) throw new AccountDeactivatedError();
        if (found && !found.sessionLive) throw new TokenRevokedError();
        user = found?.user ?? null;
      }
      if (user && !user.isActive) throw new AccountDeactivatedError();
      if (!user || issuedAt < tokensValidFrom(user)) throw new TokenRevokedError();
      return user;
    },

    async updateProfile(userId, { email, fullName }, context = {}) {
      return applyPatch(userId, { email, fullName }, { context: userContext(context, userId) });
    },

    async confirmPassword(userId, password) {
      const record = await getUserRecordById(db, userId);
      if (!record) throw new UserNotFoundError();
      if (!hasPassword(record.hashedPassword) || !(await passwords.verify(password, record.hashedPassword)))
        throw new IncorrectPasswordError();
    },

    async changePassword(userId, { currentPassword, newPassword }, context = {}) {
      const record = await getUserRecordById(db, userId);
      if (!record) throw new UserNotFoundError();
      if (
        !hasPassword(record.hashedPassword) ||
        !(await passwords.verify(currentPassword, record.hashedPassword))
      )
        throw new IncorrectPasswordError();
      // Both hash runs happen before the row is locked; under the lock, the current password proven
      // above must still be the stored one (see `applyPatch`).
      return applyPatch(
        userId,
        { hashedPassword: await passwords.hash(newPassword) },
        { proven: record, context: userContext(context, userId) },
      );
    },

    async deleteAccount(userId, context = {}) {
      await removeUser(userId, userContext(context, userId));
    },

    async listUsers(query) {
      return listUsers(db, query);
    },

    async adminUpdateUser(userId, { email, fullName, isActive, isSuperuser, password }, context = {}) {
      const patch: UserPatch = { email, fullName, isActive, isSuperuser };
      if (password !== undefined) patch.hashedPassword = await passwords.hash(password);
      return applyPatch(userId, patch, { context, byAdmin: true });
    },

    async adminDeleteUser(userId, context = {}) {
      await removeUser(userId, context);
    },

    async ensureSuperuser({ email, password, fullName }) {
      const existing = await getUserByEmail(db, email);
      if (existing) return { user: toUser(existing), created: false };
      const hashedPassword = await passwords.hash(password);
      try {
        const user = await createUser(db, {
          email,
          hashedPassword,
          fullName: fullName ?? null,
          isSuperuser: true,
          // The operator who configured it vouches for the address; nobody could verify it otherwise
          // while REQUIRE_VERIFIED_EMAIL keeps every unverified account from signing in.
          emailVerified: true,
        });
        return { user, created: true };
      } catch (error) {
        if (!(error instanceof EmailTakenError)) throw error;
        // Another process created it between our read and our insert.
        const winner = await getUserByEmail(db, email);
        if (!winner) throw error;
        return { user: toUser(winner), created: false };
      }
    },
  };

  /**
   * The password check of every sign-in: a dummy verify with the configured hasher for an unknown email
   * (the same algorithm and work factors, so both answers take the same time), a security-log event for
   * each failure, and the active flag after the password.
   */
  async function checkPassword({ email, password }: Credentials, context: AuditContext): Promise<UserRecord> {
    const record = await getUserByEmail(db, email);
    if (!record) {
      await passwords.verify(password, await getDummyHash());
      await recordLoginFailure(
        {
          userId: null,
          details: { reason: "unknown_email", email_hmac: emailFingerprint(emailKey, email) },
        },
        context,
      );
      throw new InvalidCredentialsError();
    }
    // An account without a password costs the same check as one with a wrong password.
    const passwordSet = hasPassword(record.hashedPassword);
    const matches = await passwords.verify(
      password,
      passwordSet ? record.hashedPassword : await getDummyHash(),
    );
    if (!passwordSet || !matches) {
      await recordLoginFailure({ userId: record.id, details: { reason: "wrong_password" } }, context);
      throw new InvalidCredentialsError();
    }
    if (!record.isActive) {
      await recordLoginFailure({ userId: record.id, details: { reason: "inactive" } }, context);
      throw new InactiveUserError();
    }
    return record;
  }

  /**
   * Updates a user in one transaction. A change that could remove an active superuser first takes the
   * superuser lock; then the user's own row is locked `FOR UPDATE` (always superusers, then the user, then
   * token rows: one order everywhere). A new password or a deactivation ends every session and moves the
   * token boundary (`endEverySession`); a new email spends the links sent to the old one.
   */
  async function applyPatch(
    userId: string,
    patch: UserPatch,
    {
      proven,
      context = {},
      byAdmin = false,
    }: {
      proven?: Pick<UserRecord, "hashedPassword" | "passwordChangedAt">;
      context?: AuditContext;
      byAdmin?: boolean;
    } = {},
  ): Promise<User> {
    if (Object.values(patch).every((value) => value === undefined)) return getExisting(userId);
    const mayRemoveSuperuser = patch.isSuperuser === false || patch.isActive === false;
    const updated = await withTransaction(async (tx) => {
      if (mayRemoveSuperuser) assertNotLastSuperuser(userId, await lockActiveSuperusers(tx));
      const current = await lockUserRecord(tx, userId, "update");
      if (!current) return null;
      if (proven !== undefined && !samePassword(proven, current)) throw new IncorrectPasswordError();
      const at = new Date();
      const values: UserPatch = { ...patch };
      if (patch.hashedPassword !== undefined || patch.isActive === false) {
        values.passwordChangedAt = await endEverySession(tx, current, at);
      } else if (patch.email !== undefined && normalizeEmail(patch.email) !== normalizeEmail(current.email)) {
        await spendOutstandingTokens(tx, { userId, now: at });
      }
      const user = await updateUser(tx, userId, values);
      if (user) await recordChange(tx, current, user, patch, { context, byAdmin, at });
      return user;
    });
    if (!updated) throw new UserNotFoundError();
    return updated;
  }

  /**
   * The security-log events and notice mails of a committed patch, in its transaction. A superuser's
   * change is one `user.updated_by_admin` naming the fields (never their values); the user's own change
   * of password or email is logged as such. Either way a new password or email is mailed to the owner
   * (an email change to the old address, so its owner learns).
   */
  async function recordChange(
    tx: Db,
    before: UserRecord,
    after: User,
    patch: UserPatch,
    { context, byAdmin, at }: { context: AuditContext; byAdmin: boolean; at: Date },
  ): Promise<void> {
    const emailChanged = after.email !== before.email;
    if (byAdmin) {
      const fields = Object.entries(patch)
        .filter(([, value]) => value !== undefined)
        .map(([field]) => (field === "hashedPassword" ? "password" : snakeCase(field)));
      await recordAuditEvent(
        tx,
        { type: "user.updated_by_admin", userId: after.id, details: { fields } },
        context,
        at,
      );
    } else {
      if (patch.hashedPassword !== undefined)
        await recordAuditEvent(tx, { type: "password.changed", userId: after.id }, context, at);
      if (emailChanged) await recordAuditEvent(tx, { type: "email.changed", userId: after.id }, context, at);
    }
    // The owner hears of it whoever made the change: the superuser's account may be the stolen one.
    if (patch.hashedPassword !== undefined)
      await queueMail(tx, { kind: "password_changed", to: after.email, data: { at: at.toISOString() } }, at);
    if (emailChanged) {
      await queueMail(
        tx,
        { kind: "email_changed", to: before.email, data: { at: at.toISOString(), new_email: after.email } },
        at,
      );
    }
  }

  /** Outside any transaction: a failed login changes nothing, so the event is all there is to commit. */
  async function recordLoginFailure(
    event: Pick<AuditEventInput, "userId" | "details">,
    context: AuditContext,
  ): Promise<void> {
    await withTransaction((tx) =>
      recordAuditEvent(tx, { type: "login.failed", ...event }, { ...context, actor: { type: "system" } }),
    );
  }

  async function withTransaction<T>(work: (tx: Db) => Promise<T>): Promise<T> {
    try {
      return await db.transaction(work);
    } catch (error) {
      if (error instanceof DomainError) throw error;
      return translateDatabaseError(error);
    }
  }

  async function getExisting(userId: string): Promise<User> {
    const user = await getUserById(db, userId);
    if (!user) throw new UserNotFoundError();
    return user;
  }

  async function removeUser(userId: string, context: AuditContext): Promise<void> {
    const deleted = await withActiveSuperusersLocked(db, async (tx, superuserIds) => {
      assertNotLastSuperuser(userId, superuserIds);
      const gone = await deleteUser(tx, userId);
      if (gone) await recordAuditEvent(tx, { type: "user.deleted", userId }, context);
      return gone;
    });
    if (!deleted) throw new UserNotFoundError();
  }
}

/**
 * Whether the password proven against `before` is still the stored one in `now`: either the hash is
 * unchanged (a logout-all may have moved the boundary meanwhile), or the token boundary is (every
 * password change moves it, while a login's rehash, which stores a new hash of the same password, does not).
 */
function samePassword(
  before: Pick<UserRecord, "hashedPassword" | "passwordChangedAt">,
  now: Pick<UserRecord, "hashedPassword" | "passwordChangedAt">,
): boolean {
  return (
    before.hashedPassword === now.hashedPassword ||
    before.passwordChangedAt.getTime() === now.passwordChangedAt.getTime()
  );
}

/** The actor defaults to the subject user: what a user does to their own account. */
function userContext(context: AuditContext, userId: string): AuditContext {
  return context.actor ? context : { ...context, actor: { type: "user", id: userId } };
}

const snakeCase = (name: string) => name.replace(/[A-Z]/g, (letter) => `_${letter.toLowerCase()}`);

function assertNotLastSuperuser(userId: string, activeSuperuserIds: string[]): void {
  if (activeSuperuserIds.length === 1 && activeSuperuserIds[0] === userId) throw new LastSuperuserError();
}
