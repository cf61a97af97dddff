import { randomUUID } from "node:crypto";
import { jwtVerify, SignJWT } from "jose";
import {
  type AccessTokenClaims,
  REQUIRED_CLAIMS,
  toAccessTokenClaims,
  toInvalidTokenError,
} from "./access-token-claims.js";
import { checkHeader, readCanonicalHeader } from "./compact-jws.js";
import { DEFAULT_ACCESS_TOKEN_TTL_SECONDS, DEFAULT_LEEWAY_SECONDS } from "./defaults.js";
import { InvalidTokenError } from "./errors.js";
import { assertEd25519PublicKey, type Ed25519Key, type TokenKeyProvider } from "./signing-keys.js";
import { createVerifiedTokenCache } from "./verified-token-cache.js";

/** Verified tokens remembered per process. */
export const DEFAULT_VERIFIED_TOKEN_CACHE_SIZE = 10_000;

interface CommonTokenServiceOptions {
  ttlSeconds?: number;
  /** Tolerated clock difference between issuer and verifier, in seconds (default 5). */
  leewaySeconds?: number;
  /** Stamped as `iss` and, when set, required of every verified token. */
  issuer?: string;
  /** Stamped as `aud` and, when set, required of every verified token. */
  audience?: string;
  /**
   * Verified tokens remembered per process, each until its `exp` (default 10 000; 0 turns the cache
   * off). A client sends the same access token with every request, and a hit skips the signature.
   */
  verifiedTokenCacheSize?: number;
  /** Injected clock for tests; epoch milliseconds. */
  now?: () => number;
}

/** Shared-secret mode: the service verifies only its own tokens, and has no JWKS to publish. */
export interface Hs256TokenServiceOptions extends CommonTokenServiceOptions {
  algorithm?: "HS256";
  /** HMAC secret; at least 32 bytes in production (the API's config enforces it). */
  secret: string;
}

/** Public-key mode: tokens other services can verify against the issuer's JWKS. */
export interface EdDsaTokenServiceOptions extends CommonTokenServiceOptions {
  algorithm: "EdDSA";
  keys: TokenKeyProvider;
}

export type TokenServiceOptions = Hs256TokenServiceOptions | EdDsaTokenServiceOptions;

export interface IssueOptions {
  subject: string;
  /**
   * Stamp `iat` no earlier than this (epoch seconds). A user whose password changed during the
   * current second would otherwise get a token that their own revocation boundary refuses.
   */
  issuedAtFloor?: number;
  /** The session (refresh-token family) id, stamped as `sid`. */
  sessionId?: string;
  /** RFC 8176 authentication methods, stamped as `amr`. */
  amr?: string[];
}

export interface IssuedToken {
  token: string;
  expiresIn: number;
  claims: AccessTokenClaims;
}

export interface TokenService {
  /** Signs a new access token (with the active key in EdDSA mode). */
  issue(options: IssueOptions): Promise<IssuedToken>;
  /**
   * The claims of a token this service accepts.
   * @throws InvalidTokenError with the reason it was refused
   */
  verify(token: string): Promise<AccessTokenClaims>;
}

interface CachedVerification {
  claims: AccessTokenClaims;
  kid: string;
  key: Ed25519Key;
}

/**
 * Signs and verifies access tokens with jose. HS256 keeps one HMAC key imported once; EdDSA signs with
 * the provider's active key and verifies by `kid`, the algorithm pinned per key. Every segment must be
 * canonical base64url before jose sees the token. Verified tokens are remembered until their `exp`
 * (see `verifiedTokenCacheSize`): sound because callers still check the user a token names.
 * @example
 * const tokens = createTokenService({ secret: config.jwt.secret, ttlSeconds: 900, leewaySeconds: 5 });
 * const { token } = await tokens.issue({ subject: user.id });
 * const claims = await tokens.verify(token); // throws InvalidTokenError
 * @example
 * const pair = await generateSigningKeyPair();
 * const tokens = createTokenService({
 *   algorithm: "EdDSA",
 *   keys: createKeySetProvider({ activeKid: pair.kid, keys: [pair] }),
 *   issuer: "https://id.example.com",
 *   audience: "user-management",
 * });
 */
export function createTokenService(options: TokenServiceOptions): TokenService {
  const ttlSeconds = options.ttlSeconds ?? DEFAULT_ACCESS_TOKEN_TTL_SECONDS;
  const leewaySeconds = options.leewaySeconds ?? DEFAULT_LEEWAY_SECONDS;
  const now = options.now ?? Date.now;
  const cacheSize = options.verifiedTokenCacheSize ?? DEFAULT_VERIFIED_TOKEN_CACHE_SIZE;
  const verifyOptions = (nowMs: number) => ({
    algorithms: [options.algorithm ?? "HS256"],
    clockTolerance: leewaySeconds,
    currentDate: new Date(nowMs),
    requiredClaims: REQUIRED_CLAIMS,
    ...(options.issuer === undefined ? {} : { issuer: options.issuer }),
    ...(options.audience === undefined ? {} : { audience: options.audience }),
  });

  const claimsFor = ({ subject, issuedAtFloor, sessionId, amr }: IssueOptions) => {
    const nowSeconds = Math.floor(now() / 1000);
    const claims: AccessTokenClaims = {
      sub: subject,
      iat: Math.max(nowSeconds, issuedAtFloor ?? nowSeconds),
      exp: nowSeconds + ttlSeconds,
      jti: randomUUID(),
    };
    if (options.issuer !== undefined) claims.iss = options.issuer;
    if (options.audience !== undefined) claims.aud = options.audience;
    if (sessionId !== undefined) claims.sid = sessionId;
    if (amr !== undefined) claims.amr = [...amr];
    return { claims, expiresIn: claims.exp - nowSeconds };
  };

  if (options.algorithm === "EdDSA") {
    const { keys } = options;
    const cache = createVerifiedTokenCache<CachedVerification>(cacheSize);
    return {
      async issue(issueOptions) {
        const { claims, expiresIn } = claimsFor(issueOptions);
        const { kid, privateKey } = await keys.signingKey();
        const token = await new SignJWT({ ...claims })
          .setProtectedHeader({ alg: "EdDSA", typ: "JWT", kid })
          .sign(privateKey);
        return { token, expiresIn, claims };
      },

      async verify(token) {
        const nowMs = now();
        const cached = cache.get(token, nowMs);
        // A key withdrawn from the provider takes its cached tokens with it.
        if (cached && (await keys.verificationKey(cached.kid)) === cached.key) return cached.claims;
        try {
          const kid = checkHeader(readCanonicalHeader(token), "EdDSA") as string;
          const key = await keys.verificationKey(kid);
          if (key === undefined) throw new InvalidTokenError("unknown_key");
          assertEd25519PublicKey(key);
          const { payload } = await jwtVerify(token, key, verifyOptions(nowMs));
          const claims = toAccessTokenClaims(payload, Math.floor(nowMs / 1000), leewaySeconds);
          cache.set(token, { claims, kid, key }, claims.exp * 1000);
          return claims;
        } catch (error) {
          throw toInvalidTokenError(error);
        }
      },
    };
  }

  const secret = crypto.subtle.importKey(
    "raw",
    Buffer.from(options.secret, "utf8"),
    { name: "HMAC", hash: "SHA-256" },
    false,
    ["sign", "verify"],
  );
  const cache = createVerifiedTokenCache<AccessTokenClaims>(cacheSize);
  return {
    async issue(issueOptions) {
      const { claims, expiresIn } = claimsFor(issueOptions);
      const token = await new SignJWT({ ...claims })
        .setProtectedHeader({ alg: "HS256", typ: "JWT" })
        .sign(await secret);
      return { token, expiresIn, claims };
    },

    async verify(token) {
      const nowMs = now();
      const cached = cache.get(token, nowMs);
      if (cached) return cached;
      try {
        checkHeader(readCanonicalHeader(token), "HS256");
        const { payload } = await jwtVerify(token, await secret, verifyOptions(nowMs));
        const claims = toAccessTokenClaims(payload, Math.floor(nowMs / 1000), leewaySeconds);
        cache.set(token, claims, claims.exp * 1000);
        return claims;
      } catch (error) {
        throw toInvalidTokenError(error);
      }
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
