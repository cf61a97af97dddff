/**
 * The second step of a login whose password was right but whose account has a second factor (the
 * login answered 403 `/problems/mfa-required` with an `mfa_token`). Each attempt counts against the
 * account's login budget and the address's login budget, and against the token (5 attempts).
 */
import { createRoute, OpenAPIHono } from "@hono/zod-openapi";
import type { AppDeps, AppEnv } from "../../../app-env.js";
import { auditContextOf } from "../../../audit-context.js";
import { createLoginBudget } from "../../../middleware/account-budget.js";
import { rateLimitByAddress } from "../../../middleware/rate-limit.js";
import { validationHook } from "../../../validation.js";
import { jsonContent, problemResponses } from "../../openapi-helpers.js";
import {
  asAuthenticationResponse,
  loginMfaBodySchema,
  mfaTokenBodySchema,
  requestOptionsSchema,
} from "./mfa.wire.js";
import { createRefreshCookies } from "./refresh-cookie.js";
import { sessionTokenResponse, TOKEN_DELIVERY_NOTE, tokenDeliveryHeaders } from "./users.wire.js";

const loginMfaRoute = createRoute({
  method: "post",
  path: "/login/mfa",
  tags: ["users"],
  summary: "Finish a login with a second factor",
  description:
    "Send the `mfa_token` from the login's 403 `/problems/mfa-required` with exactly one of `code` (TOTP), `recovery_code` or `webauthn` (an assertion for `/login/mfa/webauthn/options`). A TOTP code is accepted once; a recovery code is spent. A wrong one is 401 `/problems/invalid-mfa-code`; after 5 attempts, or 5 minutes, the token is dead (401 `/problems/invalid-mfa-token`: log in again). Attempts count against the account's login budget (429 + `Retry-After`). The access token's `amr` names both factors.\n\n" +
    TOKEN_DELIVERY_NOTE,
  request: {
    headers: tokenDeliveryHeaders,
    body: { required: true, content: { "application/json": { schema: loginMfaBodySchema } } },
  },
  responses: {
    200: sessionTokenResponse("An access token and a refresh token"),
    ...problemResponses(400, 413, 415, 422, 429, 503),
    403: {
      ...problemResponses(403)[403],
      description: "Cookie mode from a foreign Origin (type `/problems/cross-site-request`)",
    },
    401: {
      ...problemResponses(401)[401],
      description:
        "A wrong or used second factor (`/problems/invalid-mfa-code`), or a dead `mfa_token` (`/problems/invalid-mfa-token`)",
    },
  },
});

const webauthnOptionsRoute = createRoute({
  method: "post",
  path: "/login/mfa/webauthn/options",
  tags: ["users"],
  summary: "Passkey request options for the second step of a login",
  description:
    "For an account with a passkey: the options to pass to `navigator.credentials.get()`; send its result as `webauthn` to `/login/mfa`. Does not spend an attempt.",
  request: { body: { required: true, content: { "application/json": { schema: mfaTokenBodySchema } } } },
  responses: {
    200: jsonContent(requestOptionsSchema, "Request options for the account's passkeys"),
    ...problemResponses(400, 413, 415, 422, 429, 503),
    401: { ...problemResponses(401)[401], description: "A dead `mfa_token` (`/problems/invalid-mfa-token`)" },
  },
});

export function loginMfaRoutes(deps: AppDeps) {
  const { mfa, sessions, rateLimiter, rateLimits, metrics, clientAddress } = deps;
  const budget = { limiter: rateLimiter, metrics, windowSeconds: rateLimits.windowSeconds };
  const loginByAddress = rateLimitByAddress({
    ...budget,
    clientAddress,
    name: "login_address",
    limit: rateLimits.loginPerAddress,
  });
  const passwordGuesses = createLoginBudget(deps);
  const cookies = createRefreshCookies({ webOrigins: deps.webOrigins ?? [] });

  return new OpenAPIHono<AppEnv>({ defaultHook: validationHook })
    .openapi({ ...loginMfaRoute, middleware: [loginByAddress, cookies.guard] as const }, async (c) => {
      const body = c.req.valid("json");
      const account = await mfa.userForMfaToken(body.mfa_token);
      const guesses = passwordGuesses.forRequest(c);
      // Before the check, like a password: concurrent guesses cannot slip past the account's budget.
      await guesses.spend(account.email);
      const proof =
        body.code !== undefined
          ? { code: body.code }
          : body.recovery_code !== undefined
            ? { recoveryCode: body.recovery_code }
            : { webauthn: asAuthenticationResponse(body.webauthn as NonNullable<typeof body.webauthn>) };
      const { user, amr } = await mfa.completeSignIn(body.mfa_token, proof, auditContextOf(c, deps));
      await guesses.clearAfterSuccess(user.email);
      c.set("user", user);
      const context = auditContextOf(c, deps);
      return cookies.respondWithTokens(c, await sessions.start(user, { amr, context }));
    })
    .openapi({ ...webauthnOptionsRoute, middleware: [loginByAddress] as const }, async (c) => {
      const options = await mfa.secondFactorPasskeyOptions(c.req.valid("json").mfa_token);
      return c.json(options as unknown as Record<string, unknown>, 200, NO_STORE);
    });
}

const NO_STORE = { "Cache-Control": "no-store", Pragma: "no-cache" } as const;
