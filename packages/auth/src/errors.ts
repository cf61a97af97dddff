/** A password bcrypt cannot hash faithfully: it would silently ignore everything past 72 bytes. */
export class PasswordTooLongError extends Error {
  override readonly name = "PasswordTooLongError";
  readonly code = "PASSWORD_TOO_LONG";
  constructor(readonly maxBytes: number) {
    super(`password must be at most ${maxBytes} bytes in UTF-8`);
  }
}

export type InvalidTokenReason =
  | "malformed"
  | "wrong_algorithm"
  | "bad_signature"
  | "expired"
  | "not_yet_valid"
  | "missing_claim"
  | "unknown_key"
  | "wrong_issuer"
  | "wrong_audience";

/**
 * Any reason an access token is refused. The message never contains the token itself (hono's
 * Jwt* errors do, which is why they are not rethrown as they are).
 */
export class InvalidTokenError extends Error {
  override readonly name = "InvalidTokenError";
  readonly code = "INVALID_TOKEN";
  constructor(readonly reason: InvalidTokenReason) {
    super(`invalid access token: ${reason.replaceAll("_", " ")}`);
  }
}

/**
 * The key set of the issuer could not be fetched (network error, timeout, not a JWKS). Not the token's
 * fault: a verifier answers 503, not 401, so clients retry instead of signing in again.
 */
export class KeySetUnavailableError extends Error {
  override readonly name = "KeySetUnavailableError";
  readonly code = "KEY_SET_UNAVAILABLE";
  constructor(options?: { cause?: unknown }) {
    super("the issuer's key set could not be fetched", options);
  }
}

/**
 * More password hashing is in flight in this process than its queue allows. Answered at once (503 with
 * `Retry-After`) rather than by a wait that grows for every user of the process.
 */
export class PasswordHasherBusyError extends Error {
  override readonly name = "PasswordHasherBusyError";
  readonly code = "PASSWORD_HASHER_BUSY";
  constructor(readonly retryAfterSeconds: number) {
    super("password hashing is at capacity; try again shortly");
  }
}
