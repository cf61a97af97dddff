/**
 * The signed-in user's second factors: status, TOTP setup / confirm / disable, recovery codes. Every
 * step that needs the password counts against the account's login budget, as a password change does.
 */
import { createRoute, OpenAPIHono } from "@hono/zod-openapi";
import type { AppDeps, AppEnv } from "../../../app-env.js";
import { auditContextOf } from "../../../audit-context.js";
import { createLoginBudget } from "../../../middleware/account-budget.js";
import { requireUser } from "../../../middleware/require-user.js";
import { validationHook } from "../../../validation.js";
import { BEARER_SECURITY, jsonContent, problemResponses } from "../../openapi-helpers.js";
import {
  currentPasswordBodySchema,
  mfaStatusSchema,
  recoveryCodesSchema,
  toMfaStatusResource,
  totpConfirmBodySchema,
  totpSetupSchema,
} from "./mfa.wire.js";

const WRONG_PASSWORD_401 = {
  ...problemResponses(401)[401],
  description: "No valid access token, or a wrong `current_password` (type `/problems/incorrect-password`)",
};

const statusRoute = createRoute({
  method: "get",
  path: "/me/mfa",
  tags: ["mfa"],
  summary: "Your second factors",
  security: BEARER_SECURITY,
  responses: {
    200: jsonContent(mfaStatusSchema, "TOTP, the recovery codes left and the passkeys"),
    ...problemResponses(401, 503),
  },
});

const totpSetupRoute = createRoute({
  method: "post",
  path: "/me/mfa/totp/setup",
  tags: ["mfa"],
  summary: "Start setting up an authenticator app (TOTP)",
  description:
    "Returns a new secret and its `otpauth://` URI (show it as a QR code). Nothing changes at login until it is confirmed with a code; starting again replaces a pending setup. 409 when TOTP is already enabled.",
  security: BEARER_SECURITY,
  request: {
    body: { required: true, content: { "application/json": { schema: currentPasswordBodySchema } } },
  },
  responses: {
    200: jsonContent(totpSetupSchema, "The pending secret"),
    ...problemResponses(400, 409, 413, 415, 422, 429, 503),
    401: WRONG_PASSWORD_401,
  },
});

const totpConfirmRoute = createRoute({
  method: "post",
  path: "/me/mfa/totp/confirm",
  tags: ["mfa"],
  summary: "Confirm the authenticator app with a code; get recovery codes",
  description:
    "Enables TOTP: login then asks for a second factor. Returns 10 single-use recovery codes, shown only now. A wrong code is 422 `/problems/invalid-mfa-code`; 409 when no setup is pending.",
  security: BEARER_SECURITY,
  request: { body: { required: true, content: { "application/json": { schema: totpConfirmBodySchema } } } },
  responses: {
    200: jsonContent(recoveryCodesSchema, "TOTP is enabled"),
    ...problemResponses(400, 401, 409, 413, 415, 422, 503),
  },
});

const totpDisableRoute = createRoute({
  method: "post",
  path: "/me/mfa/totp/disable",
  tags: ["mfa"],
  summary: "Remove the authenticator app",
  description: "Recovery codes are removed too when no passkey remains. 409 when TOTP is not enabled.",
  security: BEARER_SECURITY,
  request: {
    body: { required: true, content: { "application/json": { schema: currentPasswordBodySchema } } },
  },
  responses: {
    204: { description: "TOTP removed" },
    ...problemResponses(400, 409, 413, 415, 422, 429, 503),
    401: WRONG_PASSWORD_401,
  },
});

const recoveryCodesRoute = createRoute({
  method: "post",
  path: "/me/mfa/recovery-codes",
  tags: ["mfa"],
  summary: "Replace your recovery codes",
  description: "The earlier set stops working at once. 409 when the account has no second factor.",
  security: BEARER_SECURITY,
  request: {
    body: { required: true, content: { "application/json": { schema: currentPasswordBodySchema } } },
  },
  responses: {
    200: jsonContent(recoveryCodesSchema, "A new set"),
    ...problemResponses(400, 409, 413, 415, 422, 429, 503),
    401: WRONG_PASSWORD_401,
  },
});

export function mfaRoutes(deps: AppDeps) {
  const { mfa, accountMail } = deps;
  const authenticated = requireUser(deps);
  const passwordGuesses = createLoginBudget(deps);

  return new OpenAPIHono<AppEnv>({ defaultHook: validationHook })
    .openapi({ ...statusRoute, middleware: [authenticated] as const }, async (c) =>
      c.json(toMfaStatusResource(await mfa.status(c.var.user.id)), 200),
    )
    .openapi({ ...totpSetupRoute, middleware: [authenticated] as const }, async (c) => {
      const { email, id } = c.var.user;
      const guesses = passwordGuesses.forRequest(c);
      await guesses.spend(email);
      const setup = await mfa.beginTotpSetup(id, c.req.valid("json").current_password);
      await guesses.clearAfterSuccess(email);
      return c.json({ secret: setup.secret, otpauth_uri: setup.otpauthUri }, 200, NO_STORE);
    })
    .openapi({ ...totpConfirmRoute, middleware: [authenticated] as const }, async (c) => {
      const { recoveryCodes } = await mfa.confirmTotp(
        c.var.user.id,
        c.req.valid("json").code,
        auditContextOf(c, deps),
      );
      accountMail.sendSecondFactorChanged(c.var.user.email, {
        kind: "added",
        factor: "an authenticator app",
      });
      return c.json({ recovery_codes: recoveryCodes }, 200, NO_STORE);
    })
    .openapi({ ...totpDisableRoute, middleware: [authenticated] as const }, async (c) => {
      const { email, id } = c.var.user;
      const guesses = passwordGuesses.forRequest(c);
      await guesses.spend(email);
      const user = await mfa.disableTotp(id, c.req.valid("json").current_password, auditContextOf(c, deps));
      await guesses.clearAfterSuccess(email);
      // With no factor left, the durable "turned off" notice was queued with the change; one mail, not two.
      if (user.mfaEnabled)
        accountMail.sendSecondFactorChanged(email, { kind: "removed", factor: "the authenticator app" });
      return c.body(null, 204);
    })
    .openapi({ ...recoveryCodesRoute, middleware: [authenticated] as const }, async (c) => {
      const { email, id } = c.var.user;
      const guesses = passwordGuesses.forRequest(c);
      await guesses.spend(email);
      const codes = await mfa.regenerateRecoveryCodes(id, c.req.valid("json").current_password);
      await guesses.clearAfterSuccess(email);
      return c.json({ recovery_codes: codes }, 200, NO_STORE);
    });
}

/** Secrets and recovery codes must not be kept by any cache on the way. */
const NO_STORE = { "Cache-Control": "no-store" } as const;
