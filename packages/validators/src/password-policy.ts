import { MAX_PASSWORD_UTF8_BYTES, MIN_PASSWORD_CHARACTERS } from "./credential-limits.js";

/** What the new-password rules depend on (`PASSWORD_MIN_LENGTH`); the byte limit is bcrypt's and fixed. */
export interface PasswordPolicy {
  minLength: number;
}

export const DEFAULT_PASSWORD_POLICY: PasswordPolicy = { minLength: MIN_PASSWORD_CHARACTERS };

/** `GET /v1/users/password-policy` on the wire: what a client needs to check a new password before sending it. */
export interface PasswordPolicyResource {
  min_length: number;
  max_bytes: number;
}

export function toPasswordPolicyResource(policy: PasswordPolicy): PasswordPolicyResource {
  return { min_length: policy.minLength, max_bytes: MAX_PASSWORD_UTF8_BYTES };
}

/** The floor of 8 holds even if a server (or a proxy) says less. */
export function fromPasswordPolicyResource(resource: PasswordPolicyResource): PasswordPolicy {
  return { minLength: Math.max(MIN_PASSWORD_CHARACTERS, resource.min_length) };
}
