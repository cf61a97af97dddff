import { DatabaseUnavailableError } from "@app/core";
import { createRoute, OpenAPIHono, z } from "@hono/zod-openapi";
import type { AppDeps, AppEnv } from "../app-env.js";
import { jsonContent, problemResponses } from "./openapi-helpers.js";

const healthRoute = createRoute({
  method: "get",
  path: "/health",
  tags: ["operations"],
  summary: "Liveness: the process is up (no I/O)",
  responses: { 200: jsonContent(z.object({ status: z.literal("ok") }).openapi("Health"), "Alive") },
});

const readyRoute = createRoute({
  method: "get",
  path: "/ready",
  tags: ["operations"],
  summary: "Readiness: the database answers `select 1` within READY_TIMEOUT_MS",
  responses: {
    200: jsonContent(z.object({ status: z.literal("ok") }).openapi("Ready"), "Ready to serve"),
    ...problemResponses(503),
  },
});

const metricsRoute = createRoute({
  method: "get",
  path: "/metrics",
  tags: ["operations"],
  summary: "Prometheus metrics (text exposition format)",
  responses: {
    200: { description: "Metrics", content: { "text/plain": { schema: z.string() } } },
  },
});

export function healthRoutes({ database, metrics, http }: Pick<AppDeps, "database" | "metrics" | "http">) {
  return new OpenAPIHono<AppEnv>()
    .openapi(healthRoute, (c) => c.json({ status: "ok" as const }, 200))
    .openapi(readyRoute, async (c) => {
      const failure = await pingWithin(database, http.readyTimeoutMs);
      if (failure === undefined) return c.json({ status: "ok" as const }, 200);
      c.var.logger?.warn({ reason: failure }, "not ready");
      throw new DatabaseUnavailableError();
    })
    .openapi(metricsRoute, async (c) =>
      c.text(await metrics.registry.metrics(), 200, { "Content-Type": metrics.registry.contentType }),
    );
}

/** Undefined when the database answered in time, otherwise why not (for the log, never the client). */
async function pingWithin(database: AppDeps["database"], timeoutMs: number): Promise<string | undefined> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      database.ping().then(() => undefined),
      new Promise<string>((resolve) => {
        timer = setTimeout(() => resolve(`no answer within ${timeoutMs} ms`), timeoutMs);
      }),
    ]);
  } catch (error) {
    const code = (error as { code?: unknown }).code ?? (error as { cause?: { code?: unknown } }).cause?.code;
    return `ping failed (${error instanceof Error ? error.name : "error"} ${String(code ?? "")})`.trim();
  } finally {
    clearTimeout(timer);
  }
}
