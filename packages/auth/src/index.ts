export type { AccessTokenClaims } from "./access-token-claims.js";
export { DEFAULT_ACCESS_TOKEN_TTL_SECONDS, DEFAULT_LEEWAY_SECONDS } from "./defaults.js";
export type { InvalidTokenReason } from "./errors.js";
export {
  InvalidTokenError,
  KeySetUnavailableError,
  PasswordHasherBusyError,
  PasswordTooLongError,
} from "./errors.js";
export type { PasswordHasherImpl, PasswordHasherOptions, PasswordHashingOptions } from "./password.js";
export {
  createPasswordHasher,
  DEFAULT_BCRYPT_COST,
  hashPassword,
  MAX_PASSWORD_BYTES,
  PASSWORD_HASHER_RETRY_AFTER_SECONDS,
  passwordByteLength,
  verifyPassword,
} from "./password.js";
export type {
  Ed25519Key,
  KeySetEntry,
  PrivateSigningJwk,
  PublicSigningJwk,
  SigningKey,
  SigningKeyPair,
  TokenKeyProvider,
} from "./signing-keys.js";
export { createKeySetProvider, generateSigningKeyPair, toPublicJwk } from "./signing-keys.js";
export type { TokenVerifier, TokenVerifierOptions } from "./token-verifier.js";
export { createTokenVerifier } from "./token-verifier.js";
export type {
  EdDsaTokenServiceOptions,
  Hs256TokenServiceOptions,
  IssuedToken,
  IssueOptions,
  TokenService,
  TokenServiceOptions,
} from "./tokens.js";
export {
  createAccessToken,
  createTokenService,
  DEFAULT_VERIFIED_TOKEN_CACHE_SIZE,
  verifyToken,
} from "./tokens.js";
export type { AccessTokenEnv, VerifyAccessTokenOptions } from "./verify-access-token.js";
export { verifyAccessToken } from "./verify-access-token.js";
