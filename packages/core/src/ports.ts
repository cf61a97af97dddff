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
  /** `sessionId` (the refresh-token family) is stamped as the token's `sid`. */
  issue(user: User, options?: { sessionId?: string }): Promise<{ token: string; expiresIn: number }>;
}
