/** Wire shapes of signing in through identity providers and of linked identities (snake_case). */
import type { Identity } from "@app/core";
import { z } from "@hono/zod-openapi";

export const providerParamSchema = z.object({
  provider: z
    .string()
    .max(64)
    .openapi({
      param: { name: "provider", in: "path" },
      example: "corp",
      description: "A provider id from GET /v1/auth/providers",
    }),
});

export const providerListSchema = z
  .object({ items: z.array(z.object({ id: z.string(), name: z.string() })) })
  .openapi("IdentityProviderList");

/**
 * A path of the web app, never an absolute or scheme-relative URL (`//evil.example`, `/\evil.example`):
 * the sign-in must not become an open redirect.
 */
const RETURN_TO = /^\/(?![/\\])[A-Za-z0-9\-._~!$&'()*+,;=:@/%?]*$/;

export const authorizeQuerySchema = z.object({
  return_to: z
    .string()
    .max(512)
    .regex(RETURN_TO, "must be a path of this site, such as /profile")
    .optional()
    .openapi({
      description: "Where the web app goes after signing in (a path of this site)",
      example: "/profile",
    }),
  intent: z.enum(["login", "link"]).optional().openapi({
    description:
      "`link`: a signed-in user adds this provider (needs the cookie from POST /v1/auth/{provider}/link-ticket)",
  }),
});

export const callbackQuerySchema = z.object({
  code: z.string().optional(),
  state: z.string().optional(),
  error: z.string().optional(),
  iss: z.string().optional(),
});

export const exchangeBodySchema = z
  .object({ code: z.string().min(1).max(128).openapi({ description: "The one-time login code" }) })
  .openapi("LoginCodeExchange");

export const linkTicketSchema = z
  .object({
    expires_in: z.number().int(),
    authorize_url: z.string().openapi({ description: "Navigate the browser here (top level) to link" }),
  })
  .openapi("LinkTicket");

export const identitySchema = z
  .object({
    id: z.uuid(),
    provider: z.string(),
    provider_name: z.string(),
    email: z.string().nullable(),
    created_at: z.iso.datetime(),
    last_used_at: z.iso.datetime().nullable(),
  })
  .openapi("Identity");

export const identityListSchema = z.object({ items: z.array(identitySchema) }).openapi("IdentityList");

export const identityIdParamSchema = z.object({
  id: z
    .string()
    .max(64)
    .openapi({ param: { name: "id", in: "path" }, format: "uuid" }),
});

export function toIdentityResource(identity: Identity, providerName: string): z.infer<typeof identitySchema> {
  return {
    id: identity.id,
    provider: identity.provider,
    provider_name: providerName,
    email: identity.email,
    created_at: identity.createdAt.toISOString(),
    last_used_at: identity.lastUsedAt?.toISOString() ?? null,
  };
}
