/**
 * What the domain needs from the outside world, expressed in domain terms only.
 * `@app/api` passes `@app/auth`'s implementation (bcrypt or Argon2id); tests may pass a fast one.
 */
export interface PasswordHasher {
  /** A new hash, with the configured algorithm and work factors. */
  hash(plain: string): Promise<string>;
  /** Checks against a stored hash of any supported kind (the stored string names its algorithm). */
  verify(plain: string, hashed: string): Promise<boolean>;
  /**
   * Whether a stored hash falls short of what `hash` would make now (another algorithm, lower work
   * factors): a password login that verified against it stores a new hash of the same password.
   * Absent: stored hashes are never replaced.
   */
  needsRehash?(hashed: string): boolean;
}

/** The session an access token belongs to: stamped into the token as `sid` and `amr`. */
export interface AccessTokenSession {
  /** The refresh-token family id: the same for the login's token and every refreshed one. */
  id: string;
  /**
   * RFC 8176 methods the user signed in with (`pwd`, ...), kept on the session: a refreshed token carries
   * its login's, since a refresh proves no method of its own. Absent when the login named none.
   */
  amr?: string[];
}

/** What the session service asks of an access token; the shape of `@app/auth`'s `IssueOptions`. */
export interface AccessTokenRequest {
  subject: string;
  /**
   * Stamp `iat` no earlier than this (epoch seconds): the session service passes
   * `tokensValidFrom(user)`, so a fresh token is never refused by its own user's revocation boundary.
   */
  issuedAtFloor: number;
  /** The session (refresh-token family) id, stamped as `sid`. */
  sessionId?: string;
  /** RFC 8176 authentication methods, stamped as `amr`. */
  amr?: string[];
}

/** Signs access tokens for the session service; the api passes `@app/auth`'s token service itself. */
export interface AccessTokenIssuer {
  issue(request: AccessTokenRequest): Promise<{ token: string; expiresIn: number }>;
}
