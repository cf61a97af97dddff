import { randomBytes } from "node:crypto";
import type { Db } from "../db/client.js";
import {
  InactiveUserError,
  InvalidCredentialsError,
  TokenRevokedError,
  UserNotFoundError,
} from "../errors.js";
import type { PasswordHasher } from "../ports.js";
import { tokensValidFrom, type User } from "./user.js";
import { createUser, getUserByEmail, getUserById, toUser } from "./user-repository.js";

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
  };
}
