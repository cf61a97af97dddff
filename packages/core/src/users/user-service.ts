import { randomBytes } from "node:crypto";
import type { Db } from "../db/client.js";
import {
  EmailTakenError,
  InactiveUserError,
  IncorrectPasswordError,
  InvalidCredentialsError,
  LastSuperuserError,
  TokenRevokedError,
  UserNotFoundError,
} from "../errors.js";
import type { PasswordHasher } from "../ports.js";
import { nextPasswordChangedAt, tokensValidFrom, type User } from "./user.js";
import {
  createUser,
  deleteUser,
  getUserByEmail,
  getUserById,
  getUserRecordById,
  listUsers,
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
   * @throws UserNotFoundError, InactiveUserError, or TokenRevokedError when the token predates a password change
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
   * before now is refused; a token issued after it (a new login) is accepted at once.
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
   * @throws UserNotFoundError, EmailTakenError, LastSuperuserError
   */
  adminUpdateUser(userId: string, patch: AdminUserPatch): Promise<User>;
  /** @throws UserNotFoundError, LastSuperuserError */
  adminDeleteUser(userId: string): Promise<void>;
  /**
   * Creates an active superuser with this email unless a user with it already exists, in which case that
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
    dummyHash ??= passwords.hash(randomBytes(18).toString("base64"));
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
      if (!user) throw new UserNotFoundError();
      if (!user.isActive) throw new InactiveUserError();
      if (issuedAt < tokensValidFrom(user)) throw new TokenRevokedError();
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
      return applyPatch(userId, {
        hashedPassword: await passwords.hash(newPassword),
        passwordChangedAt: nextPasswordChangedAt(record),
      });
    },

    async deleteAccount(userId) {
      await removeUser(userId);
    },

    async listUsers(page) {
      return listUsers(db, page);
    },

    async adminUpdateUser(userId, { email, fullName, isActive, isSuperuser, password }) {
      const patch: UserPatch = { email, fullName, isActive, isSuperuser };
      if (password !== undefined) {
        const current = await getUserById(db, userId);
        if (!current) throw new UserNotFoundError();
        patch.hashedPassword = await passwords.hash(password);
        patch.passwordChangedAt = nextPasswordChangedAt(current);
      }
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

  /** Updates a user; a change that could remove an active superuser runs under the superuser lock. */
  async function applyPatch(userId: string, patch: UserPatch): Promise<User> {
    if (Object.values(patch).every((value) => value === undefined)) return getExisting(userId);
    const mayRemoveSuperuser = patch.isSuperuser === false || patch.isActive === false;
    const updated = mayRemoveSuperuser
      ? await withActiveSuperusersLocked(db, async (tx, superuserIds) => {
          assertNotLastSuperuser(userId, superuserIds);
          return updateUser(tx, userId, patch);
        })
      : await updateUser(db, userId, patch);
    if (!updated) throw new UserNotFoundError();
    return updated;
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
