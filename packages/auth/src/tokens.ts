import { randomUUID } from "node:crypto";
import { InvalidTokenError } from "./errors.js";
import { createHs256 } from "./hs256.js";

export const DEFAULT_ACCESS_TOKEN_TTL_SECONDS = 30 * 60;
export const DEFAULT_CLOCK_SKEW_SECONDS = 30;

export interface AccessTokenClaims {
  /** The user id. */
  sub: string;
  /** Issued at, epoch seconds. */
  iat: number;
  /** Expires at, epoch seconds. */
  exp: number;
  /** Unique token id, for logs and future revocation lists. */
  jti: string;
}

export interface TokenServiceOptions {
  /** HMAC secret; at least 32 bytes in production (the API's config enforces it). */
  secret: string;
  ttlSeconds?: number;
  /** Tolerated clock difference between the machines that issue and verify tokens. */
  clockSkewSeconds?: number;
  /** Injected clock for tests; epoch milliseconds. */
  now?: () => number;
}

export interface IssueOptions {
  subject: string;
  /**
   * Stamp `iat` no earlier than this (epoch seconds). A user whose password changed during the
   * current second would otherwise get a token that their own revocation boundary refuses.
   */
  issuedAtFloor?: number;
}

export interface IssuedToken {
  token: string;
  expiresIn: number;
  claims: AccessTokenClaims;
}

export interface TokenService {
  issue(options: IssueOptions): Promise<IssuedToken>;
  verify(token: string): Promise<AccessTokenClaims>;
}

/**
 * Signs and verifies access tokens with one HMAC key imported once (importing per call costs more than
 * the signature itself), synchronously (see `createHs256`).
 * @example
 * const tokens = createTokenService({ secret: process.env.JWT_SECRET, ttlSeconds: 1800 });
 * const { token } = await tokens.issue({ subject: user.id });
 * const claims = await tokens.verify(token); // throws InvalidTokenError
 */
export function createTokenService(options: TokenServiceOptions): TokenService {
  const ttlSeconds = options.ttlSeconds ?? DEFAULT_ACCESS_TOKEN_TTL_SECONDS;
  const skew = options.clockSkewSeconds ?? DEFAULT_CLOCK_SKEW_SECONDS;
  const now = options.now ?? Date.now;
  const jwt = createHs256(options.secret);

  return {
    async issue({ subject, issuedAtFloor }) {
      const nowSeconds = Math.floor(now() / 1000);
      const iat = Math.max(nowSeconds, issuedAtFloor ?? nowSeconds);
      const claims: AccessTokenClaims = {
        sub: subject,
        iat,
        exp: nowSeconds + ttlSeconds,
        jti: randomUUID(),
      };
      const token = jwt.sign(claims);
      return { token, expiresIn: claims.exp - nowSeconds, claims };
    },

    async verify(token) {
      // Time claims are checked here, with leeway; the signature and header in `jwt.verify`.
      const payload = jwt.verify(token);
      return checkClaims(payload, Math.floor(now() / 1000), skew);
    },
  };
}

/** One-shot form of `createTokenService(...).issue`, for scripts; services should keep one TokenService. */
export function createAccessToken(options: TokenServiceOptions & IssueOptions): Promise<IssuedToken> {
  return createTokenService(options).issue(options);
}

/** One-shot form of `createTokenService(...).verify`. */
export function verifyToken(token: string, options: TokenServiceOptions): Promise<AccessTokenClaims> {
  return createTokenService(options).verify(token);
}

function checkClaims(payload: Record<string, unknown>, nowSeconds: number, skew: number): AccessTokenClaims {
  const { sub, iat, exp, jti, nbf } = payload;
  if (typeof sub !== "string" || sub === "" || typeof jti !== "string")
    throw new InvalidTokenError("missing_claim");
  if (!isEpochSeconds(exp) || !isEpochSeconds(iat)) throw new InvalidTokenError("missing_claim");
  if (nbf !== undefined && !isEpochSeconds(nbf)) throw new InvalidTokenError("malformed");
  if (exp + skew <= nowSeconds) throw new InvalidTokenError("expired");
  if (iat - skew > nowSeconds || (typeof nbf === "number" && nbf - skew > nowSeconds)) {
    throw new InvalidTokenError("not_yet_valid");
  }
  return { sub, iat, exp, jti };
}

function isEpochSeconds(value: unknown): value is number {
  return typeof value === "number" && Number.isSafeInteger(value) && value >= 0;
}
