/**
 * Passkeys (WebAuthn): the signed-in user registers, lists, renames and deletes them; anyone signs in
 * with a discoverable one alone (`/passkeys/login`). Each ceremony is two calls: options (a challenge,
 * stored in the database so any replica can finish it), then the authenticator's response.
 */
import { EmailNotVerifiedError } from "@app/core";
import { createRoute, OpenAPIHono, z } from "@hono/zod-openapi";
import type { AppDeps, AppEnv } from "../../../app-env.js";
import { auditContextOf } from "../../../audit-context.js";
import { rateLimitByAddress } from "../../../middleware/rate-limit.js";
import { requireUser } from "../../../middleware/require-user.js";
import { validationHook } from "../../../validation.js";
import { BEARER_SECURITY, jsonContent, problemResponses } from "../../openapi-helpers.js";
import {
  asAuthenticationResponse,
  asRegistrationResponse,
  creationOptionsSchema,
  passkeyIdParamSchema,
  passkeyLoginBodySchema,
  passkeySchema,
  registerPasskeyBodySchema,
  renamePasskeyBodySchema,
  requestOptionsSchema,
  toPasskeyResource,
} from "./mfa.wire.js";
import { createRefreshCookies } from "./refresh-cookie.js";
import { sessionTokenResponse, TOKEN_DELIVERY_NOTE, tokenDeliveryHeaders } from "./users.wire.js";

const registrationOptionsRoute = createRoute({
  method: "post",
  path: "/me/passkeys/options",
  tags: ["passkeys"],
  summary: "Start registering a passkey",
  description:
    "Creation options for `navigator.credentials.create()` (a discoverable credential, attestation `none`); send the result to `POST /v1/users/me/passkeys` within 5 minutes.",
  security: BEARER_SECURITY,
  responses: {
    200: jsonContent(creationOptionsSchema, "Creation options"),
    ...problemResponses(401, 503),
  },
});

const registerRoute = createRoute({
  method: "post",
  path: "/me/passkeys",
  tags: ["passkeys"],
  summary: "Finish registering a passkey",
  description:
    "Verifies the response against its single-use challenge, the origin (`WEBAUTHN_ORIGINS`) and the RP ID (`WEBAUTHN_RP_ID`). A passkey is a second factor after the password, and signs in alone through `/v1/users/passkeys/login`. A response that does not verify is 422 `/problems/passkey-registration-failed`.",
  security: BEARER_SECURITY,
  request: {
    body: { required: true, content: { "application/json": { schema: registerPasskeyBodySchema } } },
  },
  responses: {
    201: jsonContent(passkeySchema, "The new passkey"),
    ...problemResponses(400, 401, 413, 415, 422, 503),
  },
});

const listRoute = createRoute({
  method: "get",
  path: "/me/passkeys",
  tags: ["passkeys"],
  summary: "Your passkeys, oldest first",
  security: BEARER_SECURITY,
  responses: {
    200: jsonContent(z.array(passkeySchema), "The passkeys"),
    ...problemResponses(401, 503),
  },
});

const renameRoute = createRoute({
  method: "patch",
  path: "/me/passkeys/{id}",
  tags: ["passkeys"],
  summary: "Rename a passkey",
  security: BEARER_SECURITY,
  request: {
    params: passkeyIdParamSchema,
    body: { required: true, content: { "application/json": { schema: renamePasskeyBodySchema } } },
  },
  responses: {
    200: jsonContent(passkeySchema, "The renamed passkey"),
    ...problemResponses(400, 401, 404, 413, 415, 422, 503),
  },
});

const deleteRoute = createRoute({
  method: "delete",
  path: "/me/passkeys/{id}",
  tags: ["passkeys"],
  summary: "Delete a passkey",
  description: "Recovery codes go too when no second factor remains.",
  security: BEARER_SECURITY,
  request: { params: passkeyIdParamSchema },
  responses: {
    204: { description: "Deleted" },
    ...problemResponses(401, 404, 422, 503),
  },
});

const loginOptionsRoute = createRoute({
  method: "post",
  path: "/passkeys/login/options",
  tags: ["passkeys"],
  summary: "Start a passwordless sign-in with a passkey",
  description:
    "Request options for any discoverable passkey of this site (no account named; user verification required); send the result to `/v1/users/passkeys/login` within 5 minutes.",
  responses: {
    200: jsonContent(requestOptionsSchema, "Request options"),
    ...problemResponses(429, 503),
  },
});

const loginRoute = (requireVerifiedEmail: boolean) =>
  createRoute({
    method: "post",
    path: "/passkeys/login",
    tags: ["passkeys"],
    summary: "Sign in with a passkey alone",
    description: `The token response, with \`amr: ["hwk"]\`. Any failure (unknown passkey, used or expired challenge, wrong origin or RP ID, bad signature, a sign counter that went back) is 401 \`/problems/passkey-authentication-failed\`.\n\n${TOKEN_DELIVERY_NOTE}`,
    request: {
      headers: tokenDeliveryHeaders,
      body: { required: true, content: { "application/json": { schema: passkeyLoginBodySchema } } },
    },
    responses: {
      200: sessionTokenResponse("An access token and a refresh token"),
      ...problemResponses(400, 401, 413, 415, 422, 429, 503),
      403: {
        ...problemResponses(403)[403],
        description: `${
          requireVerifiedEmail ? "The email is not verified (type `/problems/email-not-verified`), or c" : "C"
        }ookie mode from a foreign Origin (type \`/problems/cross-site-request\`)`,
      },
    },
  });

export function passkeysRoutes(deps: AppDeps) {
  const { mfa, sessions, accountMail, rateLimiter, rateLimits, metrics, clientAddress } = deps;
  const authenticated = requireUser(deps);
  const loginByAddress = rateLimitByAddress({
    limiter: rateLimiter,
    metrics,
    windowSeconds: rateLimits.windowSeconds,
    clientAddress,
    name: "login_address",
    limit: rateLimits.loginPerAddress,
  });
  const cookies = createRefreshCookies({ webOrigins: deps.webOrigins ?? [] });

  return new OpenAPIHono<AppEnv>({ defaultHook: validationHook })
    .openapi({ ...registrationOptionsRoute, middleware: [authenticated] as const }, async (c) => {
      const options = await mfa.passkeyRegistrationOptions(c.var.user);
      return c.json(options as unknown as Record<string, unknown>, 200, NO_STORE);
    })
    .openapi({ ...registerRoute, middleware: [authenticated] as const }, async (c) => {
      const body = c.req.valid("json");
      const passkey = await mfa.registerPasskey(
        c.var.user.id,
        asRegistrationResponse(body.response),
        body.name,
        auditContextOf(c, deps),
      );
      accountMail.sendSecondFactorChanged(c.var.user.email, {
        kind: "added",
        factor: `the passkey "${passkey.name}"`,
      });
      return c.json(toPasskeyResource(passkey), 201, { Location: `/v1/users/me/passkeys/${passkey.id}` });
    })
    .openapi({ ...listRoute, middleware: [authenticated] as const }, async (c) =>
      c.json((await mfa.listPasskeys(c.var.user.id)).map(toPasskeyResource), 200),
    )
    .openapi({ ...renameRoute, middleware: [authenticated] as const }, async (c) => {
      const passkey = await mfa.renamePasskey(
        c.var.user.id,
        c.req.valid("param").id,
        c.req.valid("json").name,
      );
      return c.json(toPasskeyResource(passkey), 200);
    })
    .openapi({ ...deleteRoute, middleware: [authenticated] as const }, async (c) => {
      const { passkey, user } = await mfa.deletePasskey(
        c.var.user.id,
        c.req.valid("param").id,
        auditContextOf(c, deps),
      );
      // With no factor left, the durable "turned off" notice was queued with the change; one mail, not two.
      if (user.mfaEnabled)
        accountMail.sendSecondFactorChanged(user.email, {
          kind: "removed",
          factor: `the passkey "${passkey.name}"`,
        });
      return c.body(null, 204);
    })
    .openapi({ ...loginOptionsRoute, middleware: [loginByAddress] as const }, async (c) => {
      const options = await mfa.passwordlessOptions();
      return c.json(options as unknown as Record<string, unknown>, 200, NO_STORE);
    })
    .openapi(
      { ...loginRoute(deps.requireVerifiedEmail), middleware: [loginByAddress, cookies.guard] as const },
      async (c) => {
        const { user, amr } = await mfa.passwordlessSignIn(
          asAuthenticationResponse(c.req.valid("json").response),
        );
        if (deps.requireVerifiedEmail && user.emailVerifiedAt === null) throw new EmailNotVerifiedError();
        c.set("user", user);
        const context = auditContextOf(c, deps);
        return cookies.respondWithTokens(c, await sessions.start(user, { amr, context }));
      },
    );
}

const NO_STORE = { "Cache-Control": "no-store" } as const;
