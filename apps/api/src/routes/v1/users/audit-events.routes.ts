import { listAuditEvents } from "@app/core";
import { createRoute, OpenAPIHono } from "@hono/zod-openapi";
import type { AppDeps, AppEnv } from "../../../app-env.js";
import { requireSuperuser } from "../../../middleware/require-superuser.js";
import { requireUser } from "../../../middleware/require-user.js";
import { validationHook } from "../../../validation.js";
import { BEARER_SECURITY, jsonContent, problemResponses } from "../../openapi-helpers.js";
import {
  adminAuditEventPageSchema,
  auditEventPageSchema,
  auditEventsQuerySchema,
  myEventsQuerySchema,
  toAdminAuditEventResource,
  toAuditEventResource,
} from "./audit-events.wire.js";

const myEventsRoute = createRoute({
  method: "get",
  path: "/me/events",
  tags: ["security log"],
  summary: "Your recent security activity",
  description:
    "Sign-ins, failed sign-ins, password and email changes, ended sessions and more, newest first. Page with `next_cursor`: pages never repeat or skip an event, even while new ones arrive.",
  security: BEARER_SECURITY,
  request: { query: myEventsQuerySchema },
  responses: {
    200: jsonContent(auditEventPageSchema, "A page of events"),
    ...problemResponses(401, 422, 503),
  },
});

const auditEventsRoute = createRoute({
  method: "get",
  path: "/",
  tags: ["security log"],
  summary: "The security log (superusers only)",
  description:
    "Filter by subject user, type and time (`since`, `until`, inclusive). Newest first; page with `next_cursor`.",
  security: BEARER_SECURITY,
  request: { query: auditEventsQuerySchema },
  responses: {
    200: jsonContent(adminAuditEventPageSchema, "A page of events"),
    ...problemResponses(401, 403, 422, 503),
  },
});

/** `GET /v1/users/me/events`, mounted on `/v1/users` before the admin `/{id}` routes. */
export function myAuditEventsRoutes(deps: AppDeps) {
  const authenticated = requireUser(deps);
  return new OpenAPIHono<AppEnv>({ defaultHook: validationHook }).openapi(
    { ...myEventsRoute, middleware: [authenticated] as const },
    async (c) => {
      const { limit, cursor } = c.req.valid("query");
      const page = await listAuditEvents(deps.database.db, { userId: c.var.user.id, limit, cursor });
      return c.json({ items: page.items.map(toAuditEventResource), next_cursor: page.nextCursor }, 200);
    },
  );
}

/** `GET /v1/audit-events`, mounted on its own prefix. */
export function auditEventsRoutes(deps: AppDeps) {
  const authenticated = requireUser(deps);
  const superuser = requireSuperuser();
  return new OpenAPIHono<AppEnv>({ defaultHook: validationHook }).openapi(
    { ...auditEventsRoute, middleware: [authenticated, superuser] as const },
    async (c) => {
      const query = c.req.valid("query");
      const page = await listAuditEvents(deps.database.db, {
        userId: query.user_id,
        type: query.type,
        since: query.since ? new Date(query.since) : undefined,
        until: query.until ? new Date(query.until) : undefined,
        limit: query.limit,
        cursor: query.cursor,
      });
      return c.json({ items: page.items.map(toAdminAuditEventResource), next_cursor: page.nextCursor }, 200);
    },
  );
}
