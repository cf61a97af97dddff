/**
 * The server's credential rules: @app/validators' plain zod rules plus the common-password list, which
 * only the server holds. No import of the OpenAPI layer or of bcrypt: the configuration (read by a cluster
 * primary that never serves a request) validates the first superuser with these, and loading
 * `users.wire.ts` there would cost ~30 MB per process. `users.wire.ts` documents these same schemas.
 */
import {
  createNewPasswordRule as createSharedNewPasswordRule,
  MIN_PASSWORD_CHARACTERS,
} from "@app/validators";
import { COMMON_PASSWORD_MESSAGE, isCommonPassword } from "./common-passwords.js";

export { createEmailRule, createFullNameRule } from "@app/validators";

/** The list is loaded on the first password that passes the length rules, not at import. */
const NOT_A_COMMON_PASSWORD = {
  accepts: (password: string) => !isCommonPassword(password),
  message: COMMON_PASSWORD_MESSAGE,
};

/**
 * The rules for a new password, for a configured minimum (`PASSWORD_MIN_LENGTH`, never below 8), with the
 * common-password list. A factory, like the shared rules: see @app/validators on `.openapi()`.
 */
export function createNewPasswordRule(minLength: number = MIN_PASSWORD_CHARACTERS) {
  return createSharedNewPasswordRule(minLength, NOT_A_COMMON_PASSWORD);
}
