import type { PasswordGuessBudget, RateLimiter } from "@app/core";
import type { Context } from "hono";
import type { AppDeps, AppEnv } from "../app-env.js";
import type { ClientAddressResolver } from "../client-address.js";
import type { Metrics } from "../metrics.js";
import { accountSubject, enforce, rateLimitKey } from "./rate-limit.js";

export interface AccountBudgetOptions {
  limiter: RateLimiter;
  metrics: Metrics;
  clientAddress: ClientAddressResolver;
  windowSeconds: number;
  /** Failed password checks on one account from one client address. */
  perAccountAndAddress: number;
  /** Failed password checks on one account from all addresses together. */
  perAccount: number;
}

/**
 * The password-guessing budget of an account. A guesser spends the budget of their own address on that
 * account long before the account-wide ceiling, so one attacker cannot lock the owner out; only many
 * addresses together reach the ceiling. Every check counts before the password is compared and a
 * success clears the count, so what stays counted is consecutive failures and concurrent guesses
 * cannot slip past the budget.
 */
export interface AccountBudget {
  /**
   * The budget as this request's client address spends it: `spend` throws RateLimitedError (429) when
   * over; `clearAfterSuccess` starts this address's count and the account-wide count again.
   */
  forRequest<E extends AppEnv>(c: Context<E>): PasswordGuessBudget;
  /** After a password reset: every address's count and the account-wide count start again. */
  clearEverywhere(email: string): Promise<void>;
}

export function createAccountBudget(options: AccountBudgetOptions): AccountBudget {
  const { limiter, metrics, clientAddress, windowSeconds } = options;
  const pairBudget = {
    limiter,
    metrics,
    windowSeconds,
    name: "login_account_address" as const,
    limit: options.perAccountAndAddress,
  };
  const accountBudget = {
    limiter,
    metrics,
    windowSeconds,
    name: "login_account" as const,
    limit: options.perAccount,
  };
  const accountKey = (account: string) => rateLimitKey("login_account", windowSeconds, account);
  const pairPrefix = (account: string) => rateLimitKey("login_account_address", windowSeconds, `${account}:`);

  return {
    forRequest(c) {
      const address = clientAddress(c);
      return {
        async spend(email) {
          const account = accountSubject(email);
          // The address's own budget first: attempts it refuses never reach the account-wide count.
          await enforce(c, pairBudget, `${account}:${address}`);
          await enforce(c, accountBudget, account);
        },
        async clearAfterSuccess(email) {
          const account = accountSubject(email);
          await limiter.reset(`${pairPrefix(account)}${address}`);
          await limiter.reset(accountKey(account));
        },
      };
    },
    async clearEverywhere(email) {
      const account = accountSubject(email);
      await limiter.resetPrefix(pairPrefix(account));
      await limiter.reset(accountKey(account));
    },
  };
}

/** The login budget as configured: shared by login, the password checks of /me, and password reset. */
export function createLoginBudget(
  deps: Pick<AppDeps, "rateLimiter" | "rateLimits" | "metrics" | "clientAddress">,
): AccountBudget {
  return createAccountBudget({
    limiter: deps.rateLimiter,
    metrics: deps.metrics,
    clientAddress: deps.clientAddress,
    windowSeconds: deps.rateLimits.windowSeconds,
    perAccountAndAddress: deps.rateLimits.loginPerAccountAndAddress,
    perAccount: deps.rateLimits.loginPerAccount,
  });
}
