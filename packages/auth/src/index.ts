export type { InvalidTokenReason } from "./errors.js";
export { InvalidTokenError, PasswordHasherBusyError, PasswordTooLongError } from "./errors.js";
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
  AccessTokenClaims,
  IssuedToken,
  IssueOptions,
  TokenService,
  TokenServiceOptions,
} from "./tokens.js";
export {
  createAccessToken,
  createTokenService,
  DEFAULT_ACCESS_TOKEN_TTL_SECONDS,
  DEFAULT_CLOCK_SKEW_SECONDS,
  verifyToken,
} from "./tokens.js";
