/**
 * @app/auth: credentials as cryptography, with no database and no HTTP. Password hashing with bcrypt or
 * Argon2id behind a bounded queue, verification by the stored hash's own algorithm, and the rehash
 * decision (`password.ts`, `argon2id.ts`), access tokens issued and verified with HS256 or EdDSA keys
 * (`tokens.ts`, `signing-keys.ts`), and a verifier for other services that trust this one's key set
 * (`token-verifier.ts`, `verify-access-token.ts`). Its errors say why a token or password was refused.
 */
export type { AccessTokenClaims } from "./access-token-claims.js";
export type { Argon2idParameters } from "./defaults.js";
export {
  DEFAULT_ACCESS_TOKEN_TTL_SECONDS,
  DEFAULT_ARGON2ID_PARAMETERS,
  DEFAULT_LEEWAY_SECONDS,
  meetsOwaspArgon2idMinimum,
  OWASP_ARGON2ID_MINIMUMS,
} from "./defaults.js";
export type { InvalidTokenReason } from "./errors.js";
export {
  InvalidTokenError,
  KeySetUnavailableError,
  PasswordHasherBusyError,
  PasswordTooLongError,
} from "./errors.js";
export type {
  PasswordHashAlgorithm,
  PasswordHasherImpl,
  PasswordHasherOptions,
  PasswordHashingOptions,
} from "./password.js";
export {
  createPasswordHasher,
  DEFAULT_BCRYPT_COST,
  hashPassword,
  MAX_PASSWORD_BYTES,
  PASSWORD_HASH_ALGORITHMS,
  PASSWORD_HASHER_RETRY_AFTER_SECONDS,
  passwordByteLength,
  passwordNeedsRehash,
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
  createTokenService,
  DEFAULT_VERIFIED_TOKEN_CACHE_SIZE,
} from "./tokens.js";
export type { AccessTokenEnv, VerifyAccessTokenOptions } from "./verify-access-token.js";
export { verifyAccessToken } from "./verify-access-token.js";
