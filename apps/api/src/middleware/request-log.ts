import { createMiddleware } from "hono/factory";
import { routePath } from "hono/route";
import type { AppEnv } from "../app-env.js";
import type { Logger } from "../logger.js";

export interface RequestLogOptions {
  logger: Logger;
}

/** One access line per request, written after the response is known, with a per-request child logger. */
export function requestLog({ logger }: RequestLogOptions) {
  return createMiddleware<AppEnv>(async function requestLog(c, next) {
    const startedAt = performance.now();
    const requestLogger = logger.child({ requestId: c.var.requestId });
    c.set("logger", requestLogger);
    await next();
    const user = c.var.user;
    requestLogger.info(
      {
        method: c.req.method,
        path: c.req.path,
        // The route whose handler ran, not the last that matched: `/v1/users/me` also matches `/{id}`.
        route: routePath(c),
        status: c.res.status,
        durationMs: Math.round((performance.now() - startedAt) * 100) / 100,
        ...(user ? { userId: user.id } : {}),
      },
      "request",
    );
  });
}
