export type { Database, DatabaseOptions, Db, PoolStats } from "./db/client.js";
export { createDatabase } from "./db/client.js";
export { isConnectionFailure, translateDatabaseError } from "./db/database-errors.js";
export { MIGRATIONS_FOLDER, migrateDatabase } from "./db/migrate.js";
export type { Ed25519PublicJwk, RefreshTokenRow, SigningKeyRow, UserRow } from "./db/schema.js";
export {
  mfaLoginTokens,
  oneTimeTokens,
  rateLimits,
  recoveryCodes,
  refreshTokens,
  signingKeys,
  totpFactors,
  users,
  webauthnChallenges,
  webauthnCredentials,
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
  InvalidDataError,
  InvalidMfaCodeError,
  InvalidMfaSetupCodeError,
  InvalidMfaTokenError,
  InvalidRefreshTokenError,
  InvalidResetTokenError,
  InvalidVerificationTokenError,
  LastSuperuserError,
  MfaConflictError,
  type MfaMethod,
  MfaRequiredError,
  NoActiveSigningKeyError,
  PasskeyAuthenticationError,
  PasskeyNotFoundError,
  PasskeyRegistrationError,
  RateLimitedError,
  SigningKeyDecryptionError,
  TokenRevokedError,
  UserNotFoundError,
} from "./errors.js";
export type { SweepOptions, SweepResult } from "./maintenance/sweep-stale-rows.js";
export { sweepStaleRows } from "./maintenance/sweep-stale-rows.js";
export { MAX_MFA_ATTEMPTS, MFA_TOKEN_TTL_SECONDS } from "./mfa/mfa-login-tokens.js";
export type {
  MfaService,
  MfaServiceDeps,
  MfaSignIn,
  MfaStatus,
  SecondFactorProof,
  TotpSetup,
} from "./mfa/mfa-service.js";
export { createMfaService } from "./mfa/mfa-service.js";
export type {
  AuthenticationResponseJSON,
  Passkey,
  PublicKeyCredentialCreationOptionsJSON,
  PublicKeyCredentialRequestOptionsJSON,
  RegistrationResponseJSON,
  WebAuthnSettings,
} from "./mfa/passkeys.js";
export { WEBAUTHN_CHALLENGE_TTL_SECONDS } from "./mfa/passkeys.js";
export { RECOVERY_CODES_PER_SET } from "./mfa/recovery-codes.js";
export { matchTotpStep, totpCodeForStep, totpStepAt } from "./mfa/totp.js";
export type { OneTimeTokenPurpose, RedeemedToken } from "./one-time-tokens/one-time-token-repository.js";
export {
  deleteStaleOneTimeTokens,
  hashOneTimeToken,
  issueOneTimeToken,
  redeemOneTimeToken,
} from "./one-time-tokens/one-time-token-repository.js";
export type { AccessTokenIssuer, AccessTokenOptions, PasswordHasher } from "./ports.js";
export type { RateLimitDecision, RateLimiter, RateLimiterOptions } from "./rate-limit/rate-limiter.js";
export { createRateLimiter } from "./rate-limit/rate-limiter.js";
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
