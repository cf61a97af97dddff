/**
 * createApp(deps) wires the HTTP service and nothing else: request id → security headers → access log →
 * body limit → routes, then the two places where everything that goes wrong becomes a problem+json
 * response (`notFound` and `onError`). No I/O happens here; `server.ts` builds the deps.
 */
import { PasswordTooLongError } from "@app/auth";
import { DomainError } from "@app/core";
import { OpenAPIHono } from "@hono/zod-openapi";
import type { Context } from "hono";
import { bodyLimit } from "hono/body-limit";
import { HTTPException } from "hono/http-exception";
import { requestId } from "hono/request-id";
import { secureHeaders } from "hono/secure-headers";
import type { AppDeps, AppEnv } from "./app-env.js";
import { requestLog } from "./middleware/request-log.js";
import { isProblemCode, type ProblemCode, problemResponse } from "./problem.js";
import { healthRoutes } from "./routes/health.routes.js";
import { usersRoutes } from "./routes/v1/users/users.routes.js";
import { webRoutes } from "./routes/web.routes.js";

export const MAX_BODY_BYTES = 16 * 1024;

export function createApp(deps: AppDeps) {
  const app = new OpenAPIHono<AppEnv>({ strict: false });

  app.use(requestId({ limitLength: 128 }));
  app.use(secureHeaders({ xFrameOptions: "DENY", crossOriginResourcePolicy: "same-origin" }));
  app.use(requestLog({ logger: deps.logger }));
  app.use(
    bodyLimit({
      maxSize: MAX_BODY_BYTES,
      onError: (c) =>
        problemResponse(c, "PAYLOAD_TOO_LARGE", `The request body must be at most ${MAX_BODY_BYTES} bytes.`),
    }),
  );

  const routes = app.route("/", healthRoutes()).route("/v1/users", usersRoutes(deps));

  // Keep this last: the web app's catch-all must never shadow an API path. It stays out of `routes`
  // (and so out of AppType): the RPC client has nothing to call there.
  const web = deps.webDistDir ? webRoutes({ distDir: deps.webDistDir, logger: deps.logger }) : undefined;
  if (web) app.route("/", web);

  app.notFound((c) => problemResponse(c, "NOT_FOUND", `No route for ${c.req.method} ${c.req.path}.`));
  app.onError((error, c) => handleError(error, c));

  return routes;
}

function handleError(error: Error, c: Context<AppEnv>): Response {
  if (error instanceof DomainError) {
    const code = problemCodeOf(error);
    if (code === "INTERNAL" || code === "DATABASE_UNAVAILABLE") logFailure(c, error);
    const headers: Record<string, string> = code === "DATABASE_UNAVAILABLE" ? { "Retry-After": "5" } : {};
    return problemResponse(c, code, DOMAIN_ALIASES[error.code]?.detail ?? error.message, { headers });
  }
  if (error instanceof PasswordTooLongError) {
    return problemResponse(c, "VALIDATION_FAILED", "The request body is invalid: see errors.", {
      errors: [{ path: "password", message: error.message }],
    });
  }
  if (error instanceof HTTPException) return httpExceptionProblem(error, c);
  logFailure(c, error);
  return problemResponse(
    c,
    "INTERNAL",
    `Something went wrong on our side; quote request id ${c.var.requestId}.`,
  );
}

/**
 * An inactive account answers a login exactly like a wrong password (same type, title and detail), so a
 * deactivated email cannot be told apart from an unknown one.
 */
const DOMAIN_ALIASES: Record<string, { code: ProblemCode; detail?: string }> = {
  INACTIVE_USER: { code: "INVALID_CREDENTIALS", detail: "Incorrect email or password." },
  TOKEN_REVOKED: { code: "INVALID_TOKEN" },
};

function problemCodeOf(error: DomainError): ProblemCode {
  const code = DOMAIN_ALIASES[error.code]?.code ?? error.code;
  return isProblemCode(code) ? code : "INTERNAL";
}

function httpExceptionProblem(error: HTTPException, c: Context<AppEnv>): Response {
  switch (error.status) {
    case 400:
      return /json/i.test(error.message)
        ? problemResponse(c, "MALFORMED_JSON", "The request body is not valid JSON.")
        : problemResponse(c, "BAD_REQUEST", "The request could not be read.");
    case 413:
      return problemResponse(
        c,
        "PAYLOAD_TOO_LARGE",
        `The request body must be at most ${MAX_BODY_BYTES} bytes.`,
      );
    case 415:
      return problemResponse(c, "UNSUPPORTED_MEDIA_TYPE", "Send the request body as application/json.");
    case 401:
      return problemResponse(c, "UNAUTHENTICATED", "Authentication required.");
    case 403:
      return problemResponse(c, "FORBIDDEN", "You are not allowed to do this.");
    case 404:
      return problemResponse(c, "NOT_FOUND", "Not found.");
    default:
      logFailure(c, error);
      return problemResponse(
        c,
        "INTERNAL",
        `Something went wrong on our side; quote request id ${c.var.requestId}.`,
      );
  }
}

function logFailure(c: Context<AppEnv>, error: Error): void {
  const logger = c.var.logger;
  // Driver and JWT errors can embed SQL or tokens in their messages; log the class and code, and the
  // stack only, never `message` of an error we do not own.
  const owned = error instanceof DomainError;
  logger?.error(
    {
      err: {
        type: error.name,
        code: (error as { code?: unknown }).code,
        ...(owned ? { message: error.message } : {}),
        stack: error.stack?.split("\n").slice(1).join("\n"),
      },
      cause:
        error.cause instanceof Error
          ? { type: error.cause.name, code: (error.cause as { code?: unknown }).code }
          : undefined,
    },
    "request failed",
  );
}
