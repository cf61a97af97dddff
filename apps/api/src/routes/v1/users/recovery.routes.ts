/**
 * Password reset and email verification. Every answer here is the same whether or not an account
 * exists: the request routes reply 202 with one fixed body, and the mail goes out (or not) afterwards.
 */
import type { User } from "@app/core";
import { createRoute, OpenAPIHono } from "@hono/zod-openapi";
import { createMiddleware } from "hono/factory";
import type { AppDeps, AppEnv } from "../../../app-env.js";
import { auditContextOf } from "../../../audit-context.js";
import { createAccountBudget } from "../../../middleware/account-budget.js";
import { accountSubject, enforce, rateLimitByAddress } from "../../../middleware/rate-limit.js";
import { requireUser } from "../../../middleware/require-user.js";
import { buildProblem, PROBLEM_CONTENT_TYPE } from "../../../problem.js";
import { validationHook } from "../../../validation.js";
import { BEARER_SECURITY, jsonContent, problemResponses } from "../../openapi-helpers.js";
import {
  acceptedSchema,
  type PasswordBodySchemas,
  passwordBodySchemas,
  passwordResetRequestSchema,
  resendVerificationBodySchema,
  verifyEmailBodySchema,
} from "./users.wire.js";

const RESET_ACCEPTED = {
  detail: "If an account with this email exists, a link to reset its password has been sent to it.",
};
const RESEND_ACCEPTED = {
  detail:
    "If an account with this email exists and is not verified yet, a new verification link has been sent to it.",
};

const withTokenProblem = (type: string) => ({
  400: {
    ...problemResponses(400)[400],
    description: `Malformed JSON, or a token that is unknown, expired or already used (type \`${type}\`)`,
  },
});

const passwordResetRoute = createRoute({
  method: "post",
  path: "/password-reset",
  tags: ["account recovery"],
  summary: "Ask for a password-reset link by email",
  description:
    "Always 202 with the same body, whether or not the account exists. When an active account has this email, it receives a single-use link valid for 30 minutes.",
  request: {
    body: { required: true, content: { "application/json": { schema: passwordResetRequestSchema } } },
  },
  responses: {
    202: jsonContent(acceptedSchema, "Accepted; a link is emailed if the account exists"),
    ...problemResponses(400, 413, 415, 422, 429, 503),
  },
});

const passwordResetConfirmRoute = (bodies: PasswordBodySchemas) =>
  createRoute({
    method: "post",
    path: "/password-reset/confirm",
    tags: ["account recovery"],
    summary: "Set a new password with the emailed token",
    description:
      "The token is spent, the password changes and every access token issued before is refused. An unknown, expired or used token answers 400 `/problems/invalid-reset-token`.",
    request: {
      body: { required: true, content: { "application/json": { schema: bodies.passwordResetConfirm } } },
    },
    responses: {
      204: { description: "Password changed" },
      ...problemResponses(413, 415, 422, 429, 503),
      ...withTokenProblem("/problems/invalid-reset-token"),
    },
  });

const verifyEmailRoute = createRoute({
  method: "post",
  path: "/verify-email",
  tags: ["account recovery"],
  summary: "Confirm an email address with the emailed token",
  description:
    "The token is spent and the user's `email_verified` becomes true. An unknown, expired or used token, or one sent to an address the user has since changed, answers 400 `/problems/invalid-verification-token`.",
  request: {
    body: { required: true, content: { "application/json": { schema: verifyEmailBodySchema } } },
  },
  responses: {
    204: { description: "Verified" },
    ...problemResponses(413, 415, 422, 429, 503),
    ...withTokenProblem("/problems/invalid-verification-token"),
  },
});

const resendVerificationRoute = createRoute({
  method: "post",
  path: "/verify-email/resend",
  tags: ["account recovery"],
  summary: "Send a new verification link",
  description:
    "Signed in (Bearer, no body): to your own email. Signed out, with `{email}`: to that address, for someone who lost the mail and cannot sign in. Always 202 with the same body, whether or not an account has the address and whether or not it is verified; only an unverified address of an active account gets a mail. Budgeted per client address and per account (429 with `Retry-After`), like password reset.",
  security: [...BEARER_SECURITY, {}],
  request: {
    body: { required: false, content: { "application/json": { schema: resendVerificationBodySchema } } },
  },
  responses: {
    202: jsonContent(acceptedSchema, "Accepted"),
    ...problemResponses(400, 401, 413, 415, 422, 429, 503),
  },
});

export function recoveryRoutes(deps: AppDeps) {
  const { recovery, accountMail, rateLimiter, rateLimits, metrics, clientAddress } = deps;
  const bodies = passwordBodySchemas(deps.passwordPolicy);
  const budget = { limiter: rateLimiter, metrics, windowSeconds: rateLimits.windowSeconds };
  const byAddress = rateLimitByAddress({
    ...budget,
    clientAddress,
    name: "recovery_address",
    limit: rateLimits.recoveryPerAddress,
  });
  const accountBudget = {
    ...budget,
    name: "recovery_account" as const,
    limit: rateLimits.recoveryPerAccount,
  };
  const passwordGuesses = createAccountBudget({
    ...budget,
    clientAddress,
    perAccountAndAddress: rateLimits.loginPerAccountAndAddress,
    perAccount: rateLimits.loginPerAccount,
  });

  const authenticated = requireUser(deps);
  // A Bearer token, when sent, must be valid (401 otherwise); without one the body names the address.
  const userIfBearer = createMiddleware<AppEnv>(async function userIfBearer(c, next) {
    if (c.req.header("authorization") === undefined) return next();
    return authenticated(c, next);
  });

  return new OpenAPIHono<AppEnv>({ defaultHook: validationHook })
    .openapi({ ...passwordResetRoute, middleware: [byAddress] as const }, async (c) => {
      const { email } = c.req.valid("json");
      // Counted for unknown addresses too: the budget must not tell which emails have accounts.
      await enforce(c, accountBudget, accountSubject(email));
      await accountMail.sendPasswordReset(email);
      return c.json(RESET_ACCEPTED, 202);
    })
    .openapi({ ...passwordResetConfirmRoute(bodies), middleware: [byAddress] as const }, async (c) => {
      const body = c.req.valid("json");
      const user = await recovery.resetPassword(
        { token: body.token, newPassword: body.new_password },
        auditContextOf(c, deps),
      );
      // Whoever held the mailbox chose the new password: guesses at the old one no longer lock it.
      await passwordGuesses.clearEverywhere(user.email);
      c.var.logger?.info({ userId: user.id }, "password reset");
      return c.body(null, 204);
    })
    .openapi({ ...verifyEmailRoute, middleware: [byAddress] as const }, async (c) => {
      const { token } = c.req.valid("json");
      const user = await recovery.verifyEmail(token, auditContextOf(c, deps));
      c.var.logger?.info({ userId: user.id }, "email verified");
      return c.body(null, 204);
    })
    .openapi({ ...resendVerificationRoute, middleware: [userIfBearer, byAddress] as const }, async (c) => {
      // Set only when an Authorization header came and passed requireUser.
      const user = c.get("user") as User | undefined;
      if (user) {
        await enforce(c, accountBudget, `user:${user.id}`);
        await accountMail.sendVerification(user.id);
        return c.json(RESEND_ACCEPTED, 202);
      }
      const { email } = c.req.valid("json");
      if (email === undefined) {
        return c.json(
          buildProblem("VALIDATION_FAILED", "The request body is invalid: see errors.", [
            { path: "email", message: "is required without a Bearer token" },
          ]),
          422,
          { "Content-Type": PROBLEM_CONTENT_TYPE },
        );
      }
      // Counted for unknown and verified addresses too, so the budget tells nothing either.
      await enforce(c, accountBudget, accountSubject(email));
      await accountMail.sendVerificationByEmail(email);
      return c.json(RESEND_ACCEPTED, 202);
    });
}
