import type { AuditContext } from "../audit/audit-log.js";
import { EmailNotVerifiedError } from "../errors.js";
import type { User } from "../users/user.js";
import type { Credentials, UserService } from "../users/user-service.js";
import type { SessionService, SessionTokens } from "./session-service.js";

/**
 * The password-guessing budget of the account being signed into, as seen by one client (the caller
 * binds it to the client's address: that is HTTP's business, not the domain's).
 */
export interface PasswordGuessBudget {
  /** Counts one password check on the account of `email`; throws RateLimitedError when over. */
  spend(email: string): Promise<void>;
  /** After a correct password: the consecutive failures start again. */
  clearAfterSuccess(email: string): Promise<void>;
}

/** RFC 8176: the user proved a password; stamped into the session's first access token. */
const PASSWORD_AMR = ["pwd"];

export interface SignInDeps {
  users: Pick<UserService, "authenticate">;
  sessions: Pick<SessionService, "start">;
  /** Refuse accounts whose email is not verified (EmailNotVerifiedError), as refresh does. */
  requireVerifiedEmail: boolean;
}

export type SignIn = (
  credentials: Credentials,
  budget: PasswordGuessBudget,
  context?: AuditContext,
) => Promise<{ user: User; tokens: SessionTokens }>;

/**
 * Password sign-in: every attempt spends the account's budget before the password is compared (so
 * concurrent guesses cannot slip past it), a correct password clears it, and only then is an unverified
 * email refused — after the password, so only the account's owner learns that it is unverified. The
 * request's `context` goes to the security log (the failed or successful login) and onto the session.
 * @throws RateLimitedError, InvalidCredentialsError, InactiveUserError, EmailNotVerifiedError
 */
export function createSignIn({ users, sessions, requireVerifiedEmail }: SignInDeps): SignIn {
  return async (credentials, budget, context) => {
    await budget.spend(credentials.email);
    const user = await users.authenticate(credentials, context);
    await budget.clearAfterSuccess(credentials.email);
    if (requireVerifiedEmail && user.emailVerifiedAt === null) throw new EmailNotVerifiedError();
    return {
      user,
      tokens: await sessions.start(user, { amr: PASSWORD_AMR, ...(context ? { context } : {}) }),
    };
  };
}
