import { EmailNotVerifiedError, normalizeEmail } from "@app/core";
import { createRoute, OpenAPIHono } from "@hono/zod-openapi";
import { createMiddleware } from "hono/factory";
import { HTTPException } from "hono/http-exception";
import type { AppDeps, AppEnv } from "../../../app-env.js";
import { auditContextOf } from "../../../audit-context.js";
import type { LoginOutcome, Metrics } from "../../../metrics.js";
import { createAccountBudget } from "../../../middleware/account-budget.js";
import { accountSubject, enforce, rateLimitByAddress } from "../../../middleware/rate-limit.js";
import { requireUser } from "../../../middleware/require-user.js";
import { buildProblem, PROBLEM_CONTENT_TYPE } from "../../../problem.js";
import { validationHook } from "../../../validation.js";
import { BEARER_SECURITY, jsonContent, problemResponses } from "../../openapi-helpers.js";
import {
  loginFormSchema,
  loginJsonSchema,
  type PasswordBodySchemas,
  passwordBodySchemas,
  refreshTokenBodySchema,
  tokenResponseSchema,
  toTokenResponse,
  toUserResource,
  updateMeBodySchema,
  userResourceSchema,
} from "./users.wire.js";

const registerRoute = (bodies: PasswordBodySchemas) =>
  createRoute({
    method: "post",
    path: "/",
    tags: ["users"],
    summary: "Register a new user",
    request: { body: { required: true, content: { "application/json": { schema: bodies.register } } } },
    responses: {
      201: {
        ...jsonContent(userResourceSchema, "The created user"),
        headers: { Location: { schema: { type: "string" }, description: "URL of the new user" } },
      },
      ...problemResponses(400, 409, 413, 415, 422, 429, 503),
    },
  });

/** The 403 exists only while REQUIRE_VERIFIED_EMAIL is on; the document promises no more than that. */
const loginRoute = (requireVerifiedEmail: boolean) =>
  createRoute({
    method: "post",
    path: "/login",
    tags: ["users"],
    summary: "Log in (JSON, or the OAuth2 password grant form)",
    request: {
      body: {
        required: false,
        content: {
          "application/json": { schema: loginJsonSchema },
          "application/x-www-form-urlencoded": { schema: loginFormSchema },
        },
      },
    },
    responses: {
      200: jsonContent(tokenResponseSchema, "An access token and a refresh token"),
      ...problemResponses(400, 401, 413, 415, 422, 429, 503),
      ...(requireVerifiedEmail
        ? {
            403: {
              ...problemResponses(403)[403],
              description: "The email is not verified (type `/problems/email-not-verified`)",
            },
          }
        : {}),
    },
  });

const refreshRoute = (requireVerifiedEmail: boolean) =>
  createRoute({
    method: "post",
    path: "/token/refresh",
    tags: ["users"],
    summary: "Exchange a refresh token for a new pair (rotation)",
    description:
      "The presented refresh token is spent. Presenting a spent token again revokes every token of its session and answers 401, except within a short grace window after its first use, where a duplicate (two tabs, a retried request) gets the same new pair. A password change or reset, logout-all and deactivation revoke every refresh token.",
    request: {
      body: { required: true, content: { "application/json": { schema: refreshTokenBodySchema } } },
    },
    responses: {
      200: jsonContent(tokenResponseSchema, "A new access token and refresh token"),
      ...problemResponses(400, 401, 413, 415, 422, 429, 503),
      ...(requireVerifiedEmail
        ? {
            403: {
              ...problemResponses(403)[403],
              description:
                "The email is not verified and REQUIRE_VERIFIED_EMAIL is on (type `/problems/email-not-verified`); the refresh token is not spent",
            },
          }
        : {}),
    },
  });

const logoutRoute = createRoute({
  method: "post",
  path: "/logout",
  tags: ["users"],
  summary: "Sign out: revoke this refresh token's session",
  description:
    "Ends the session of this refresh token: it and every token rotated from the same login are revoked, and the session's access tokens are refused from the next request on. An unknown or already spent token also answers 204.",
  request: {
    body: { required: true, content: { "application/json": { schema: refreshTokenBodySchema } } },
  },
  responses: {
    204: { description: "Signed out" },
    ...problemResponses(400, 413, 415, 422, 503),
  },
});

const logoutAllRoute = createRoute({
  method: "post",
  path: "/logout-all",
  tags: ["users"],
  summary: "Sign out everywhere",
  description:
    "Revokes every refresh token of the signed-in user and refuses every access token issued until now, this one included.",
  security: BEARER_SECURITY,
  responses: {
    204: { description: "Signed out everywhere" },
    ...problemResponses(401, 503),
  },
});

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

export function usersRoutes(deps: AppDeps) {
  const { users, sessions, rateLimiter, rateLimits, metrics, clientAddress, accountMail } = deps;
  const authenticated = requireUser(deps);
  const bodies = passwordBodySchemas(deps.passwordPolicy);
  // --- hardening (issue 4): per-address budgets run before validation, so malformed requests count too ---
  const budget = { limiter: rateLimiter, metrics, windowSeconds: rateLimits.windowSeconds };
  const registerByAddress = rateLimitByAddress({
    ...budget,
    clientAddress,
    name: "register_address",
    limit: rateLimits.registerPerAddress,
  });
  const loginByAddress = rateLimitByAddress({
    ...budget,
    clientAddress,
    name: "login_address",
    limit: rateLimits.loginPerAddress,
  });
  const refreshByAddress = rateLimitByAddress({
    ...budget,
    clientAddress,
    name: "refresh_address",
    limit: rateLimits.refreshPerAddress,
  });
  const passwordGuesses = createAccountBudget({
    ...budget,
    clientAddress,
    perAccountAndAddress: rateLimits.loginPerAccountAndAddress,
    perAccount: rateLimits.loginPerAccount,
  });
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
  // --- end hardening ---

  return new OpenAPIHono<AppEnv>({ defaultHook: validationHook })
    .openapi({ ...registerRoute(bodies), middleware: [registerByAddress] as const }, async (c) => {
      const body = c.req.valid("json");
      const user = await users.register(
        {
          email: body.email,
          password: body.password,
          fullName: body.full_name ?? null,
        },
        auditContextOf(c, deps),
      );
      await accountMail.sendVerification(user.id);
      return c.json(toUserResource(user), 201, { Location: `/v1/users/${user.id}` });
    })
    .openapi(
      {
        ...loginRoute(deps.requireVerifiedEmail),
        middleware: [countLoginOutcomes(metrics), loginByAddress] as const,
      },
      async (c) => {
        const body =
          credentialsMediaType(c.req.header("content-type")) === "form"
            ? c.req.valid("form")
            : c.req.valid("json");
        const credentials =
          "username" in body
            ? { email: body.username, password: body.password }
            : { email: body.email, password: body.password };
        await passwordGuesses.spend(c, credentials.email);
        const audit = auditContextOf(c, deps);
        const user = await users.authenticate(credentials, audit);
        await passwordGuesses.clearAfterSuccess(c, credentials.email);
        // Checked after the password, so only the account's owner learns that it is unverified.
        if (deps.requireVerifiedEmail && user.emailVerifiedAt === null) throw new EmailNotVerifiedError();
        c.set("user", user);
        return c.json(
          toTokenResponse(await sessions.start(user, { amr: PASSWORD_LOGIN_AMR, context: audit })),
          200,
          NO_STORE,
        );
      },
    )
    .openapi(
      { ...refreshRoute(deps.requireVerifiedEmail), middleware: [refreshByAddress] as const },
      async (c) => {
        const body = c.req.valid("json");
        return c.json(
          toTokenResponse(await sessions.refresh(body.refresh_token, auditContextOf(c, deps))),
          200,
          NO_STORE,
        );
      },
    )
    .openapi(logoutRoute, async (c) => {
      // No oracle: whether the token existed, was spent or was live, the answer is the same.
      await sessions.logout(c.req.valid("json").refresh_token, auditContextOf(c, deps));
      return c.body(null, 204);
    })
    .openapi({ ...logoutAllRoute, middleware: [authenticated] as const }, async (c) => {
      await sessions.logoutAll(c.var.user.id, auditContextOf(c, deps));
      return c.body(null, 204);
    })
    .openapi({ ...meRoute, middleware: [authenticated] as const }, (c) =>
      c.json(toUserResource(c.var.user), 200),
    )
    .openapi({ ...updateMeRoute, middleware: [authenticated] as const }, async (c) => {
      const body = c.req.valid("json");
      const current = c.var.user;
      if (body.email !== undefined && normalizeEmail(body.email) !== normalizeEmail(current.email)) {
        if (body.current_password === undefined) {
          // Returned rather than thrown so the typed route keeps its 422 shape; same body as the validation hook.
          return c.json(
            buildProblem("VALIDATION_FAILED", "The request body is invalid: see errors.", [
              { path: "current_password", message: "is required to change the email" },
            ]),
            422,
            { "Content-Type": PROBLEM_CONTENT_TYPE },
          );
        }
        // Budgets first and the password before the uniqueness check: without the password, and beyond
        // a few tries, the 409 says nothing about which addresses have accounts.
        await enforce(c, emailChangeUserBudget, `user:${current.id}`);
        await enforce(c, emailChangeTargetBudget, accountSubject(body.email));
        await passwordGuesses.spend(c, current.email);
        await users.confirmPassword(current.id, body.current_password);
        await passwordGuesses.clearAfterSuccess(c, current.email);
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
      // A stolen access token must not become unlimited guesses at the password it does not reveal.
      await passwordGuesses.spend(c, c.var.user.email);
      await users.changePassword(
        c.var.user.id,
        {
          currentPassword: body.current_password,
          newPassword: body.new_password,
        },
        auditContextOf(c, deps),
      );
      await passwordGuesses.clearAfterSuccess(c, c.var.user.email);
      return c.body(null, 204);
    })
    .openapi({ ...deleteMeRoute, middleware: [authenticated] as const }, async (c) => {
      await users.deleteAccount(c.var.user.id, auditContextOf(c, deps));
      return c.body(null, 204);
    });
}

/** RFC 6749 §5.1: token responses must not be cached. */
const NO_STORE = { "Cache-Control": "no-store", Pragma: "no-cache" } as const;
/** RFC 8176: the user proved a password. */
const PASSWORD_LOGIN_AMR = ["pwd"];

/** One count per login attempt, by outcome, read off the final response (429s and 503s included). */
function countLoginOutcomes(metrics: Metrics) {
  return createMiddleware<AppEnv>(async function countLoginOutcome(c, next) {
    await next();
    const status = c.res.status;
    const outcome: LoginOutcome =
      status === 200
        ? "success"
        : status === 401
          ? "invalid_credentials"
          : status === 429
            ? "rate_limited"
            : status >= 500
              ? "error"
              : "invalid_request";
    metrics.loginOutcomes.inc({ outcome });
  });
}

/** Which body parser the login route's content type selects; anything else is a 415. */
function credentialsMediaType(contentType: string | undefined): "json" | "form" {
  const mediaType = contentType?.split(";")[0]?.trim().toLowerCase();
  if (mediaType === "application/x-www-form-urlencoded") return "form";
  if (mediaType === "application/json" || mediaType?.endsWith("+json")) return "json";
  throw new HTTPException(415, {
    message: "Send credentials as application/json or application/x-www-form-urlencoded.",
  });
}
