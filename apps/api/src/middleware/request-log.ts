import { createMiddleware } from "hono/factory";
import { routePath } from "hono/route";
import type { AppEnv } from "../app-env.js";
import type { Logger } from "../logger.js";

export interface RequestLogOptions {
  logger: Logger;
}

const LEVELS = ["fatal", "error", "warn", "info", "debug", "trace"] as const;
const REQUEST_ID = Symbol("requestId");
const CHILD = Symbol("child");

interface LazyRequestLogger {
  [REQUEST_ID]: string;
  [CHILD]?: Logger;
}

/**
 * The prototype of every request's logger: the root logger, whose level methods and `child` first make
 * the real child (bound to the request id) and then hand over to it. pino runs a child's bindings
 * through the redaction of every wildcard path, which cost ~7 % of a `/me` in the profile; most
 * requests log nothing at the production level, so they never pay it.
 */
function lazyRequestLoggerPrototype(root: Logger): Logger {
  const realChild = (self: LazyRequestLogger) => {
    self[CHILD] ??= root.child({ requestId: self[REQUEST_ID] });
    return self[CHILD];
  };
  const prototype = Object.create(root) as Record<string, unknown>;
  for (const level of LEVELS) {
    prototype[level] = function log(this: LazyRequestLogger, ...args: unknown[]) {
      if (!root.isLevelEnabled(level)) return;
      const child = realChild(this);
      (child[level] as (...rest: unknown[]) => void).apply(child, args);
    };
  }
  prototype["child"] = function child(this: LazyRequestLogger, ...args: Parameters<Logger["child"]>) {
    return realChild(this).child(...args);
  };
  return prototype as unknown as Logger;
}

/** One access line per request, written after the response is known, with a per-request child logger. */
export function requestLog({ logger }: RequestLogOptions) {
  const prototype = lazyRequestLoggerPrototype(logger);
  return createMiddleware<AppEnv>(async function requestLog(c, next) {
    const startedAt = performance.now();
    const requestLogger = Object.create(prototype) as Logger & LazyRequestLogger;
    requestLogger[REQUEST_ID] = c.get("requestId");
    c.set("logger", requestLogger);
    await next();
    // The access line is built only when it is written (LOG_LEVEL=info or lower).
    if (!logger.isLevelEnabled("info")) return;
    const user = c.get("user");
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
