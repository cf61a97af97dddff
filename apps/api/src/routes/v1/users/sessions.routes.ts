/** Signing in and out: login (JSON or the OAuth2 password form), refresh-token rotation, logout, logout-all. */
import { createSignIn, InvalidRefreshTokenError } from "@app/core";
import { createRoute, OpenAPIHono } from "@hono/zod-openapi";
import { createMiddleware } from "hono/factory";
import type { AppDeps, AppEnv } from "../../../app-env.js";
import { auditContextOf } from "../../../audit-context.js";
import type { LoginOutcome, Metrics } from "../../../metrics.js";
import { createLoginBudget } from "../../../middleware/account-budget.js";
import { rateLimitByAddress } from "../../../middleware/rate-limit.js";
import { requireUser } from "../../../middleware/require-user.js";
import { PROBLEM_CONTENT_TYPE, RequestProblem } from "../../../problem.js";
import { validationHook } from "../../../validation.js";
import { BEARER_SECURITY, problemResponses } from "../../openapi-helpers.js";
import { mfaRequiredProblemSchema } from "./mfa.wire.js";
import { createRefreshCookies, type RefreshCookies } from "./refresh-cookie.js";
import {
  loginFormSchema,
  loginJsonSchema,
  refreshTokenBodySchema,
  sessionTokenResponse,
  TOKEN_DELIVERY_NOTE,
  tokenDeliveryHeaders,
} from "./users.wire.js";

/** The 403 names email verification only while REQUIRE_VERIFIED_EMAIL is on; a second factor is always possible. */
const loginRoute = (requireVerifiedEmail: boolean) =>
  createRoute({
    method: "post",
    path: "/login",
    tags: ["users"],
    summary: "Log in (JSON, or the OAuth2 password grant form)",
    description: TOKEN_DELIVERY_NOTE,
    request: {
      headers: tokenDeliveryHeaders,
      body: {
        required: false,
        content: {
          "application/json": { schema: loginJsonSchema },
          "application/x-www-form-urlencoded": { schema: loginFormSchema },
        },
      },
    },
    responses: {
      200: sessionTokenResponse("An access token and a refresh token"),
      ...problemResponses(400, 401, 413, 415, 422, 429, 503),
      403: {
        content: { [PROBLEM_CONTENT_TYPE]: { schema: mfaRequiredProblemSchema } },
        description: `${
          requireVerifiedEmail
            ? "The account has a second factor (type `/problems/mfa-required`, with `mfa_token` and `methods`: finish at `/v1/users/login/mfa`), or the email is not verified (type `/problems/email-not-verified`)"
            : "The account has a second factor (type `/problems/mfa-required`, with `mfa_token` and `methods`: finish at `/v1/users/login/mfa`)"
        }; in cookie mode, a foreign Origin (type \`/problems/cross-site-request\`)`,
      },
    },
  });

const refreshRoute = (requireVerifiedEmail: boolean) =>
  createRoute({
    method: "post",
    path: "/token/refresh",
    tags: ["users"],
    summary: "Exchange a refresh token for a new pair (rotation)",
    description:
      "The presented refresh token is spent. Presenting a spent token again revokes every token of its session and answers 401, except within a short grace window after its first use, where a duplicate (two tabs, a retried request) gets the same new pair. A password change or reset, logout-all and deactivation revoke every refresh token.\n\n" +
      `${TOKEN_DELIVERY_NOTE} In cookie mode send no body: the refresh token is read from the cookie (a refused one also clears it).`,
    request: {
      headers: tokenDeliveryHeaders,
      body: { required: true, content: { "application/json": { schema: refreshTokenBodySchema } } },
    },
    responses: {
      200: sessionTokenResponse("A new access token and refresh token"),
      ...problemResponses(400, 401, 413, 415, 422, 429, 503),
      403: {
        ...problemResponses(403)[403],
        description: `${
          requireVerifiedEmail
            ? "The email is not verified and REQUIRE_VERIFIED_EMAIL is on (type `/problems/email-not-verified`); the refresh token is not spent. "
            : ""
        }The session cookie without the \`X-Token-Delivery: cookie\` header, or from a foreign Origin (type \`/problems/cross-site-request\`)`,
      },
    },
  });

const logoutRoute = createRoute({
  method: "post",
  path: "/logout",
  tags: ["users"],
  summary: "Sign out: revoke this refresh token's session",
  description:
    "Ends the session of this refresh token: it and every token rotated from the same login are revoked, and the session's access tokens are refused from the next request on. An unknown or already spent token also answers 204.\n\n" +
    "In cookie mode (`X-Token-Delivery: cookie`, see login) send no body: the token is read from the cookie, and the answer clears it.",
  request: {
    headers: tokenDeliveryHeaders,
    body: { required: true, content: { "application/json": { schema: refreshTokenBodySchema } } },
  },
  responses: {
    204: { description: "Signed out" },
    ...problemResponses(400, 413, 415, 422, 503),
    403: {
      ...problemResponses(403)[403],
      description:
        "The session cookie without the `X-Token-Delivery: cookie` header, or from a foreign Origin (type `/problems/cross-site-request`)",
    },
  },
});

const logoutAllRoute = createRoute({
  method: "post",
  path: "/logout-all",
  tags: ["users"],
  summary: "Sign out everywhere",
  description:
    "Revokes every refresh token of the signed-in user and refuses every access token issued until now, this one included. With `X-Token-Delivery: cookie` the answer also clears the session cookie.",
  security: BEARER_SECURITY,
  request: { headers: tokenDeliveryHeaders },
  responses: {
    204: { description: "Signed out everywhere" },
    ...problemResponses(401, 503),
    403: {
      ...problemResponses(403)[403],
      description: "Cookie mode from a foreign Origin (type `/problems/cross-site-request`)",
    },
  },
});

export function sessionsRoutes(deps: AppDeps) {
  const { users, sessions, rateLimiter, rateLimits, metrics, clientAddress } = deps;
  const authenticated = requireUser(deps);
  // Per-address budgets run before validation, so malformed requests count too.
  const budget = { limiter: rateLimiter, metrics, windowSeconds: rateLimits.windowSeconds };
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
  const passwordGuesses = createLoginBudget(deps);
  const cookies = createRefreshCookies({ webOrigins: deps.webOrigins ?? [] });
  const signIn = createSignIn({
    users,
    sessions,
    requireVerifiedEmail: deps.requireVerifiedEmail,
    secondFactor: deps.mfa,
  });

  return new OpenAPIHono<AppEnv>({ defaultHook: validationHook })
    .openapi(
      {
        ...loginRoute(deps.requireVerifiedEmail),
        middleware: [countLoginOutcomes(metrics), loginByAddress, cookies.guard, credentialsOnly] as const,
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
        const { user, tokens } = await signIn(
          credentials,
          passwordGuesses.forRequest(c),
          auditContextOf(c, deps),
        );
        c.set("user", user);
        return cookies.respondWithTokens(c, tokens);
      },
    )
    .openapi(
      {
        ...refreshRoute(deps.requireVerifiedEmail),
        middleware: [refreshByAddress, cookies.guard, refreshFromCookie(cookies, deps)] as const,
      },
      async (c) => {
        const body = c.req.valid("json");
        return cookies.respondWithTokens(
          c,
          await sessions.refresh(body.refresh_token, auditContextOf(c, deps)),
        );
      },
    )
    .openapi(
      { ...logoutRoute, middleware: [cookies.guard, logoutFromCookie(cookies, deps)] as const },
      async (c) => {
        // No oracle: whether the token existed, was spent or was live, the answer is the same.
        await sessions.logout(c.req.valid("json").refresh_token, auditContextOf(c, deps));
        return c.body(null, 204);
      },
    )
    .openapi({ ...logoutAllRoute, middleware: [cookies.guard, authenticated] as const }, async (c) => {
      await sessions.logoutAll(c.var.user.id, auditContextOf(c, deps));
      if (cookies.wantsCookie(c)) cookies.clear(c);
      return c.body(null, 204);
    });
}

/**
 * Cookie mode of the refresh route, before the JSON body validator (which would ask for a body this mode
 * does not send): the token comes from the cookie, and a refused one clears it so the browser stops
 * presenting it.
 */
function refreshFromCookie(cookies: RefreshCookies, deps: AppDeps) {
  return createMiddleware<AppEnv>(async function refreshFromCookie(c, next) {
    if (!cookies.wantsCookie(c)) return next();
    const refreshToken = cookies.read(c);
    try {
      if (refreshToken === undefined) throw new InvalidRefreshTokenError();
      return cookies.respondWithTokens(c, await deps.sessions.refresh(refreshToken, auditContextOf(c, deps)));
    } catch (error) {
      if (error instanceof InvalidRefreshTokenError) cookies.clear(c);
      throw error;
    }
  });
}

/** Cookie mode of logout: revokes the cookie's session, if any, and clears the cookie either way. */
function logoutFromCookie(cookies: RefreshCookies, deps: AppDeps) {
  return createMiddleware<AppEnv>(async function logoutFromCookie(c, next) {
    if (!cookies.wantsCookie(c)) return next();
    const refreshToken = cookies.read(c);
    if (refreshToken !== undefined) await deps.sessions.logout(refreshToken, auditContextOf(c, deps));
    cookies.clear(c);
    return c.body(null, 204);
  });
}

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

/**
 * Before the body validators, which would answer any other media type with the generic 415: the login
 * route takes two, and its 415 says which.
 */
const credentialsOnly = createMiddleware<AppEnv>(async function credentialsOnly(c, next) {
  credentialsMediaType(c.req.header("content-type"));
  await next();
});

/** Which body parser the login route's content type selects; anything else is a 415. */
function credentialsMediaType(contentType: string | undefined): "json" | "form" {
  const mediaType = contentType?.split(";")[0]?.trim().toLowerCase();
  if (mediaType === "application/x-www-form-urlencoded") return "form";
  if (mediaType === "application/json" || mediaType?.endsWith("+json")) return "json";
  throw new RequestProblem(
    "UNSUPPORTED_MEDIA_TYPE",
    "Send credentials as application/json or application/x-www-form-urlencoded.",
  );
}
