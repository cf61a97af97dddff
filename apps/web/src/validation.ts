/**
 * The API's input rules, repeated in the browser so people see a problem before they submit. The server
 * stays the authority: these mirror `apps/api/src/routes/v1/users/users.wire.ts` and zod's email pattern.
 */

export const MAX_EMAIL_LENGTH = 254;
export const MIN_PASSWORD_CHARACTERS = 8;
export const MAX_PASSWORD_BYTES = 72;
export const MAX_FULL_NAME_LENGTH = 255;

// zod 4's `z.email()` pattern, which the API uses.
const EMAIL_PATTERN =
  /^(?:[A-Za-z0-9_'+-]+\.)*[A-Za-z0-9_'+-]*[A-Za-z0-9_+-]@(?:[A-Za-z0-9][A-Za-z0-9-]*\.)+[A-Za-z]{2,}$/;

export type FieldErrors = Partial<Record<string, string>>;

/** The error for an email field, or undefined when the API would accept it (it trims first). */
export function validateEmail(value: string): string | undefined {
  const email = value.trim();
  if (email === "") return "Enter your email address.";
  if (email.length > MAX_EMAIL_LENGTH) return `Use at most ${MAX_EMAIL_LENGTH} characters.`;
  if (!EMAIL_PATTERN.test(email)) return "Enter a valid email address, like ada@example.com.";
  return undefined;
}

/** Bytes as bcrypt sees them: UTF-8. */
export function utf8ByteLength(value: string): number {
  return new TextEncoder().encode(value).length;
}

/** The error for a new password: at least 8 characters (code points) and at most 72 UTF-8 bytes. */
export function validateNewPassword(value: string): string | undefined {
  if (value === "") return "Choose a password.";
  if ([...value].length < MIN_PASSWORD_CHARACTERS) {
    return `Use at least ${MIN_PASSWORD_CHARACTERS} characters.`;
  }
  if (utf8ByteLength(value) > MAX_PASSWORD_BYTES) {
    return `Too long: at most ${MAX_PASSWORD_BYTES} bytes (fewer characters if you use accents or emoji).`;
  }
  return undefined;
}

/** Sign-in and "current password" only need something typed: the rules apply when a password is set. */
export function validateRequired(value: string, message: string): string | undefined {
  return value === "" ? message : undefined;
}

export function validateFullName(value: string): string | undefined {
  return value.trim().length > MAX_FULL_NAME_LENGTH
    ? `Use at most ${MAX_FULL_NAME_LENGTH} characters.`
    : undefined;
}

export interface RegisterInput {
  email: string;
  fullName: string;
  password: string;
}

export function validateRegister(input: RegisterInput): FieldErrors {
  return compact({
    email: validateEmail(input.email),
    full_name: validateFullName(input.fullName),
    password: validateNewPassword(input.password),
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

export function validatePasswordChange(input: {
  currentPassword: string;
  newPassword: string;
  confirmPassword: string;
}): FieldErrors {
  return compact({
    current_password: validateRequired(input.currentPassword, "Enter your current password."),
    new_password: validateNewPassword(input.newPassword),
    confirm_password:
      input.confirmPassword === input.newPassword ? undefined : "The two new passwords do not match.",
  });
}

export function validatePasswordReset(input: { newPassword: string; confirmPassword: string }): FieldErrors {
  return compact({
    new_password: validateNewPassword(input.newPassword),
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
