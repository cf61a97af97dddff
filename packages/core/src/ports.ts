/**
 * What the domain needs from the outside world, expressed in domain terms only.
 * `@app/api` passes `@app/auth`'s bcrypt implementation; tests may pass a fast one.
 */
export interface PasswordHasher {
  hash(plain: string): Promise<string>;
  verify(plain: string, hashed: string): Promise<boolean>;
}
