/** The signed-in user's own account: read it, change email or name, change the password, delete it. */
import { normalizeEmail } from "@app/core";
import { createRoute, OpenAPIHono } from "@hono/zod-openapi";
import type { AppDeps, AppEnv } from "../../../app-env.js";
import { auditContextOf } from "../../../audit-context.js";
import { createLoginBudget } from "../../../middleware/account-budget.js";
import { accountSubject, enforce } from "../../../middleware/rate-limit.js";
import { requireUser } from "../../../middleware/require-user.js";
import { invalidFields } from "../../../problem.js";
import { validationHook } from "../../../validation.js";
import { BEARER_SECURITY, jsonContent, problemResponses } from "../../openapi-helpers.js";
import {
  type PasswordBodySchemas,
  passwordBodySchemas,
  toUserResource,
  updateMeBodySchema,
  userResourceSchema,
} from "./users.wire.js";

const meRoute = createRoute({
  method: "get",
  path: "/me",
  tags: ["users"],
  summary: "The signed-in user's profile",
  security: BEARER_SECURITY,
  responses: {
    200: jsonContent(userResourceSchema, "The signed-in user"),
    ...problemResponses(401, 503),
  },
});

const updateMeRoute = createRoute({
  method: "patch",
  path: "/me",
  tags: ["users"],
  summary: "Change your own email and/or full name",
  description:
    "Only `email`, `full_name` and `current_password` are read; `full_name: null` clears it; `{}` changes nothing. The email is trimmed, lower-cased and must not belong to another user. A new email needs `current_password` (422 when it is missing, 401 when it is wrong; a wrong one counts against the account's login budget), which is checked before whether the address is taken (409). Email changes are rate-limited per user and per new address (429 with `Retry-After`). The new address gets a verification link.",
  security: BEARER_SECURITY,
  request: { body: { required: true, content: { "application/json": { schema: updateMeBodySchema } } } },
  responses: {
    200: jsonContent(userResourceSchema, "The updated user"),
    ...problemResponses(400, 413, 415, 422, 429, 503),
    401: {
      ...problemResponses(401)[401],
      description:
        "No valid access token, or a wrong `current_password` (type `/problems/incorrect-password`)",
    },
    409: { ...problemResponses(409)[409], description: "The new email belongs to another user" },
  },
});

const changePasswordRoute = (bodies: PasswordBodySchemas) =>
  createRoute({
    method: "post",
    path: "/me/password",
    tags: ["users"],
    summary: "Change your own password",
    description:
      "Every access token issued before the change is refused afterwards (this one included); log in again with the new password.",
    security: BEARER_SECURITY,
    request: {
      body: { required: true, content: { "application/json": { schema: bodies.changePassword } } },
    },
    responses: {
      204: { description: "Changed" },
      ...problemResponses(400, 401, 413, 415, 422, 429, 503),
    },
  });

const deleteMeRoute = createRoute({
  method: "delete",
  path: "/me",
  tags: ["users"],
  summary: "Delete your own account",
  description:
    "The token stops working and the email can register again. The last active superuser cannot delete itself (409).",
  security: BEARER_SECURITY,
  responses: {
    204: { description: "Deleted" },
    ...problemResponses(401, 409, 503),
  },
});

export function meRoutes(deps: AppDeps) {
  const { users, rateLimiter, rateLimits, metrics, accountMail } = deps;
  const authenticated = requireUser(deps);
  const bodies = passwordBodySchemas(deps.passwordPolicy);
  const budget = { limiter: rateLimiter, metrics, windowSeconds: rateLimits.windowSeconds };
  const passwordGuesses = createLoginBudget(deps);
  const emailChangeUserBudget = {
    ...budget,
    name: "email_change_user" as const,
    limit: rateLimits.emailChangePerUser,
  };
  const emailChangeTargetBudget = {
    ...budget,
    name: "email_change_target" as const,
    limit: rateLimits.emailChangePerNewEmail,
  };
  return new OpenAPIHono<AppEnv>({ defaultHook: validationHook })
    .openapi({ ...meRoute, middleware: [authenticated] as const }, (c) =>
      c.json(toUserResource(c.var.user), 200),
    )
    .openapi({ ...updateMeRoute, middleware: [authenticated] as const }, async (c) => {
      const body = c.req.valid("json");
      const current = c.var.user;
      if (body.email !== undefined && normalizeEmail(body.email) !== normalizeEmail(current.email)) {
        if (body.current_password === undefined) {
          throw invalidFields("request body", [
            { path: "current_password", message: "is required to change the email" },
          ]);
        }
        // Budgets first and the password before the uniqueness check: without the password, and beyond
        // a few tries, the 409 says nothing about which addresses have accounts.
        await enforce(c, emailChangeUserBudget, `user:${current.id}`);
        await enforce(c, emailChangeTargetBudget, accountSubject(body.email));
        const guesses = passwordGuesses.forRequest(c);
        await guesses.spend(current.email);
        await users.confirmPassword(current.id, body.current_password);
        await guesses.clearAfterSuccess(current.email);
      }
      const user = await users.updateProfile(
        current.id,
        { email: body.email, fullName: body.full_name },
        auditContextOf(c, deps),
      );
      if (user.email !== current.email) await accountMail.sendVerification(user.id);
      return c.json(toUserResource(user), 200);
    })
    .openapi({ ...changePasswordRoute(bodies), middleware: [authenticated] as const }, async (c) => {
      const body = c.req.valid("json");
      const { user } = c.var;
      const guesses = passwordGuesses.forRequest(c);
      // A stolen access token must not become unlimited guesses at the password it does not reveal.
      await guesses.spend(user.email);
      await users.changePassword(
        user.id,
        { currentPassword: body.current_password, newPassword: body.new_password },
        auditContextOf(c, deps),
      );
      await guesses.clearAfterSuccess(user.email);
      return c.body(null, 204);
    })
    .openapi({ ...deleteMeRoute, middleware: [authenticated] as const }, async (c) => {
      await users.deleteAccount(c.var.user.id, auditContextOf(c, deps));
      return c.body(null, 204);
    });
}
