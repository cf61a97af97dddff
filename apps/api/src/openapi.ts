/**
 * The OpenAPI 3.1 document at `/openapi.json`, generated from the zod schemas the routes validate with,
 * and the interactive docs at `/docs`. The two security schemes are alternatives for the same header:
 * `bearerAuth` takes a pasted token, `oauth2` is the password flow the docs' "Authorize" button runs
 * against the login route.
 */
import type { OpenAPIHono } from "@hono/zod-openapi";
import type { AppEnv } from "./app-env.js";
import { docsRoutes, OPENAPI_PATH } from "./routes/docs.routes.js";

export const API_TITLE = "User management API";
export const API_VERSION = "1.0.0";

export function registerApiDocs(app: OpenAPIHono<AppEnv>): void {
  app.openAPIRegistry.registerComponent("securitySchemes", "bearerAuth", {
    type: "http",
    scheme: "bearer",
    bearerFormat: "JWT",
    description: "An access token from `POST /v1/users/login`.",
  });
  app.openAPIRegistry.registerComponent("securitySchemes", "oauth2", {
    type: "oauth2",
    description: "OAuth2 resource-owner password flow (RFC 6749 §4.3): your email as the username.",
    flows: { password: { tokenUrl: "/v1/users/login", scopes: {} } },
  });
  app.doc31(OPENAPI_PATH, {
    openapi: "3.1.0",
    info: {
      title: API_TITLE,
      version: API_VERSION,
      description:
        "Registration, login and account management. Errors are RFC 9457 problem details (`application/problem+json`).",
    },
    tags: [
      { name: "users", description: "Registration, login and your own account" },
      { name: "admin", description: "Managing any account (superusers only)" },
      { name: "tokens", description: "Verifying access tokens in other services" },
      { name: "operations", description: "Probes" },
    ],
  });
  app.route("/", docsRoutes());
}
