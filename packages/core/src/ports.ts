import type { User } from "./users/user.js";

/**
 * What the domain needs from the outside world, expressed in domain terms only.
 * `@app/api` passes `@app/auth`'s bcrypt implementation; tests may pass a fast one.
 */
export interface PasswordHasher {
  hash(plain: string): Promise<string>;
  verify(plain: string, hashed: string): Promise<boolean>;
}

/** The session an access token belongs to: stamped into the token as `sid` and `amr`. */
export interface AccessTokenSession {
  /** The refresh-token family id: the same for the login's token and every refreshed one. */
  id: string;
  /** RFC 8176 methods the user signed in with (`pwd`, ...); absent on refresh, which proves none. */
  amr?: string[];
}

/**
 * Signs access tokens for the session service (the api passes `@app/auth`'s token service). The
 * issuer stamps `iat` no earlier than `tokensValidFrom(user)`, so a fresh token is never refused by its
 * own user's revocation boundary.
 */
export interface AccessTokenIssuer {
  issue(user: User, session: AccessTokenSession): Promise<{ token: string; expiresIn: number }>;
}
