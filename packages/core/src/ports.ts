import type { User } from "./users/user.js";

/**
 * What the domain needs from the outside world, expressed in domain terms only.
 * `@app/api` passes `@app/auth`'s bcrypt implementation; tests may pass a fast one.
 */
export interface PasswordHasher {
  hash(plain: string): Promise<string>;
  verify(plain: string, hashed: string): Promise<boolean>;
}

/**
 * Signs access tokens for the session service (the api passes `@app/auth`'s token service). The
 * issuer stamps `iat` no earlier than `tokensValidFrom(user)`, so a fresh token is never refused by its
 * own user's revocation boundary.
 */
export interface AccessTokenIssuer {
  issue(user: User, options?: AccessTokenOptions): Promise<{ token: string; expiresIn: number }>;
}

/** What a new access token says about how its session began. */
export interface AccessTokenOptions {
  /** RFC 8176 authentication methods (`pwd`, `otp`, `hwk`, `mfa`), stamped as `amr`. */
  amr?: string[];
}
