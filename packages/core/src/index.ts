export type {
  AuditContext,
  AuditEventInput,
  AuditEventPage,
  AuditEventQuery,
  AuditEventType,
} from "./audit/audit-log.js";
export {
  AUDIT_EVENT_TYPES,
  emailFingerprint,
  listAuditEvents,
  recordAuditEvent,
} from "./audit/audit-log.js";
export { recordMfaDisabled } from "./audit/mfa-disabled.js";
export type { Database, DatabaseOptions, Db, PoolStats } from "./db/client.js";
export { createDatabase } from "./db/client.js";
export { isConnectionFailure, translateDatabaseError } from "./db/database-errors.js";
export { MIGRATIONS_FOLDER, migrateDatabase } from "./db/migrate.js";
export type {
  AuditEventRow,
  Ed25519PublicJwk,
  OutboxRow,
  RefreshTokenRow,
  SessionRow,
  SigningKeyRow,
  UserRow,
} from "./db/schema.js";
export {
  auditEvents,
  oneTimeTokens,
  outbox,
  rateLimits,
  refreshTokens,
  sessions,
  signingKeys,
  users,
} from "./db/schema.js";
export {
  DatabaseUnavailableError,
  DomainError,
  EmailNotVerifiedError,
  EmailTakenError,
  ForbiddenError,
  InactiveUserError,
  IncorrectPasswordError,
  InvalidCredentialsError,
  InvalidCursorError,
  InvalidDataError,
  InvalidRefreshTokenError,
  InvalidResetTokenError,
  InvalidVerificationTokenError,
  LastSuperuserError,
  NoActiveSigningKeyError,
  RateLimitedError,
  SessionNotFoundError,
  SigningKeyDecryptionError,
  TokenRevokedError,
  UserNotFoundError,
} from "./errors.js";
export type { SweepOptions, SweepResult } from "./maintenance/sweep-stale-rows.js";
export { sweepStaleRows } from "./maintenance/sweep-stale-rows.js";
export type { OneTimeTokenPurpose, RedeemedToken } from "./one-time-tokens/one-time-token-repository.js";
export {
  deleteStaleOneTimeTokens,
  hashOneTimeToken,
  issueOneTimeToken,
  redeemOneTimeToken,
} from "./one-time-tokens/one-time-token-repository.js";
export type { OutboxMail, OutboxMailKind } from "./outbox/outbox.js";
export { claimDueMail, markMailFailed, markMailSent, queueMail } from "./outbox/outbox.js";
export type { AccessTokenIssuer, AccessTokenSession, PasswordHasher } from "./ports.js";
export type { RateLimitDecision, RateLimiter, RateLimiterOptions } from "./rate-limit/rate-limiter.js";
export { createRateLimiter } from "./rate-limit/rate-limiter.js";
export { KNOWN_DEVICE_DAYS } from "./sessions/session-repository.js";
export type { SessionService, SessionServiceDeps, SessionTokens } from "./sessions/session-service.js";
export {
  createSessionService,
  DEFAULT_REFRESH_REUSE_GRACE_SECONDS,
  DEFAULT_REFRESH_TOKEN_TTL_SECONDS,
  hashToken,
} from "./sessions/session-service.js";
export type { SigningKeyCache, SigningKeyCacheOptions } from "./signing-keys/signing-key-cache.js";
export {
  createSigningKeyCache,
  DEFAULT_KEY_RELOAD_INTERVAL_MS,
  DEFAULT_UNKNOWN_KID_COOLDOWN_MS,
} from "./signing-keys/signing-key-cache.js";
export type { Ed25519PrivateJwk, GeneratedSigningKey } from "./signing-keys/signing-key-crypto.js";
export { generateSigningKey, jwkThumbprint } from "./signing-keys/signing-key-crypto.js";
export type {
  ActiveSigningKey,
  EnsureKeysResult,
  LoadedSigningKey,
  PublishedJwk,
  RotateNowResult,
  SigningKeySet,
  SigningKeyStore,
  SigningKeyStoreOptions,
} from "./signing-keys/signing-key-store.js";
export {
  createSigningKeyStore,
  DEFAULT_KEY_PUBLISH_AHEAD_SECONDS,
  DEFAULT_KEY_ROTATION_DAYS,
  DEFAULT_RETIRED_KEY_LEEWAY_SECONDS,
  publishedJwksAt,
  selectSigningKeys,
} from "./signing-keys/signing-key-store.js";
export type {
  AccountRecoveryService,
  AccountRecoveryServiceDeps,
  TokenToSend,
} from "./users/account-recovery-service.js";
export {
  createAccountRecoveryService,
  DEFAULT_PASSWORD_RESET_TTL_MS,
  DEFAULT_VERIFY_EMAIL_TTL_MS,
} from "./users/account-recovery-service.js";
export type { User } from "./users/user.js";
export { nextPasswordChangedAt, normalizeEmail, tokensValidFrom } from "./users/user.js";
export type { NewUser, Page, UserPatch, UserRecord } from "./users/user-repository.js";
export {
  createUser,
  deleteUser,
  getUserByEmail,
  getUserById,
  getUserRecordById,
  listUsers,
  toUser,
  updateUser,
  withActiveSuperusersLocked,
} from "./users/user-repository.js";
export type {
  AdminUserPatch,
  Credentials,
  PasswordChange,
  ProfilePatch,
  RegisterInput,
  UserPage,
  UserService,
  UserServiceDeps,
} from "./users/user-service.js";
export { createUserService } from "./users/user-service.js";
