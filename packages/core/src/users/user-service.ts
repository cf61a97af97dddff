import { randomBytes } from "node:crypto";
import type { Db } from "../db/client.js";
import { translateDatabaseError } from "../db/database-errors.js";
import {
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
import type { PasswordHasher } from "../ports.js";
import { endEverySession } from "./session-boundary.js";
import { normalizeEmail, tokensValidFrom, type User } from "./user.js";
import {
  createUser,
  deleteUser,
  getUserByEmail,
  getUserById,
  getUserRecordById,
  listUsers,
  lockActiveSuperusers,
  lockUserRecord,
  type Page,
  toUser,
  type UserPatch,
  updateUser,
  withActiveSuperusersLocked,
} from "./user-repository.js";

export interface UserServiceDeps {
  db: Db;
  passwords: PasswordHasher;
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
  register(input: RegisterInput): Promise<User>;
  /** @throws InvalidCredentialsError for an unknown email or a wrong password; InactiveUserError when deactivated. */
  authenticate(credentials: Credentials): Promise<User>;
  /** @throws UserNotFoundError */
  getProfile(userId: string): Promise<User>;
  /**
   * The user a verified access token speaks for, if it still may.
   * @param issuedAt the token's `iat`, epoch seconds
   * @throws TokenRevokedError when the user is gone or deactivated, or the token predates a password
   *   change: one error, so whoever holds the token learns nothing about the account
   */
  getActiveUserForToken(token: { userId: string; issuedAt: number }): Promise<User>;
  /**
   * Changes the user's own email and/or name; an empty patch returns the user unchanged.
   * @throws UserNotFoundError, EmailTakenError
   */
  updateProfile(userId: string, patch: ProfilePatch): Promise<User>;
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
  changePassword(userId: string, change: PasswordChange): Promise<User>;
  /**
   * Deletes the user's own account; the email can register again.
   * @throws UserNotFoundError, LastSuperuserError when this is the last active superuser
   */
  deleteAccount(userId: string): Promise<void>;
  /** A page of users in creation order, and how many users there are in all. */
  listUsers(page: Page): Promise<UserPage>;
  /**
   * A superuser's change to any account. Demoting or deactivating the last active superuser is refused.
   * A new password or a deactivation ends every session of the user (as `changePassword` does), so a
   * later reactivation revives none of them; a new email spends the links sent to the old one.
   * @throws UserNotFoundError, EmailTakenError, LastSuperuserError
   */
  adminUpdateUser(userId: string, patch: AdminUserPatch): Promise<User>;
  /** @throws UserNotFoundError, LastSuperuserError */
  adminDeleteUser(userId: string): Promise<void>;
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
export function createUserService({ db, passwords }: UserServiceDeps): UserService {
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
    async register({ email, password, fullName }) {
      const hashedPassword = await passwords.hash(password);
      return createUser(db, { email, hashedPassword, fullName: fullName ?? null });
    },

    async authenticate({ email, password }) {
      const record = await getUserByEmail(db, email);
      if (!record) {
        await passwords.verify(password, await getDummyHash());
        throw new InvalidCredentialsError();
      }
      if (!(await passwords.verify(password, record.hashedPassword))) throw new InvalidCredentialsError();
      if (!record.isActive) throw new InactiveUserError();
      return toUser(record);
    },

    async getProfile(userId) {
      const user = await getUserById(db, userId);
      if (!user) throw new UserNotFoundError();
      return user;
    },

    async getActiveUserForToken({ userId, issuedAt }) {
      const user = await getUserById(db, userId);
      if (!user?.isActive || issuedAt < tokensValidFrom(user)) throw new TokenRevokedError();
      return user;
    },

    async updateProfile(userId, { email, fullName }) {
      return applyPatch(userId, { email, fullName });
    },

    async confirmPassword(userId, password) {
      const record = await getUserRecordById(db, userId);
      if (!record) throw new UserNotFoundError();
      if (!(await passwords.verify(password, record.hashedPassword))) throw new IncorrectPasswordError();
    },

    async changePassword(userId, { currentPassword, newPassword }) {
      const record = await getUserRecordById(db, userId);
      if (!record) throw new UserNotFoundError();
      if (!(await passwords.verify(currentPassword, record.hashedPassword)))
        throw new IncorrectPasswordError();
      // Both bcrypt runs happen before the row is locked; under the lock, the hash that was checked must
      // still be the stored one, or the current password proven above may no longer be current.
      return applyPatch(
        userId,
        { hashedPassword: await passwords.hash(newPassword) },
        { expectedHash: record.hashedPassword },
      );
    },

    async deleteAccount(userId) {
      await removeUser(userId);
    },

    async listUsers(page) {
      return listUsers(db, page);
    },

    async adminUpdateUser(userId, { email, fullName, isActive, isSuperuser, password }) {
      const patch: UserPatch = { email, fullName, isActive, isSuperuser };
      if (password !== undefined) patch.hashedPassword = await passwords.hash(password);
      return applyPatch(userId, patch);
    },

    async adminDeleteUser(userId) {
      await removeUser(userId);
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
   * Updates a user in one transaction. A change that could remove an active superuser first takes the
   * superuser lock; then the user's own row is locked `FOR UPDATE` (always superusers, then the user, then
   * token rows: one order everywhere). A new password or a deactivation ends every session and moves the
   * token boundary (`endEverySession`); a new email spends the links sent to the old one.
   */
  async function applyPatch(
    userId: string,
    patch: UserPatch,
    { expectedHash }: { expectedHash?: string } = {},
  ): Promise<User> {
    if (Object.values(patch).every((value) => value === undefined)) return getExisting(userId);
    const mayRemoveSuperuser = patch.isSuperuser === false || patch.isActive === false;
    const updated = await withTransaction(async (tx) => {
      if (mayRemoveSuperuser) assertNotLastSuperuser(userId, await lockActiveSuperusers(tx));
      const current = await lockUserRecord(tx, userId, "update");
      if (!current) return null;
      if (expectedHash !== undefined && current.hashedPassword !== expectedHash)
        throw new IncorrectPasswordError();
      const at = new Date();
      const values: UserPatch = { ...patch };
      if (patch.hashedPassword !== undefined || patch.isActive === false) {
        values.passwordChangedAt = await endEverySession(tx, current, at);
      } else if (patch.email !== undefined && normalizeEmail(patch.email) !== normalizeEmail(current.email)) {
        await spendOutstandingTokens(tx, { userId, now: at });
      }
      return updateUser(tx, userId, values);
    });
    if (!updated) throw new UserNotFoundError();
    return updated;
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

  async function removeUser(userId: string): Promise<void> {
    const deleted = await withActiveSuperusersLocked(db, async (tx, superuserIds) => {
      assertNotLastSuperuser(userId, superuserIds);
      return deleteUser(tx, userId);
    });
    if (!deleted) throw new UserNotFoundError();
  }
}

function assertNotLastSuperuser(userId: string, activeSuperuserIds: string[]): void {
  if (activeSuperuserIds.length === 1 && activeSuperuserIds[0] === userId) throw new LastSuperuserError();
}
