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

/**
 * Refuses to finish a password sign-in for an account with a second factor: it throws MfaRequiredError,
 * carrying the ticket for the second step (the mfa service is the implementation).
 */
export interface SecondFactorGate {
  requireSecondFactor(user: User): Promise<void>;
}

/** RFC 8176: the user proved a password; stamped into the session's first access token. */
const PASSWORD_AMR = ["pwd"];

export interface SignInDeps {
  users: Pick<UserService, "authenticateWithPassword" | "applyPasswordRehash">;
  sessions: Pick<SessionService, "start">;
  /** Refuse accounts whose email is not verified (EmailNotVerifiedError), as refresh does. */
  requireVerifiedEmail: boolean;
  /** Without one, a password alone signs in, whatever the account's factors. */
  secondFactor?: SecondFactorGate;
}

export type SignIn = (
  credentials: Credentials,
  budget: PasswordGuessBudget,
  context?: AuditContext,
) => Promise<{ user: User; tokens: SessionTokens }>;

/**
 * Password sign-in: every attempt spends the account's budget before the password is compared (so
 * concurrent guesses cannot slip past it), a correct password clears it, and only then is an unverified
 * email refused — after the password, so only the account's owner learns that it is unverified. An
 * account with a second factor gets no session here: the gate throws MfaRequiredError with the ticket
 * for the second step, and the budget keeps counting until that step succeeds too. The request's
 * `context` goes to the security log (the failed or successful login) and onto the session.
 *
 * A stored hash that falls short of the configured algorithm or work factors is replaced by a new hash of
 * the proven password (rehash on login): in the transaction that starts the session, or, when no session
 * starts here (a second factor follows, or the email is unverified), on its own right after the password
 * check. The second step never sees the password, so this is the last moment a new hash can be made; and
 * storing it early is harmless: it is the same password, the token boundary does not move, and the write
 * is conditional on the old hash, so a password changed meanwhile is never overwritten.
 * @throws RateLimitedError, InvalidCredentialsError, InactiveUserError, EmailNotVerifiedError, MfaRequiredError
 */
export function createSignIn({ users, sessions, requireVerifiedEmail, secondFactor }: SignInDeps): SignIn {
  return async (credentials, budget, context) => {
    await budget.spend(credentials.email);
    const { user, rehash } = await users.authenticateWithPassword(credentials, context);
    const secondStepFollows = secondFactor !== undefined && user.mfaEnabled;
    // Otherwise knowing the password would reset the budget before every round of code guesses.
    if (!secondStepFollows) await budget.clearAfterSuccess(credentials.email);
    const unverified = requireVerifiedEmail && user.emailVerifiedAt === null;
    if (rehash && (secondStepFollows || unverified)) await users.applyPasswordRehash(user.id, rehash);
    if (unverified) throw new EmailNotVerifiedError();
    await secondFactor?.requireSecondFactor(user);
    return {
      user,
      tokens: await sessions.start(user, {
        amr: PASSWORD_AMR,
        method: "password",
        ...(context ? { context } : {}),
        // When a second step was expected, the rehash was stored on its own above.
        ...(rehash && !secondStepFollows ? { rehash } : {}),
      }),
    };
  };
}
