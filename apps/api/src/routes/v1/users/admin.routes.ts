import { createRoute, OpenAPIHono } from "@hono/zod-openapi";
import type { AppDeps, AppEnv } from "../../../app-env.js";
import { auditContextOf } from "../../../audit-context.js";
import { requireSuperuser } from "../../../middleware/require-superuser.js";
import { requireUser } from "../../../middleware/require-user.js";
import { validationHook } from "../../../validation.js";
import { BEARER_SECURITY, jsonContent, problemResponses } from "../../openapi-helpers.js";
import {
  listUsersQuerySchema,
  type PasswordBodySchemas,
  passwordBodySchemas,
  toUserResource,
  userIdParamSchema,
  userPageSchema,
  userResourceSchema,
} from "./users.wire.js";

const listUsersRoute = createRoute({
  method: "get",
  path: "/",
  tags: ["admin"],
  summary: "List users, oldest first (superusers only)",
  description:
    "Without parameters, every user oldest first. `search` (an email prefix), the status flags and `sort`/`order` combine; `total` counts the matching users.",
  security: BEARER_SECURITY,
  request: { query: listUsersQuerySchema },
  responses: {
    200: jsonContent(userPageSchema, "A page of users and the total count"),
    ...problemResponses(401, 403, 422, 503),
  },
});

const getUserRoute = createRoute({
  method: "get",
  path: "/{id}",
  tags: ["admin"],
  summary: "A user by id (superusers only)",
  security: BEARER_SECURITY,
  request: { params: userIdParamSchema },
  responses: {
    200: jsonContent(userResourceSchema, "The user"),
    ...problemResponses(401, 403, 404, 422, 503),
  },
});

const updateUserRoute = (bodies: PasswordBodySchemas) =>
  createRoute({
    method: "patch",
    path: "/{id}",
    tags: ["admin"],
    summary: "Change a user (superusers only)",
    description:
      "Only the listed fields are read. A new `password` refuses the user's earlier tokens; `is_active: false` refuses all of them. Demoting or deactivating the last active superuser is refused (409).",
    security: BEARER_SECURITY,
    request: {
      params: userIdParamSchema,
      body: { required: true, content: { "application/json": { schema: bodies.adminUpdateUser } } },
    },
    responses: {
      200: jsonContent(userResourceSchema, "The updated user"),
      ...problemResponses(400, 401, 403, 404, 409, 413, 415, 422, 503),
    },
  });

const deleteUserRoute = createRoute({
  method: "delete",
  path: "/{id}",
  tags: ["admin"],
  summary: "Delete a user (superusers only)",
  description: "Deleting the last active superuser is refused (409).",
  security: BEARER_SECURITY,
  request: { params: userIdParamSchema },
  responses: {
    204: { description: "Deleted" },
    ...problemResponses(401, 403, 404, 409, 422, 503),
  },
});

/**
 * The admin API. Mounted after `usersRoutes` on the same prefix, so `/me` is matched there before
 * `/{id}` can see it. Authentication and the superuser check run before validation: 401, then 403,
 * then 422.
 */
export function adminRoutes(deps: AppDeps) {
  const { users, accountMail } = deps;
  const authenticated = requireUser(deps);
  const bodies = passwordBodySchemas(deps.passwordPolicy);
  const superuser = requireSuperuser();

  return new OpenAPIHono<AppEnv>({ defaultHook: validationHook })
    .openapi({ ...listUsersRoute, middleware: [authenticated, superuser] as const }, async (c) => {
      const query = c.req.valid("query");
      const { limit, offset } = query;
      const page = await users.listUsers({
        limit,
        offset,
        emailPrefix: query.search,
        sort: query.sort,
        order: query.order,
        isActive: query.is_active,
        isSuperuser: query.is_superuser,
        emailVerified: query.email_verified,
        mfaEnabled: query.mfa_enabled,
      });
      return c.json({ items: page.items.map(toUserResource), total: page.total, limit, offset }, 200);
    })
    .openapi({ ...getUserRoute, middleware: [authenticated, superuser] as const }, async (c) => {
      const user = await users.getProfile(c.req.valid("param").id);
      return c.json(toUserResource(user), 200);
    })
    .openapi({ ...updateUserRoute(bodies), middleware: [authenticated, superuser] as const }, async (c) => {
      const body = c.req.valid("json");
      const user = await users.adminUpdateUser(
        c.req.valid("param").id,
        {
          email: body.email,
          fullName: body.full_name,
          isActive: body.is_active,
          isSuperuser: body.is_superuser,
          password: body.password,
        },
        auditContextOf(c, deps, { asSuperuser: true }),
      );
      // A changed email is unverified again (core clears the flag): its owner gets a link to confirm it.
      if (body.email !== undefined && user.emailVerifiedAt === null)
        await accountMail.sendVerification(user.id);
      return c.json(toUserResource(user), 200);
    })
    .openapi({ ...deleteUserRoute, middleware: [authenticated, superuser] as const }, async (c) => {
      await users.adminDeleteUser(c.req.valid("param").id, auditContextOf(c, deps, { asSuperuser: true }));
      return c.body(null, 204);
    });
}
