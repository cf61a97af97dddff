/**
 * The API's input rules, checked in the browser so people see a problem before they submit. The rules and
 * their words come from @app/validators, the same zod schemas the API validates with; the password
 * minimum comes from the server's policy (`GET /v1/users/password-policy`). The server stays the
 * authority: its common-password list, for one, is only checked there.
 */
import {
  createEmailRule,
  createFullNameRule,
  createNewPasswordRule,
  MAX_PASSWORD_UTF8_BYTES,
  type PasswordPolicy,
} from "@app/validators";
import { sentence } from "./error-mapping.js";
import { humanizeFieldMessage, passwordLengthHint } from "./wording.js";

export type FieldErrors = Partial<Record<string, string>>;

const emailRule = createEmailRule();
const fullNameRule = createFullNameRule();
const newPasswordRules = new Map<number, ReturnType<typeof createNewPasswordRule>>();

/** The first broken rule as a sentence ("must be …" → "Must be …."), or undefined. */
function problemOf(result: {
  error?: { issues: readonly { message: string }[] } | undefined;
}): string | undefined {
  const message = result.error?.issues[0]?.message;
  return message === undefined ? undefined : sentence(humanizeFieldMessage(message));
}

/** The error for an email field, or undefined when the API would accept it (it trims first). */
export function validateEmail(value: string): string | undefined {
  if (value.trim() === "") return "Enter your email address.";
  return problemOf(emailRule.safeParse(value));
}

/** The error for a new password under the server's policy: characters as code points, bytes as UTF-8. */
export function validateNewPassword(value: string, policy: PasswordPolicy): string | undefined {
  if (value === "") return "Choose a password.";
  let rule = newPasswordRules.get(policy.minLength);
  if (!rule) {
    rule = createNewPasswordRule(policy.minLength);
    newPasswordRules.set(policy.minLength, rule);
  }
  return problemOf(rule.safeParse(value));
}

/** The hint under a new-password field. */
export function newPasswordHint(policy: PasswordPolicy): string {
  return passwordLengthHint(policy.minLength, MAX_PASSWORD_UTF8_BYTES);
}

/** Sign-in and "current password" only need something typed: the rules apply when a password is set. */
export function validateRequired(value: string, message: string): string | undefined {
  return value === "" ? message : undefined;
}

export function validateFullName(value: string): string | undefined {
  return problemOf(fullNameRule.safeParse(value));
}

export interface RegisterInput {
  email: string;
  fullName: string;
  password: string;
}

export function validateRegister(input: RegisterInput, policy: PasswordPolicy): FieldErrors {
  return compact({
    email: validateEmail(input.email),
    full_name: validateFullName(input.fullName),
    password: validateNewPassword(input.password, policy),
  });
}

export function validateSignIn(input: { email: string; password: string }): FieldErrors {
  return compact({
    email: validateRequired(input.email.trim(), "Enter your email address."),
    password: validateRequired(input.password, "Enter your password."),
  });
}

export function validateProfile(input: { email: string; fullName: string }): FieldErrors {
  return compact({ email: validateEmail(input.email), full_name: validateFullName(input.fullName) });
}

export function validatePasswordChange(
  input: { currentPassword: string; newPassword: string; confirmPassword: string },
  policy: PasswordPolicy,
): FieldErrors {
  return compact({
    current_password: validateRequired(input.currentPassword, "Enter your current password."),
    new_password: validateNewPassword(input.newPassword, policy),
    confirm_password:
      input.confirmPassword === input.newPassword ? undefined : "The two new passwords do not match.",
  });
}

export function validatePasswordReset(
  input: { newPassword: string; confirmPassword: string },
  policy: PasswordPolicy,
): FieldErrors {
  return compact({
    new_password: validateNewPassword(input.newPassword, policy),
    confirm_password:
      input.confirmPassword === input.newPassword ? undefined : "The two new passwords do not match.",
  });
}

export function validateForgotPassword(input: { email: string }): FieldErrors {
  return compact({ email: validateEmail(input.email) });
}

function compact(errors: Record<string, string | undefined>): FieldErrors {
  return Object.fromEntries(Object.entries(errors).filter(([, message]) => message !== undefined));
}
