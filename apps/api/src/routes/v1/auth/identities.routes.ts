/** A signed-in user's linked identities (linking itself goes through `/v1/auth/{provider}/link-ticket`). */
import { IdentityNotFoundError } from "@app/core";
import { createRoute, OpenAPIHono } from "@hono/zod-openapi";
import type { AppDeps, AppEnv } from "../../../app-env.js";
import { auditContextOf } from "../../../audit-context.js";
import { requireUser } from "../../../middleware/require-user.js";
import { validationHook } from "../../../validation.js";
import { BEARER_SECURITY, jsonContent, problemResponses } from "../../openapi-helpers.js";
import { identityIdParamSchema, identityListSchema, toIdentityResource } from "./auth.wire.js";

const listRoute = createRoute({
  method: "get",
  path: "/me/identities",
  tags: ["auth"],
  summary: "Your linked identity providers",
  security: BEARER_SECURITY,
  responses: {
    200: jsonContent(identityListSchema, "The linked identities, oldest first"),
    ...problemResponses(401, 503),
  },
});

const unlinkRoute = createRoute({
  method: "delete",
  path: "/me/identities/{id}",
  tags: ["auth"],
  summary: "Unlink an identity provider",
  description:
    "Refused with 409 `/problems/last-sign-in-method` when it is the account's last way to sign in: no password, no passkey and no other identity. Someone else's identity answers 404, like an unknown one.",
  security: BEARER_SECURITY,
  request: { params: identityIdParamSchema },
  responses: {
    204: { description: "Unlinked" },
    ...problemResponses(401, 404, 409, 503),
  },
});

export function identitiesRoutes(deps: AppDeps) {
  const authenticated = requireUser(deps);
  const nameOf = (provider: string) => deps.oidc?.providers.get(provider)?.settings.name ?? provider;

  return new OpenAPIHono<AppEnv>({ defaultHook: validationHook })
    .openapi({ ...listRoute, middleware: [authenticated] as const }, async (c) => {
      const items = deps.oidc ? await deps.oidc.identities.list(c.var.user.id) : [];
      return c.json({ items: items.map((i) => toIdentityResource(i, nameOf(i.provider))) }, 200);
    })
    .openapi({ ...unlinkRoute, middleware: [authenticated] as const }, async (c) => {
      if (!deps.oidc) throw new IdentityNotFoundError();
      await deps.oidc.identities.unlink(c.var.user.id, c.req.valid("param").id, auditContextOf(c, deps));
      return c.body(null, 204);
    });
}
