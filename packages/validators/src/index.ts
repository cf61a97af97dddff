/**
 * @app/validators: the credential rules shared by the server and the web app, so both refuse the same
 * emails, names and passwords with the same messages: the limits (`credential-limits.ts`), the zod rules
 * (`credential-rules.ts`), their wording (`credential-messages.ts`) and the configurable password policy
 * (`password-policy.ts`).
 */
export {
  MAX_EMAIL_LENGTH,
  MAX_FULL_NAME_LENGTH,
  MAX_PASSWORD_MIN_LENGTH,
  MAX_PASSWORD_UTF8_BYTES,
  MIN_PASSWORD_CHARACTERS,
} from "./credential-limits.js";
export { credentialMessages } from "./credential-messages.js";
export {
  createEmailRule,
  createFullNameRule,
  createNewPasswordRule,
  type PasswordCheck,
  utf8ByteLength,
} from "./credential-rules.js";
export {
  DEFAULT_PASSWORD_POLICY,
  fromPasswordPolicyResource,
  type PasswordPolicy,
  type PasswordPolicyResource,
  toPasswordPolicyResource,
} from "./password-policy.js";
