/**
 * The users resource on the wire: request schemas (which also generate the OpenAPI document) and the
 * one mapper from a domain user to JSON. Rows are never serialised directly; that is how hashes leak.
 */
import type { SessionTokens, User } from "@app/core";
import {
  DEFAULT_PASSWORD_POLICY,
  MAX_EMAIL_LENGTH,
  MIN_PASSWORD_CHARACTERS,
  type PasswordPolicy,
} from "@app/validators";
import { z } from "@hono/zod-openapi";
import {
  createEmailRule,
  createFullNameRule,
  createNewPasswordRule,
} from "../../../passwords/credential-rules.js";

export { MAX_EMAIL_LENGTH, MIN_PASSWORD_CHARACTERS } from "@app/validators";

export const emailSchema = createEmailRule().openapi({
  type: "string",
  format: "email",
  maxLength: MAX_EMAIL_LENGTH,
  example: "ada@example.com",
});

/**
 * The documented new-password schema for a configured minimum. Every route that sets a password
 * (registration, own and admin change, reset) uses it, so the common-list check holds everywhere.
 */
export function createNewPasswordSchema(minLength: number = MIN_PASSWORD_CHARACTERS) {
  return createNewPasswordRule(minLength).openapi({
    type: "string",
    format: "password",
    minLength,
    example: "correct horse battery",
  });
}

export const newPasswordSchema = createNewPasswordSchema();

export const fullNameSchema = createFullNameRule().nullable().openapi({ example: "Ada Lovelace" });

/** Login checks credentials, not password rules: a password that could never have been set simply fails. */
const loginPasswordSchema = z
  .string()
  .min(1, "is required")
  .max(1024, "is too long")
  .openapi({ format: "password" });

export const loginJsonSchema = z
  .object({
    email: z.string().trim().min(1, "is required").max(1024, "is too long"),
    password: loginPasswordSchema,
  })
  .openapi("LoginRequest");

/** RFC 6749 §4.3: the OAuth2 resource-owner password grant, as OpenAPI tools (the docs' Authorize) send it. */
export const loginFormSchema = z
  .object({
    username: z.string().trim().min(1, "is required").max(1024, "is too long"),
    password: loginPasswordSchema,
    grant_type: z.literal("password", 'must be "password"').optional(),
    scope: z.string().max(1024).optional(),
  })
  .openapi("OAuth2PasswordRequest");

export const tokenResponseSchema = z
  .object({
    access_token: z.string(),
    token_type: z.literal("bearer"),
    expires_in: z.number().int().openapi({ description: "Lifetime of the access token in seconds" }),
    refresh_token: z.string().openapi({
      description: "Opaque, single use: exchange it at /v1/users/token/refresh for a new pair",
    }),
    refresh_expires_in: z.number().int().openapi({ description: "Lifetime of the refresh token in seconds" }),
  })
  .openapi("TokenResponse");

export const refreshTokenBodySchema = z
  .object({
    refresh_token: z.string().min(1, "is required").max(1024, "is too long"),
  })
  .openapi("RefreshTokenRequest");

export type TokenResponse = z.infer<typeof tokenResponseSchema>;

/** The token response in cookie mode: the refresh token is in the HttpOnly cookie, not here. */
export const cookieTokenResponseSchema = tokenResponseSchema
  .omit({ refresh_token: true })
  .openapi("CookieTokenResponse");
export type CookieTokenResponse = z.infer<typeof cookieTokenResponseSchema>;

/** The opt-in header of the web app's cookie mode (see refresh-cookie.ts); API clients leave it out. */
export const tokenDeliveryHeaders = z.object({
  "x-token-delivery": z.literal("cookie").optional().openapi({
    description:
      "`cookie`: the refresh token is set as an HttpOnly, SameSite=Strict cookie instead of returned in the body (for the web app; the request's Origin must be this service's)",
  }),
});

export const TOKEN_DELIVERY_NOTE =
  "API clients get the refresh token in the JSON body. The web app sends `X-Token-Delivery: cookie` instead: the refresh token is then set as an HttpOnly, SameSite=Strict cookie (`__Secure-um_refresh`, or `um_refresh` on plain-http localhost) read only by `/v1/users/token/refresh` and `/v1/users/logout`, and left out of the body. Cookie-mode requests must come from this service's Origin (403 `/problems/cross-site-request` otherwise).";

/** A token response: the JSON one (`TokenResponse`), or the cookie mode's (`CookieTokenResponse`). */
export function sessionTokenResponse(description: string) {
  return {
    description: `${description}; in cookie mode the refresh token is in \`Set-Cookie\` instead of the body`,
    content: { "application/json": { schema: z.union([tokenResponseSchema, cookieTokenResponseSchema]) } },
  };
}

/** RFC 6749 §5.1, from the domain's pair. */
export function toTokenResponse(pair: SessionTokens): TokenResponse {
  return {
    access_token: pair.accessToken,
    token_type: "bearer",
    expires_in: pair.expiresIn,
    refresh_token: pair.refreshToken,
    refresh_expires_in: pair.refreshExpiresIn,
  };
}

export const userResourceSchema = z
  .object({
    id: z.uuid(),
    email: z.string().openapi({ format: "email" }),
    full_name: z.string().nullable(),
    is_active: z.boolean(),
    is_superuser: z.boolean(),
    email_verified: z.boolean().openapi({ description: "Whether the current email has been confirmed" }),
    mfa_enabled: z.boolean().openapi({
      description: "Whether login asks for a second factor (an authenticator app or a passkey)",
    }),
    created_at: z.string().openapi({ format: "date-time" }),
    updated_at: z.string().openapi({ format: "date-time" }),
  })
  .openapi("User");

export const problemSchema = z
  .object({
    type: z.string(),
    title: z.string(),
    status: z.number().int(),
    detail: z.string(),
    errors: z.array(z.object({ path: z.string(), message: z.string() })).optional(),
  })
  .openapi("Problem");

/**
 * `PATCH /v1/users/me`: only these fields; others are dropped. An empty object changes nothing. A new
 * email needs `current_password` (checked in the handler, which knows the current email).
 */
export const updateMeBodySchema = z
  .object({
    email: emailSchema.optional(),
    full_name: fullNameSchema.optional(),
    current_password: loginPasswordSchema.optional().openapi({
      description: "Required when `email` changes; not needed to change `full_name` alone",
    }),
  })
  .openapi("UpdateMeRequest");

export const passwordResetRequestSchema = z.object({ email: emailSchema }).openapi("PasswordResetRequest");

/** A one-time token from an emailed link: 32 random bytes, base64url (43 characters). */
export const oneTimeTokenSchema = z
  .string()
  .trim()
  .min(1, "is required")
  .max(256, "is too long")
  .openapi({ example: "q3V9w0c4bqO3m1o6zj2k4Yb8m5H4cR7pT2xN1aL0sEw" });

/** `POST /verify-email/resend` without a token: the address to send a new link to. */
export const resendVerificationBodySchema = z
  .object({
    email: emailSchema
      .optional()
      .openapi({ description: "Required unless the request carries a Bearer token" }),
  })
  .openapi("ResendVerificationRequest");

export const verifyEmailBodySchema = z.object({ token: oneTimeTokenSchema }).openapi("VerifyEmailRequest");

export const acceptedSchema = z
  .object({ detail: z.string() })
  .openapi("Accepted", { description: "The request was taken; what follows happens by email." });

export const MAX_PAGE_SIZE = 100;
export const DEFAULT_PAGE_SIZE = 20;

export const listUsersQuerySchema = z.object({
  limit: z.coerce
    .number()
    .int("must be an integer")
    .min(1, "must be at least 1")
    .max(MAX_PAGE_SIZE, `must be at most ${MAX_PAGE_SIZE}`)
    .default(DEFAULT_PAGE_SIZE)
    .openapi({ type: "integer", minimum: 1, maximum: MAX_PAGE_SIZE, default: DEFAULT_PAGE_SIZE }),
  offset: z.coerce
    .number()
    .int("must be an integer")
    .min(0, "must be at least 0")
    .max(2_147_483_647, "is too large")
    .default(0)
    .openapi({ type: "integer", minimum: 0, default: 0 }),
  search: z.string().trim().max(254, "must be at most 254 characters").optional().openapi({
    description:
      "Only users whose email starts with this text, compared case-insensitively (`%` and `_` are literal). Empty means no filter.",
    example: "ada@",
  }),
  sort: z
    .enum(["created_at", "email"], "must be created_at or email")
    .default("created_at")
    .openapi({ description: "The order of the list; ties are broken by id." }),
  order: z.enum(["asc", "desc"], "must be asc or desc").default("asc"),
  is_active: booleanQuery("Only active (`true`) or deactivated (`false`) users"),
  is_superuser: booleanQuery("Only superusers (`true`) or only the others (`false`)"),
  email_verified: booleanQuery("Only users whose current email is (`true`) or is not (`false`) verified"),
  mfa_enabled: booleanQuery("Only users with (`true`) or without (`false`) a second factor"),
});

/** A query-string flag: exactly `true` or `false`, absent for "either" (no `1`, `yes` or empty guesses). */
function booleanQuery(description: string) {
  return z
    .enum(["true", "false"], "must be true or false")
    .optional()
    .transform((value) => (value === undefined ? undefined : value === "true"))
    .openapi({ description });
}

export const userIdParamSchema = z.object({
  id: z.uuid("must be a UUID").openapi({ param: { name: "id", in: "path" }, format: "uuid" }),
});

export const userPageSchema = z
  .object({
    items: z.array(userResourceSchema),
    total: z
      .number()
      .int()
      .openapi({ description: "How many users match the filters (all users when there are none)" }),
    limit: z.number().int(),
    offset: z.number().int(),
  })
  .openapi("UserPage");

export type UserResource = z.infer<typeof userResourceSchema>;

export function toUserResource(user: User): UserResource {
  return {
    id: user.id,
    email: user.email,
    full_name: user.fullName,
    is_active: user.isActive,
    is_superuser: user.isSuperuser,
    email_verified: user.emailVerifiedAt !== null,
    mfa_enabled: user.mfaEnabled,
    created_at: user.createdAt.toISOString(),
    updated_at: user.updatedAt.toISOString(),
  };
}

const bodiesByMinLength = new Map<number, ReturnType<typeof buildPasswordBodySchemas>>();

/**
 * The request bodies that set a password, for one policy: the routes validate with them and the
 * OpenAPI document is generated from them, so the documented `minLength` is the enforced one.
 * Memoised per minimum, so every route of an app shares one instance of each named schema.
 */
export function passwordBodySchemas(policy: PasswordPolicy = DEFAULT_PASSWORD_POLICY) {
  let bodies = bodiesByMinLength.get(policy.minLength);
  if (!bodies) {
    bodies = buildPasswordBodySchemas(createNewPasswordSchema(policy.minLength));
    bodiesByMinLength.set(policy.minLength, bodies);
  }
  return bodies;
}

function buildPasswordBodySchemas(newPassword: ReturnType<typeof createNewPasswordSchema>) {
  return {
    register: z
      .object({
        email: emailSchema,
        password: newPassword,
        full_name: fullNameSchema.optional(),
      })
      .openapi("RegisterRequest"),
    changePassword: z
      .object({
        current_password: loginPasswordSchema,
        new_password: newPassword,
      })
      .openapi("ChangePasswordRequest"),
    /** `PATCH /v1/users/{id}` (superusers): only these fields; a new `password` refuses the user's earlier tokens. */
    adminUpdateUser: z
      .object({
        email: emailSchema.optional(),
        full_name: fullNameSchema.optional(),
        is_active: z.boolean().optional(),
        is_superuser: z.boolean().optional(),
        password: newPassword.optional(),
      })
      .openapi("AdminUpdateUserRequest"),
    passwordResetConfirm: z
      .object({ token: oneTimeTokenSchema, new_password: newPassword })
      .openapi("PasswordResetConfirmRequest"),
  };
}

export type PasswordBodySchemas = ReturnType<typeof passwordBodySchemas>;
