/** Creating an account. The new address gets a verification link at once. */
import { createRoute, OpenAPIHono } from "@hono/zod-openapi";
import type { AppDeps, AppEnv } from "../../../app-env.js";
import { auditContextOf } from "../../../audit-context.js";
import { rateLimitByAddress } from "../../../middleware/rate-limit.js";
import { validationHook } from "../../../validation.js";
import { jsonContent, problemResponses } from "../../openapi-helpers.js";
import {
  type PasswordBodySchemas,
  passwordBodySchemas,
  toUserResource,
  userResourceSchema,
} from "./users.wire.js";

const registerRoute = (bodies: PasswordBodySchemas) =>
  createRoute({
    method: "post",
    path: "/",
    tags: ["users"],
    summary: "Register a new user",
    request: { body: { required: true, content: { "application/json": { schema: bodies.register } } } },
    responses: {
      201: {
        ...jsonContent(userResourceSchema, "The created user"),
        headers: { Location: { schema: { type: "string" }, description: "URL of the new user" } },
      },
      ...problemResponses(400, 409, 413, 415, 422, 429, 503),
    },
  });

export function registerRoutes(deps: AppDeps) {
  const { users, rateLimiter, rateLimits, metrics, clientAddress, accountMail } = deps;
  const bodies = passwordBodySchemas(deps.passwordPolicy);
  // Per-address budgets run before validation, so malformed requests count too.
  const registerByAddress = rateLimitByAddress({
    limiter: rateLimiter,
    metrics,
    windowSeconds: rateLimits.windowSeconds,
    clientAddress,
    name: "register_address",
    limit: rateLimits.registerPerAddress,
  });

  return new OpenAPIHono<AppEnv>({ defaultHook: validationHook }).openapi(
    { ...registerRoute(bodies), middleware: [registerByAddress] as const },
    async (c) => {
      const body = c.req.valid("json");
      const user = await users.register(
        { email: body.email, password: body.password, fullName: body.full_name ?? null },
        auditContextOf(c, deps),
      );
      await accountMail.sendVerification(user.id);
      return c.json(toUserResource(user), 201, { Location: `/v1/users/${user.id}` });
    },
  );
}
