import { createRoute, OpenAPIHono } from "@hono/zod-openapi";
import type { AppDeps, AppEnv } from "../../../app-env.js";
import { auditContextOf } from "../../../audit-context.js";
import { requireSuperuser } from "../../../middleware/require-superuser.js";
import { requireUser } from "../../../middleware/require-user.js";
import { validationHook } from "../../../validation.js";
import { BEARER_SECURITY, jsonContent, problemResponses } from "../../openapi-helpers.js";
import {
  sessionIdParamSchema,
  sessionListSchema,
  toSessionResource,
  userSessionParamSchema,
} from "./user-sessions.wire.js";
import { userIdParamSchema } from "./users.wire.js";

const listMySessionsRoute = createRoute({
  method: "get",
  path: "/me/sessions",
  tags: ["sessions"],
  summary: "Where you are signed in",
  description:
    "Every live session (login) of the signed-in user, newest first. `current` marks the session of the token that asks.",
  security: BEARER_SECURITY,
  responses: {
    200: jsonContent(sessionListSchema, "The live sessions"),
    ...problemResponses(401, 503),
  },
});

const endMySessionRoute = createRoute({
  method: "delete",
  path: "/me/sessions/{id}",
  tags: ["sessions"],
  summary: "End one of your sessions",
  description:
    "Its refresh tokens and its access tokens are refused from the next request on. Someone else's session id answers 404, like an unknown one.",
  security: BEARER_SECURITY,
  request: { params: sessionIdParamSchema },
  responses: {
    204: { description: "Ended" },
    ...problemResponses(401, 404, 422, 503),
  },
});

const listUserSessionsRoute = createRoute({
  method: "get",
  path: "/{id}/sessions",
  tags: ["admin"],
  summary: "A user's live sessions (superusers only)",
  security: BEARER_SECURITY,
  request: { params: userIdParamSchema },
  responses: {
    200: jsonContent(sessionListSchema, "The user's live sessions, newest first"),
    ...problemResponses(401, 403, 404, 422, 503),
  },
});

const endUserSessionRoute = createRoute({
  method: "delete",
  path: "/{id}/sessions/{sid}",
  tags: ["admin"],
  summary: "End a user's session (superusers only)",
  security: BEARER_SECURITY,
  request: { params: userSessionParamSchema },
  responses: {
    204: { description: "Ended" },
    ...problemResponses(401, 403, 404, 422, 503),
  },
});

/** Sessions as users see them, and the superuser's view of anyone's. Mounted before the admin `/{id}` routes. */
export function userSessionsRoutes(deps: AppDeps) {
  const { sessions, users } = deps;
  const authenticated = requireUser(deps);
  const superuser = requireSuperuser();

  return new OpenAPIHono<AppEnv>({ defaultHook: validationHook })
    .openapi({ ...listMySessionsRoute, middleware: [authenticated] as const }, async (c) => {
      const rows = await sessions.listSessions(c.var.user.id);
      return c.json({ items: rows.map((row) => toSessionResource(row, c.var.sessionId)) }, 200);
    })
    .openapi({ ...endMySessionRoute, middleware: [authenticated] as const }, async (c) => {
      await sessions.endSession(c.var.user.id, c.req.valid("param").id, auditContextOf(c, deps));
      return c.body(null, 204);
    })
    .openapi({ ...listUserSessionsRoute, middleware: [authenticated, superuser] as const }, async (c) => {
      const user = await users.getProfile(c.req.valid("param").id);
      const rows = await sessions.listSessions(user.id);
      return c.json({ items: rows.map((row) => toSessionResource(row, c.var.sessionId)) }, 200);
    })
    .openapi({ ...endUserSessionRoute, middleware: [authenticated, superuser] as const }, async (c) => {
      const { id, sid } = c.req.valid("param");
      await sessions.endSession(id, sid, auditContextOf(c, deps, { asSuperuser: true }));
      return c.body(null, 204);
    });
}
