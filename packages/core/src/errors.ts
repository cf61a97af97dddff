/**
 * Domain errors: what went wrong, in words safe to show a client. `code` is stable (the API maps it to
 * an HTTP problem); `message` never contains SQL, hashes or tokens; the driver error, if any, is `cause`.
 */
export class DomainError extends Error {
  override readonly name: string = "DomainError";
  constructor(
    readonly code: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

export class EmailTakenError extends DomainError {
  override readonly name = "EmailTakenError";
  constructor(options?: { cause?: unknown }) {
    super("EMAIL_TAKEN", "A user with this email already exists.", options);
  }
}

export class InvalidCredentialsError extends DomainError {
  override readonly name = "InvalidCredentialsError";
  constructor() {
    super("INVALID_CREDENTIALS", "Incorrect email or password.");
  }
}

export class UserNotFoundError extends DomainError {
  override readonly name = "UserNotFoundError";
  constructor() {
    super("USER_NOT_FOUND", "No such user.");
  }
}

export class InactiveUserError extends DomainError {
  override readonly name = "InactiveUserError";
  constructor() {
    super("INACTIVE_USER", "This account is deactivated.");
  }
}

/**
 * A valid access token of an account an administrator deactivated: its holder is that account's owner,
 * who is told why the session ended (a login with the password still answers like a wrong one).
 */
export class AccountDeactivatedError extends DomainError {
  override readonly name = "AccountDeactivatedError";
  constructor() {
    super("ACCOUNT_DEACTIVATED", "This account has been deactivated.");
  }
}

/** The token predates the user's last password change (or sign-out everywhere). */
export class TokenRevokedError extends DomainError {
  override readonly name = "TokenRevokedError";
  constructor() {
    super("TOKEN_REVOKED", "This token has been revoked.");
  }
}

/** The database refused, dropped or timed out a connection: a fault, not the client's mistake. */
export class DatabaseUnavailableError extends DomainError {
  override readonly name = "DatabaseUnavailableError";
  constructor(options?: { cause?: unknown }) {
    super("DATABASE_UNAVAILABLE", "The database is unavailable; try again shortly.", options);
  }
}

/** The current password given to confirm a password change is wrong. */
export class IncorrectPasswordError extends DomainError {
  override readonly name = "IncorrectPasswordError";
  constructor() {
    super("INCORRECT_PASSWORD", "The current password is incorrect.");
  }
}

/** The request does not say who is asking (no credentials), and the action needs to know. */
export class UnauthenticatedError extends DomainError {
  override readonly name = "UnauthenticatedError";
  constructor(message = "Authentication required.") {
    super("UNAUTHENTICATED", message);
  }
}

/** The caller is signed in but may not do this (e.g. an admin action by a non-superuser). */
export class ForbiddenError extends DomainError {
  override readonly name = "ForbiddenError";
  constructor(message = "You are not allowed to do this.") {
    super("FORBIDDEN", message);
  }
}

/**
 * The change would leave no active superuser (demoting, deactivating or deleting the last one), after
 * which nobody could administer the service.
 */
export class LastSuperuserError extends DomainError {
  override readonly name = "LastSuperuserError";
  constructor() {
    super(
      "LAST_SUPERUSER",
      "This is the last active superuser: make another user a superuser before demoting, deactivating or deleting this one.",
    );
  }
}

/** Too many attempts for one account or client address in the current window. */
export class RateLimitedError extends DomainError {
  override readonly name = "RateLimitedError";
  constructor(readonly retryAfterSeconds: number) {
    super("RATE_LIMITED", `Too many attempts; try again in ${retryAfterSeconds} seconds.`);
  }
}

/**
 * The refresh token is unknown, expired, revoked, already spent (outside the grace window), or speaks
 * for a user who is gone, deactivated or has changed password since. One error for all: the client's
 * only move is to sign in again, and it learns nothing about which case it was.
 */
export class InvalidRefreshTokenError extends DomainError {
  override readonly name = "InvalidRefreshTokenError";
  constructor() {
    super("INVALID_REFRESH_TOKEN", "The refresh token is invalid, expired or revoked; sign in again.");
  }
}

/** A password-reset token that is unknown, expired or already used (each answers the same). */
export class InvalidResetTokenError extends DomainError {
  override readonly name = "InvalidResetTokenError";
  constructor() {
    super(
      "INVALID_RESET_TOKEN",
      "This password-reset link is invalid, expired or already used; request a new one.",
    );
  }
}

/** An email-verification token that is unknown, expired, already used, or for an address no longer the user's. */
export class InvalidVerificationTokenError extends DomainError {
  override readonly name = "InvalidVerificationTokenError";
  constructor() {
    super(
      "INVALID_VERIFICATION_TOKEN",
      "This verification link is invalid, expired or already used; request a new one.",
    );
  }
}

/** Login refused because the account's email is not verified yet (only when verification is required). */
export class EmailNotVerifiedError extends DomainError {
  override readonly name = "EmailNotVerifiedError";
  constructor() {
    super(
      "EMAIL_NOT_VERIFIED",
      "Verify your email address before signing in; check your inbox for the link.",
    );
  }
}

/** The database refused a value as data (SQLSTATE class 22), e.g. a NUL character in text. */
export class InvalidDataError extends DomainError {
  override readonly name = "InvalidDataError";
  constructor(options?: { cause?: unknown }) {
    super("INVALID_DATA", "The request contains a value that cannot be stored.", options);
  }
}

/**
 * A stored signing key could not be decrypted: the key-encryption secret differs from the one it was
 * encrypted under, or the stored ciphertext (or its kid) was altered. Never answered with a guess.
 */
export class SigningKeyDecryptionError extends DomainError {
  override readonly name = "SigningKeyDecryptionError";
  constructor(
    readonly kid: string,
    options?: { cause?: unknown },
  ) {
    super(
      "SIGNING_KEY_DECRYPTION_FAILED",
      `Signing key ${kid} could not be decrypted: the key-encryption secret is wrong or the stored key was altered.`,
      options,
    );
  }
}

/** No stored signing key signs at this instant (the keys were never ensured, or all were retired). */
export class NoActiveSigningKeyError extends DomainError {
  override readonly name = "NoActiveSigningKeyError";
  constructor() {
    super("NO_ACTIVE_SIGNING_KEY", "No signing key is active; run ensureKeys() first.");
  }
}

/** A pagination cursor that was not produced by the list it is given to. */
export class InvalidCursorError extends DomainError {
  override readonly name = "InvalidCursorError";
  constructor() {
    super("VALIDATION_FAILED", "The cursor is not valid for this list; start again without it.");
  }
}

/** No such session among the user's: unknown, or someone else's (the answer is the same). */
export class SessionNotFoundError extends DomainError {
  override readonly name = "SessionNotFoundError";
  constructor() {
    super("NOT_FOUND", "No such session.");
  }
}

export class MfaRequiredError extends DomainError {
  override readonly name = "MfaRequiredError";
  constructor(
    readonly mfaToken: string,
    readonly methods: MfaMethod[],
    readonly expiresInSeconds: number,
  ) {
    super(
      "MFA_REQUIRED",
      "This account has a second factor: present it with the mfa_token to finish signing in.",
    );
  }
}

export type MfaMethod = "totp" | "recovery_code" | "webauthn";

export class InvalidMfaCodeError extends DomainError {
  override readonly name = "InvalidMfaCodeError";
  constructor() {
    super("INVALID_MFA_CODE", "The code is incorrect or has already been used.");
  }
}

export class InvalidMfaSetupCodeError extends DomainError {
  override readonly name = "InvalidMfaSetupCodeError";
  constructor() {
    super(
      "INVALID_MFA_SETUP_CODE",
      "The code does not match the authenticator being set up; try the current one.",
    );
  }
}

export class InvalidMfaTokenError extends DomainError {
  override readonly name = "InvalidMfaTokenError";
  constructor() {
    super(
      "INVALID_MFA_TOKEN",
      "This sign-in has expired or was refused too often; sign in with your password again.",
    );
  }
}

export class MfaConflictError extends DomainError {
  override readonly name = "MfaConflictError";
  constructor(message: string) {
    super("MFA_CONFLICT", message);
  }
}

export class PasskeyNotFoundError extends DomainError {
  override readonly name = "PasskeyNotFoundError";
  constructor() {
    super("PASSKEY_NOT_FOUND", "No such passkey.");
  }
}

export class PasskeyRegistrationError extends DomainError {
  override readonly name = "PasskeyRegistrationError";
  constructor(options?: { cause?: unknown }) {
    super(
      "PASSKEY_REGISTRATION_FAILED",
      "The passkey could not be verified; start the registration again.",
      options,
    );
  }
}

export class PasskeyAuthenticationError extends DomainError {
  override readonly name = "PasskeyAuthenticationError";
  constructor(options?: { cause?: unknown }) {
    super("PASSKEY_AUTHENTICATION_FAILED", "The passkey could not be verified; try again.", options);
  }
}

/**
 * The provider's verified email belongs to an existing account that this identity is not linked to:
 * never attached silently (the account may have a second factor the provider knows nothing of).
 */
export class IdentityAccountExistsError extends DomainError {
  override readonly name = "IdentityAccountExistsError";
  constructor() {
    super(
      "IDENTITY_ACCOUNT_EXISTS",
      "An account with this email already exists. Sign in to it as usual, then link this provider from your profile.",
    );
  }
}

/** The provider did not vouch for the email it sent, so it can neither match nor create an account. */
export class IdentityEmailUnverifiedError extends DomainError {
  override readonly name = "IdentityEmailUnverifiedError";
  constructor() {
    super(
      "IDENTITY_EMAIL_UNVERIFIED",
      "The identity provider did not confirm a verified email address for this account.",
    );
  }
}

/** The provider account is already linked to another user. */
export class IdentityTakenError extends DomainError {
  override readonly name = "IdentityTakenError";
  constructor() {
    super("IDENTITY_TAKEN", "This provider account is already linked to another user.");
  }
}

export class IdentityNotFoundError extends DomainError {
  override readonly name = "IdentityNotFoundError";
  constructor() {
    super("IDENTITY_NOT_FOUND", "No such linked identity.");
  }
}

/** Unlinking would leave the account with no way to sign in (no password, no passkey, no other identity). */
export class LastSignInMethodError extends DomainError {
  override readonly name = "LastSignInMethodError";
  constructor() {
    super(
      "LAST_SIGN_IN_METHOD",
      "This is the account's last way to sign in: set a password (through a password reset) or link another provider first.",
    );
  }
}

/** A login or link code that is unknown, expired, already used, or whose account changed since. */
export class InvalidLoginCodeError extends DomainError {
  override readonly name = "InvalidLoginCodeError";
  constructor() {
    super("INVALID_LOGIN_CODE", "The sign-in code is invalid or has expired; sign in again.");
  }
}
