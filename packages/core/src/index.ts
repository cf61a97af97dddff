/**
 * @app/core: the user-management domain, without HTTP. Users (`users/`: the service, the repository, the
 * revocation boundary `tokensValidFrom`), sessions (`sessions/`: the sessions a user sees and ends,
 * refresh-token rotation and password sign-in), second factors (`mfa/`: TOTP, recovery codes, the login's
 * mfa_token, passkeys), the security log (`audit/`), the outbox of security notices (`outbox/`), account
 * recovery and one-time tokens, rate-limit counters, signing keys, the Drizzle schema and migrations
 * (`db/`), and the domain errors whose stable `code` the api maps to HTTP. What it needs from outside
 * (password hashing, access-token signing, a login budget) it names as ports; the api passes @app/auth's
 * implementations. Tests open real databases through `@app/core/testing`.
 */
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
export { isConnectionFailure } from "./db/database-errors.js";
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
  loginCodes,
  mfaLoginTokens,
  oneTimeTokens,
  outbox,
  rateLimits,
  recoveryCodes,
  refreshTokens,
  sessions,
  signingKeys,
  totpFactors,
  userIdentities,
  users,
  webauthnChallenges,
  webauthnCredentials,
} from "./db/schema.js";
export {
  AccountDeactivatedError,
  DatabaseUnavailableError,
  DomainError,
  EmailNotVerifiedError,
  EmailTakenError,
  ForbiddenError,
  IdentityAccountExistsError,
  IdentityEmailUnverifiedError,
  IdentityNotFoundError,
  IdentityTakenError,
  InactiveUserError,
  IncorrectPasswordError,
  InvalidCredentialsError,
  InvalidCursorError,
  InvalidDataError,
  InvalidLoginCodeError,
  InvalidMfaCodeError,
  InvalidMfaSetupCodeError,
  InvalidMfaTokenError,
  InvalidRefreshTokenError,
  InvalidResetTokenError,
  InvalidVerificationTokenError,
  LastSignInMethodError,
  LastSuperuserError,
  MfaConflictError,
  type MfaMethod,
  MfaRequiredError,
  NoActiveSigningKeyError,
  PasskeyAuthenticationError,
  PasskeyNotFoundError,
  PasskeyRegistrationError,
  RateLimitedError,
  SessionNotFoundError,
  SigningKeyDecryptionError,
  TokenRevokedError,
  UnauthenticatedError,
  UserNotFoundError,
} from "./errors.js";
export type {
  ExternalProfile,
  Identity,
  IdentityService,
  IdentityServiceDeps,
  IdentitySignIn,
} from "./identities/identity-service.js";
export { createIdentityService } from "./identities/identity-service.js";
export { LOGIN_CODE_TTL_SECONDS } from "./identities/login-codes.js";
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
export { totpCodeForStep, totpStepAt } from "./mfa/totp.js";
export type { OneTimeTokenPurpose } from "./one-time-tokens/one-time-token-repository.js";
export { issueOneTimeToken } from "./one-time-tokens/one-time-token-repository.js";
export type { OutboxMail, OutboxMailKind } from "./outbox/outbox.js";
export { claimDueMail, markMailFailed, markMailSent, queueMail } from "./outbox/outbox.js";
export type { AccessTokenIssuer, AccessTokenRequest, AccessTokenSession, PasswordHasher } from "./ports.js";
export type { RateLimitDecision, RateLimiter, RateLimiterOptions } from "./rate-limit/rate-limiter.js";
export { createRateLimiter } from "./rate-limit/rate-limiter.js";
export { KNOWN_DEVICE_DAYS } from "./sessions/session-repository.js";
export type { SessionService, SessionServiceDeps, SessionTokens } from "./sessions/session-service.js";
export {
  createSessionService,
  DEFAULT_REFRESH_REUSE_GRACE_SECONDS,
  DEFAULT_REFRESH_TOKEN_TTL_SECONDS,
} from "./sessions/session-service.js";
export type { PasswordGuessBudget, SecondFactorGate, SignIn, SignInDeps } from "./sessions/sign-in.js";
export { createSignIn } from "./sessions/sign-in.js";
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
export { NO_PASSWORD_HASH, nextPasswordChangedAt, normalizeEmail, tokensValidFrom } from "./users/user.js";
export type { NewUser, Page, UserListQuery, UserPatch, UserRecord } from "./users/user-repository.js";
export { createUser, deleteUser, getUserByEmail, listUsers, updateUser } from "./users/user-repository.js";
export type {
  AdminUserPatch,
  AuthenticatedWithPassword,
  Credentials,
  PasswordChange,
  PasswordRehash,
  ProfilePatch,
  RegisterInput,
  UserPage,
  UserService,
  UserServiceDeps,
} from "./users/user-service.js";
export { createUserService } from "./users/user-service.js";
