import { type JWTPayload, errors as joseErrors } from "jose";
import { InvalidTokenError, KeySetUnavailableError } from "./errors.js";

/** What an access token says. `iss`/`aud` are present when the issuer is configured with them. */
export interface AccessTokenClaims {
  /** The user id. */
  sub: string;
  /** Issued at, epoch seconds. */
  iat: number;
  /** Expires at, epoch seconds. */
  exp: number;
  /** Unique token id, for logs and revocation lists. */
  jti: string;
  /** Who issued the token (a URL). */
  iss?: string;
  /** Who the token is for. */
  aud?: string | string[];
  /** The session (refresh-token family) the token belongs to. */
  sid?: string;
  /** RFC 8176 authentication methods: `pwd`, `otp`, `hwk`, `swk`, `mfa`. */
  amr?: string[];
}

/** The claims `jwtVerify` must find before our own type checks run. */
export const REQUIRED_CLAIMS = ["sub", "iat", "exp", "jti"];

/**
 * Types and time rules jose leaves to us: non-empty `sub`, string `jti`, integral epoch seconds, an
 * `iat` not in the future beyond the leeway, and well-formed `sid`/`amr`. The result is frozen so a
 * cached copy cannot be changed by one caller under another.
 */
export function toAccessTokenClaims(
  payload: JWTPayload,
  nowSeconds: number,
  leewaySeconds: number,
): AccessTokenClaims {
  const { sub, iat, exp, jti, iss, aud, sid, amr } = payload;
  if (typeof sub !== "string" || sub === "" || typeof jti !== "string" || jti === "") {
    throw new InvalidTokenError("missing_claim");
  }
  if (!isEpochSeconds(exp) || !isEpochSeconds(iat)) throw new InvalidTokenError("missing_claim");
  if (iat - leewaySeconds > nowSeconds) throw new InvalidTokenError("not_yet_valid");
  if (sid !== undefined && typeof sid !== "string") throw new InvalidTokenError("malformed");
  if (amr !== undefined && !(Array.isArray(amr) && amr.every((m) => typeof m === "string"))) {
    throw new InvalidTokenError("malformed");
  }
  const claims: AccessTokenClaims = { sub, iat, exp, jti };
  if (iss !== undefined) claims.iss = iss;
  if (aud !== undefined) claims.aud = Array.isArray(aud) ? (Object.freeze([...aud]) as string[]) : aud;
  if (sid !== undefined) claims.sid = sid;
  if (amr !== undefined) claims.amr = Object.freeze([...amr]) as string[];
  return Object.freeze(claims);
}

/**
 * jose's errors as one `InvalidTokenError` with a reason. Their messages are not passed on (some
 * quote claim values); a key set that cannot be fetched becomes `KeySetUnavailableError`.
 */
export function toInvalidTokenError(error: unknown): Error {
  if (error instanceof InvalidTokenError || error instanceof KeySetUnavailableError) return error;
  if (error instanceof joseErrors.JWTExpired) return new InvalidTokenError("expired");
  if (error instanceof joseErrors.JWTClaimValidationFailed) {
    if (error.reason === "missing") return new InvalidTokenError("missing_claim");
    switch (error.claim) {
      case "iss":
        return new InvalidTokenError("wrong_issuer");
      case "aud":
        return new InvalidTokenError("wrong_audience");
      case "nbf":
        return new InvalidTokenError(error.reason === "check_failed" ? "not_yet_valid" : "malformed");
      default:
        return new InvalidTokenError("missing_claim");
    }
  }
  if (error instanceof joseErrors.JWSSignatureVerificationFailed)
    return new InvalidTokenError("bad_signature");
  if (error instanceof joseErrors.JOSEAlgNotAllowed) return new InvalidTokenError("wrong_algorithm");
  if (error instanceof joseErrors.JWKSNoMatchingKey || error instanceof joseErrors.JWKSMultipleMatchingKeys) {
    return new InvalidTokenError("unknown_key");
  }
  if (error instanceof joseErrors.JWKSTimeout || error instanceof joseErrors.JWKSInvalid) {
    return new KeySetUnavailableError({ cause: error });
  }
  if (error instanceof joseErrors.JOSEError) return new InvalidTokenError("malformed");
  return error instanceof Error ? error : new Error("token verification failed");
}

function isEpochSeconds(value: unknown): value is number {
  return typeof value === "number" && Number.isSafeInteger(value) && value >= 0;
}
