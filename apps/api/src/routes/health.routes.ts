import { createRoute, OpenAPIHono, z } from "@hono/zod-openapi";
import type { AppEnv } from "../app-env.js";
import { jsonContent } from "./openapi-helpers.js";

const healthRoute = createRoute({
  method: "get",
  path: "/health",
  tags: ["operations"],
  summary: "Liveness: the process is up (no I/O)",
  responses: { 200: jsonContent(z.object({ status: z.literal("ok") }).openapi("Health"), "Alive") },
});

export function healthRoutes() {
  return new OpenAPIHono<AppEnv>().openapi(healthRoute, (c) => c.json({ status: "ok" as const }, 200));
}
