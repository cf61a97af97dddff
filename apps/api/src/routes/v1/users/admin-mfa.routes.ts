/**
 * Support's way back in for a user who lost every second factor: a superuser removes them all, and the
 * user signs in with the password alone (and is told by email).
 */
import { createRoute, OpenAPIHono } from "@hono/zod-openapi";
import type { AppDeps, AppEnv } from "../../../app-env.js";
import { auditContextOf } from "../../../audit-context.js";
import { requireSuperuser } from "../../../middleware/require-superuser.js";
import { requireUser } from "../../../middleware/require-user.js";
import { validationHook } from "../../../validation.js";
import { BEARER_SECURITY, problemResponses } from "../../openapi-helpers.js";
import { userIdParamSchema } from "./users.wire.js";

const removeFactorsRoute = createRoute({
  method: "delete",
  path: "/{id}/mfa",
  tags: ["admin"],
  summary: "Remove every second factor of a user (superusers only)",
  description:
    "TOTP, recovery codes and passkeys. Verify who is asking before doing this: afterwards the password alone signs in. The user is emailed.",
  security: BEARER_SECURITY,
  request: { params: userIdParamSchema },
  responses: {
    204: { description: "Every second factor removed" },
    ...problemResponses(401, 403, 404, 422, 503),
  },
});

export function adminMfaRoutes(deps: AppDeps) {
  const { mfa } = deps;
  const authenticated = requireUser(deps);
  const superuser = requireSuperuser();

  return new OpenAPIHono<AppEnv>({ defaultHook: validationHook }).openapi(
    { ...removeFactorsRoute, middleware: [authenticated, superuser] as const },
    async (c) => {
      // The user's notice ("turned off") is queued in the outbox with the change itself.
      await mfa.removeAllFactors(c.req.valid("param").id, auditContextOf(c, deps, { asSuperuser: true }));
      return c.body(null, 204);
    },
  );
}
