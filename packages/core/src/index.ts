export type { Database, DatabaseOptions, Db, PoolStats } from "./db/client.js";
export { createDatabase } from "./db/client.js";
export { isConnectionFailure, translateDatabaseError } from "./db/database-errors.js";
export { MIGRATIONS_FOLDER, migrateDatabase } from "./db/migrate.js";
export type { UserRow } from "./db/schema.js";
export { rateLimits, users } from "./db/schema.js";
export {
  DatabaseUnavailableError,
  DomainError,
  EmailTakenError,
  InactiveUserError,
  InvalidCredentialsError,
  RateLimitedError,
  TokenRevokedError,
  UserNotFoundError,
} from "./errors.js";
export type { PasswordHasher } from "./ports.js";
export type { RateLimitDecision, RateLimiter, RateLimiterOptions } from "./rate-limit/rate-limiter.js";
export { createRateLimiter } from "./rate-limit/rate-limiter.js";
export type { User } from "./users/user.js";
export { nextPasswordChangedAt, normalizeEmail, tokensValidFrom } from "./users/user.js";
export type { NewUser, UserPatch, UserRecord } from "./users/user-repository.js";
export {
  createUser,
  deleteUser,
  getUserByEmail,
  getUserById,
  getUserRecordById,
  toUser,
  updateUser,
} from "./users/user-repository.js";
export type { Credentials, RegisterInput, UserService, UserServiceDeps } from "./users/user-service.js";
export { createUserService } from "./users/user-service.js";
