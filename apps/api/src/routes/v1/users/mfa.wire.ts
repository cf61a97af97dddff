/**
 * Second factors and passkeys on the wire: request schemas (which also generate the OpenAPI document)
 * and the mappers from core's MFA types to snake_case JSON.
 */
import type { AuthenticationResponseJSON, MfaStatus, Passkey, RegistrationResponseJSON } from "@app/core";
import { z } from "@hono/zod-openapi";

const currentPasswordSchema = z
  .string()
  .min(1, "is required")
  .max(1024, "is too long")
  .openapi({ format: "password" });

export const currentPasswordBodySchema = z
  .object({ current_password: currentPasswordSchema })
  .openapi("CurrentPasswordRequest");

const totpCodeSchema = z
  .string()
  .trim()
  .regex(/^[0-9]{6}$/, "must be the 6 digits the authenticator app shows")
  .openapi({ example: "123456" });

export const totpConfirmBodySchema = z.object({ code: totpCodeSchema }).openapi("TotpConfirmRequest");

export const totpSetupSchema = z
  .object({
    secret: z.string().openapi({ description: "The TOTP key in base32, for typing into an app" }),
    otpauth_uri: z.string().openapi({
      description: "`otpauth://totp/…` (SHA-1, 6 digits, 30 s), for a QR code",
      example: "otpauth://totp/User%20Management:ada%40example.com?secret=…&issuer=User%20Management",
    }),
  })
  .openapi("TotpSetup");

export const recoveryCodesSchema = z
  .object({
    recovery_codes: z.array(z.string()).openapi({
      description: "10 single-use codes, shown only now; any earlier set stops working",
      example: ["k3vq-7h2m-x9pa-4dfe"],
    }),
  })
  .openapi("RecoveryCodes");

export const passkeySchema = z
  .object({
    id: z.uuid(),
    name: z.string(),
    created_at: z.string().openapi({ format: "date-time" }),
    last_used_at: z.string().nullable().openapi({ format: "date-time" }),
  })
  .openapi("Passkey");

export const mfaStatusSchema = z
  .object({
    totp: z.object({
      enabled: z.boolean(),
      confirmed_at: z.string().nullable().openapi({ format: "date-time" }),
    }),
    recovery_codes_remaining: z.number().int(),
    passkeys: z.array(passkeySchema),
  })
  .openapi("MfaStatus");

const mfaTokenSchema = z
  .string()
  .min(1, "is required")
  .max(256, "is too long")
  .openapi({ description: "The `mfa_token` of the login's 403 `/problems/mfa-required`" });

const base64url = z
  .string()
  .max(16_384)
  .regex(/^[A-Za-z0-9_-]*$/, "must be base64url");

/** A `PublicKeyCredential` from `navigator.credentials.create()`, as JSON (`toJSON()` or @simplewebauthn/browser). */
export const registrationResponseSchema = z
  .looseObject({
    id: base64url.min(1),
    rawId: base64url.min(1),
    type: z.literal("public-key"),
    response: z.looseObject({
      clientDataJSON: base64url.min(1),
      attestationObject: base64url.min(1),
      transports: z.array(z.string().max(32)).max(16).optional(),
    }),
    clientExtensionResults: z.record(z.string(), z.unknown()).default({}),
    authenticatorAttachment: z.string().max(32).optional(),
  })
  .openapi("RegistrationResponse", {
    description: "The credential returned by `navigator.credentials.create()`, serialised as JSON",
  });

/** A `PublicKeyCredential` from `navigator.credentials.get()`, as JSON. */
export const authenticationResponseSchema = z
  .looseObject({
    id: base64url.min(1),
    rawId: base64url.min(1),
    type: z.literal("public-key"),
    response: z.looseObject({
      clientDataJSON: base64url.min(1),
      authenticatorData: base64url.min(1),
      signature: base64url.min(1),
      userHandle: base64url.optional(),
    }),
    clientExtensionResults: z.record(z.string(), z.unknown()).default({}),
    authenticatorAttachment: z.string().max(32).optional(),
  })
  .openapi("AuthenticationResponse", {
    description: "The assertion returned by `navigator.credentials.get()`, serialised as JSON",
  });

export const passkeyNameSchema = z.string().trim().min(1, "is required").max(100, "is too long");

export const registerPasskeyBodySchema = z
  .object({ response: registrationResponseSchema, name: passkeyNameSchema.optional() })
  .openapi("RegisterPasskeyRequest");

export const renamePasskeyBodySchema = z.object({ name: passkeyNameSchema }).openapi("RenamePasskeyRequest");

export const passkeyIdParamSchema = z.object({
  id: z.uuid("must be a UUID").openapi({ param: { name: "id", in: "path" }, format: "uuid" }),
});

export const passkeyLoginBodySchema = z
  .object({ response: authenticationResponseSchema })
  .openapi("PasskeyLoginRequest");

export const mfaTokenBodySchema = z.object({ mfa_token: mfaTokenSchema }).openapi("MfaTokenRequest");

/** The login's second step: the mfa_token and exactly one proof. */
export const loginMfaBodySchema = z
  .object({
    mfa_token: mfaTokenSchema,
    code: totpCodeSchema.optional().openapi({ description: "A code from the authenticator app" }),
    recovery_code: z
      .string()
      .trim()
      .min(1, "is required")
      .max(64, "is too long")
      .optional()
      .openapi({ description: "One of the recovery codes (single use)", example: "k3vq-7h2m-x9pa-4dfe" }),
    webauthn: authenticationResponseSchema.optional().openapi({
      description: "An assertion answering `POST /v1/users/login/mfa/webauthn/options`",
    }),
  })
  .refine(
    (body) =>
      [body.code, body.recovery_code, body.webauthn].filter((value) => value !== undefined).length === 1,
    { message: "give exactly one of code, recovery_code and webauthn", path: ["code"] },
  )
  .openapi("LoginMfaRequest");

export const creationOptionsSchema = z.record(z.string(), z.unknown()).openapi("PasskeyCreationOptions", {
  description:
    "`PublicKeyCredentialCreationOptionsJSON` (WebAuthn Level 3): pass it to `PublicKeyCredential.parseCreationOptionsFromJSON()` or @simplewebauthn/browser's `startRegistration`. Its challenge is single use and expires after 5 minutes.",
});

export const requestOptionsSchema = z.record(z.string(), z.unknown()).openapi("PasskeyRequestOptions", {
  description:
    "`PublicKeyCredentialRequestOptionsJSON` (WebAuthn Level 3): pass it to `PublicKeyCredential.parseRequestOptionsFromJSON()` or @simplewebauthn/browser's `startAuthentication`. Its challenge is single use and expires after 5 minutes.",
});

export function toPasskeyResource(passkey: Passkey): z.infer<typeof passkeySchema> {
  return {
    id: passkey.id,
    name: passkey.name,
    created_at: passkey.createdAt.toISOString(),
    last_used_at: passkey.lastUsedAt?.toISOString() ?? null,
  };
}

export function toMfaStatusResource(status: MfaStatus): z.infer<typeof mfaStatusSchema> {
  return {
    totp: { enabled: status.totp.enabled, confirmed_at: status.totp.confirmedAt?.toISOString() ?? null },
    recovery_codes_remaining: status.recoveryCodesRemaining,
    passkeys: status.passkeys.map(toPasskeyResource),
  };
}

/** Validated above; the library checks every byte of it. */
export const asRegistrationResponse = (value: z.infer<typeof registrationResponseSchema>) =>
  value as unknown as RegistrationResponseJSON;
export const asAuthenticationResponse = (value: z.infer<typeof authenticationResponseSchema>) =>
  value as unknown as AuthenticationResponseJSON;
