import { tokensValidFrom } from "@app/core";
import { createRoute, OpenAPIHono } from "@hono/zod-openapi";
import { HTTPException } from "hono/http-exception";
import type { AppDeps, AppEnv } from "../../../app-env.js";
import { requireUser } from "../../../middleware/require-user.js";
import { validationHook } from "../../../validation.js";
import { BEARER_SECURITY, jsonContent, problemResponses } from "../../openapi-helpers.js";
import {
  changePasswordBodySchema,
  loginFormSchema,
  loginJsonSchema,
  registerBodySchema,
  tokenResponseSchema,
  toUserResource,
  updateMeBodySchema,
  userResourceSchema,
} from "./users.wire.js";

const registerRoute = createRoute({
  method: "post",
  path: "/",
  tags: ["users"],
  summary: "Register a new user",
  request: { body: { required: true, content: { "application/json": { schema: registerBodySchema } } } },
  responses: {
    201: {
      ...jsonContent(userResourceSchema, "The created user"),
      headers: { Location: { schema: { type: "string" }, description: "URL of the new user" } },
    },
    ...problemResponses(400, 409, 413, 415, 422, 503),
  },
});

const loginRoute = createRoute({
  method: "post",
  path: "/login",
  tags: ["users"],
  summary: "Log in (JSON, or the OAuth2 password grant form)",
  request: {
    body: {
      required: false,
      content: {
        "application/json": { schema: loginJsonSchema },
        "application/x-www-form-urlencoded": { schema: loginFormSchema },
      },
    },
  },
  responses: {
    200: jsonContent(tokenResponseSchema, "An access token"),
    ...problemResponses(400, 401, 413, 415, 422, 503),
  },
});

const meRoute = createRoute({
  method: "get",
  path: "/me",
  tags: ["users"],
  summary: "The signed-in user's profile",
  security: BEARER_SECURITY,
  responses: {
    200: jsonContent(userResourceSchema, "The signed-in user"),
    ...problemResponses(401, 503),
  },
});

const updateMeRoute = createRoute({
  method: "patch",
  path: "/me",
  tags: ["users"],
  summary: "Change your own email and/or full name",
  description:
    "Only `email` and `full_name` are read; `full_name: null` clears it; `{}` changes nothing. The email is trimmed, lower-cased and must not belong to another user.",
  security: BEARER_SECURITY,
  request: { body: { required: true, content: { "application/json": { schema: updateMeBodySchema } } } },
  responses: {
    200: jsonContent(userResourceSchema, "The updated user"),
    ...problemResponses(400, 401, 409, 413, 415, 422, 503),
  },
});

const changePasswordRoute = createRoute({
  method: "post",
  path: "/me/password",
  tags: ["users"],
  summary: "Change your own password",
  description:
    "Every access token issued before the change is refused afterwards (this one included); log in again with the new password.",
  security: BEARER_SECURITY,
  request: {
    body: { required: true, content: { "application/json": { schema: changePasswordBodySchema } } },
  },
  responses: {
    204: { description: "Changed" },
    ...problemResponses(400, 401, 413, 415, 422, 503),
  },
});

const deleteMeRoute = createRoute({
  method: "delete",
  path: "/me",
  tags: ["users"],
  summary: "Delete your own account",
  description:
    "The token stops working and the email can register again. The last active superuser cannot delete itself (409).",
  security: BEARER_SECURITY,
  responses: {
    204: { description: "Deleted" },
    ...problemResponses(401, 409, 503),
  },
});

export function usersRoutes(deps: AppDeps) {
  const { users, tokens } = deps;
  const authenticated = requireUser(deps);

  return new OpenAPIHono<AppEnv>({ defaultHook: validationHook })
    .openapi(registerRoute, async (c) => {
      const body = c.req.valid("json");
      const user = await users.register({
        email: body.email,
        password: body.password,
        fullName: body.full_name ?? null,
      });
      return c.json(toUserResource(user), 201, { Location: `/v1/users/${user.id}` });
    })
    .openapi(loginRoute, async (c) => {
      const body =
        credentialsMediaType(c.req.header("content-type")) === "form"
          ? c.req.valid("form")
          : c.req.valid("json");
      const user = await users.authenticate(
        "username" in body
          ? { email: body.username, password: body.password }
          : { email: body.email, password: body.password },
      );
      const { token, expiresIn } = await tokens.issue({
        subject: user.id,
        issuedAtFloor: tokensValidFrom(user),
      });
      // RFC 6749 §5.1: token responses must not be cached.
      return c.json({ access_token: token, token_type: "bearer" as const, expires_in: expiresIn }, 200, {
        "Cache-Control": "no-store",
        Pragma: "no-cache",
      });
    })
    .openapi({ ...meRoute, middleware: [authenticated] as const }, (c) =>
      c.json(toUserResource(c.var.user), 200),
    )
    .openapi({ ...updateMeRoute, middleware: [authenticated] as const }, async (c) => {
      const body = c.req.valid("json");
      const user = await users.updateProfile(c.var.user.id, { email: body.email, fullName: body.full_name });
      return c.json(toUserResource(user), 200);
    })
    .openapi({ ...changePasswordRoute, middleware: [authenticated] as const }, async (c) => {
      const body = c.req.valid("json");
      await users.changePassword(c.var.user.id, {
        currentPassword: body.current_password,
        newPassword: body.new_password,
      });
      return c.body(null, 204);
    })
    .openapi({ ...deleteMeRoute, middleware: [authenticated] as const }, async (c) => {
      await users.deleteAccount(c.var.user.id);
      return c.body(null, 204);
    });
}

/** Which body parser the login route's content type selects; anything else is a 415. */
function credentialsMediaType(contentType: string | undefined): "json" | "form" {
  const mediaType = contentType?.split(";")[0]?.trim().toLowerCase();
  if (mediaType === "application/x-www-form-urlencoded") return "form";
  if (mediaType === "application/json" || mediaType?.endsWith("+json")) return "json";
  throw new HTTPException(415, {
    message: "Send credentials as application/json or application/x-www-form-urlencoded.",
  });
}
