import { createRemoteJWKSet, type JWTHeaderParameters, errors as joseErrors, jwtVerify } from "jose";
import {
  type AccessTokenClaims,
  REQUIRED_CLAIMS,
  toAccessTokenClaims,
  toInvalidTokenError,
} from "./access-token-claims.js";
import { checkHeader, readCanonicalHeader } from "./compact-jws.js";
import { DEFAULT_LEEWAY_SECONDS } from "./defaults.js";
import { KeySetUnavailableError } from "./errors.js";

export interface TokenVerifierOptions {
  /** The issuer's `/.well-known/jwks.json`. */
  jwksUrl: string | URL;
  /** Required `iss`. */
  issuer: string;
  /** Required `aud` (the token must name this one). */
  audience: string;
  /** Tolerated clock difference, in seconds (default 5). */
  leewaySeconds?: number;
  /**
   * After a fetch, a token with an unknown `kid` refetches the key set only once this many seconds have
   * passed (default 10), so a flood of forged `kid`s costs the issuer at most one request per period.
   */
  cooldownSeconds?: number;
  /** The key set is refetched when older than this, even if every `kid` is known (default 600). */
  cacheMaxAgeSeconds?: number;
  /** A key-set fetch that takes longer fails (default 5000). */
  timeoutMs?: number;
  /** Injected clock for tests; epoch milliseconds. Only the claim checks use it. */
  now?: () => number;
}

export interface TokenVerifier {
  /**
   * The claims of an EdDSA access token signed by a key in the issuer's JWKS.
   * @throws InvalidTokenError when the token is refused
   * @throws KeySetUnavailableError when the key set could not be fetched
   */
  verify(token: string): Promise<AccessTokenClaims>;
}

/**
 * Verifies access tokens offline, for services other than the issuer: the JWKS is fetched once and
 * kept (refetched when stale, or on an unknown `kid` outside the cooldown), and only EdDSA with an
 * Ed25519 key of the token's `kid` is accepted.
 * @example
 * const verifier = createTokenVerifier({
 *   jwksUrl: "https://id.example.com/.well-known/jwks.json",
 *   issuer: "https://id.example.com",
 *   audience: "user-management",
 * });
 * const { sub, amr } = await verifier.verify(token);
 */
export function createTokenVerifier(options: TokenVerifierOptions): TokenVerifier {
  const leewaySeconds = options.leewaySeconds ?? DEFAULT_LEEWAY_SECONDS;
  const now = options.now ?? Date.now;
  const remoteKeys = createRemoteJWKSet(new URL(options.jwksUrl), {
    cooldownDuration: (options.cooldownSeconds ?? 10) * 1000,
    cacheMaxAge: (options.cacheMaxAgeSeconds ?? 600) * 1000,
    timeoutDuration: options.timeoutMs ?? 5000,
  });
  const keyFor = async (header: JWTHeaderParameters) => {
    try {
      return await remoteKeys(header);
    } catch (error) {
      if (
        error instanceof joseErrors.JWKSNoMatchingKey ||
        error instanceof joseErrors.JWKSMultipleMatchingKeys
      ) {
        throw error;
      }
      throw new KeySetUnavailableError({ cause: error });
    }
  };

  return {
    async verify(token) {
      const nowMs = now();
      try {
        checkHeader(readCanonicalHeader(token), "EdDSA");
        const { payload } = await jwtVerify(token, keyFor, {
          algorithms: ["EdDSA"],
          issuer: options.issuer,
          audience: options.audience,
          clockTolerance: leewaySeconds,
          currentDate: new Date(nowMs),
          requiredClaims: REQUIRED_CLAIMS,
        });
        return toAccessTokenClaims(payload, Math.floor(nowMs / 1000), leewaySeconds);
      } catch (error) {
        throw toInvalidTokenError(error);
      }
    },
  };
}
