/**
 * createApp(deps) wires the HTTP service and nothing else: request id → metrics → security headers →
 * CORS → access log → request timeout (reads only) → body limit → routes (rate limits sit on the routes they guard), then the two places where everything that goes wrong becomes a problem+json
 * response (`notFound` and `onError`). No I/O happens here; `server.ts` builds the deps.
 */
import { PasswordHasherBusyError, PasswordTooLongError } from "@app/auth";
import { DomainError, isConnectionFailure, RateLimitedError } from "@app/core";
import { OpenAPIHono } from "@hono/zod-openapi";
import type { Context } from "hono";
import { bodyLimit } from "hono/body-limit";
import { HTTPException } from "hono/http-exception";
import { requestId } from "hono/request-id";
import { timeout } from "hono/timeout";
import type { AppDeps, AppEnv } from "./app-env.js";
import { httpMetrics } from "./metrics.js";
import { requestLog } from "./middleware/request-log.js";
import { apiSecurityHeaders, corsForOrigins } from "./middleware/security-headers.js";
import { registerApiDocs } from "./openapi.js";
import { isProblemCode, type ProblemCode, problemResponse } from "./problem.js";
import { healthRoutes } from "./routes/health.routes.js";
import { jwksRoutes } from "./routes/jwks.routes.js";
import { adminUsersRoutes } from "./routes/v1/users/admin-users.routes.js";
import { auditEventsRoutes, myAuditEventsRoutes } from "./routes/v1/users/audit-events.routes.js";
import { passwordPolicyRoutes } from "./routes/v1/users/password-policy.routes.js";
import { recoveryRoutes } from "./routes/v1/users/recovery.routes.js";
import { userSessionsRoutes } from "./routes/v1/users/user-sessions.routes.js";
import { usersRoutes } from "./routes/v1/users/users.routes.js";
import { webRoutes } from "./routes/web.routes.js";

export const MAX_BODY_BYTES = 16 * 1024;
/** What a 503 asks clients to wait: long enough for a database failover or restart to be noticed. */
const RETRY_AFTER_UNAVAILABLE_SECONDS = 5;
/** Methods that change nothing, so a timeout answering before the handler ends is harmless. */
const SAFE_METHODS = new Set(["GET", "HEAD", "OPTIONS"]);

export function createApp(deps: AppDeps) {
  const app = new OpenAPIHono<AppEnv>({ strict: false });

  app.use(requestId({ limitLength: 128 }));
  // Per-route CSP: see security-headers.ts.
  app.use(httpMetrics(deps.metrics));
  app.use(apiSecurityHeaders());
  if (deps.http.corsOrigins.length > 0) app.use(corsForOrigins(deps.http.corsOrigins));
  app.use(requestLog({ logger: deps.logger }));
  // The backstop against a read that would hang (a stalled database link): the client gets a 503 and
  // may retry. Only for safe methods: the timeout answers without stopping the handler, so a write
  // that is merely slow would go on and commit after "503, try again" — a retry would then apply it
  // twice, or fail as a conflict. Writes are bounded by the database's own connect and statement
  // timeouts instead, and answer with what really happened.
  const timeoutReads = timeout(
    deps.http.requestTimeoutMs,
    () => new HTTPException(503, { message: "request timed out" }),
  );
  app.use((c, next) => (SAFE_METHODS.has(c.req.method) ? timeoutReads(c, next) : next()));
  const limitBody = bodyLimit({
    maxSize: MAX_BODY_BYTES,
    onError: (c) =>
      problemResponse(c, "PAYLOAD_TOO_LARGE", `The request body must be at most ${MAX_BODY_BYTES} bytes.`),
  });
  // bodyLimit touches the raw body, which makes the Node adapter build a full Request (with an
  // AbortController) even for a GET; skipping bodiless methods doubled /health throughput in the bench.
  app.use((c, next) => (c.req.method === "GET" || c.req.method === "HEAD" ? next() : limitBody(c, next)));

  // The admin routes last: their `/{id}` must not see `/me` or `/password-policy`.
  const routes = app
    .route("/", healthRoutes(deps))
    .route("/", jwksRoutes(deps))
    .route("/v1/users", usersRoutes(deps))
    .route("/v1/users", recoveryRoutes(deps))
    .route("/v1/users", passwordPolicyRoutes(deps))
    .route("/v1/users", userSessionsRoutes(deps))
    .route("/v1/users", myAuditEventsRoutes(deps))
    .route("/v1/audit-events", auditEventsRoutes(deps))
    .route("/v1/users", adminUsersRoutes(deps));
  registerApiDocs(app);

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
    const headers: Record<string, string> =
      code === "DATABASE_UNAVAILABLE"
        ? { "Retry-After": String(RETRY_AFTER_UNAVAILABLE_SECONDS) }
        : error instanceof RateLimitedError
          ? { "Retry-After": String(error.retryAfterSeconds) }
          : {};
    return problemResponse(c, code, DOMAIN_ALIASES[error.code]?.detail ?? error.message, { headers });
  }
  if (error instanceof PasswordTooLongError) {
    return problemResponse(c, "VALIDATION_FAILED", "The request body is invalid: see errors.", {
      errors: [{ path: "password", message: error.message }],
    });
  }
  if (error instanceof PasswordHasherBusyError) {
    c.var.logger?.warn("password hashing at capacity");
    return problemResponse(c, "SERVER_BUSY", "The service is busy; try again shortly.", {
      headers: { "Retry-After": String(error.retryAfterSeconds) },
    });
  }
  if (error instanceof HTTPException) return httpExceptionProblem(error, c);
  logFailure(c, error);
  // A connection-level failure that escaped a repository's translation is still the database's fault.
  if (isConnectionFailure(error)) {
    return problemResponse(c, "DATABASE_UNAVAILABLE", "The database is unavailable; try again shortly.", {
      headers: { "Retry-After": String(RETRY_AFTER_UNAVAILABLE_SECONDS) },
    });
  }
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
    case 503:
      c.var.logger?.warn("request timed out");
      return problemResponse(c, "REQUEST_TIMEOUT", "The service did not answer in time; try again shortly.", {
        headers: { "Retry-After": String(RETRY_AFTER_UNAVAILABLE_SECONDS) },
      });
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
  // Messages of errors we do not own carry what must never reach a log: Drizzle puts the SQL in the
  // message and its parameters (emails, bcrypt hashes) on the stack's second line, JWT errors embed the
  // token. So for those we log the class, the code (the SQLSTATE) and the stack frames only.
  const owned = error instanceof DomainError;
  c.var.logger?.error(
    {
      err: {
        type: error.name,
        code: codeOf(error),
        ...(owned ? { message: error.message } : {}),
        stack: stackFramesOf(error),
      },
      sqlState: sqlStateOf(error),
      cause:
        error.cause instanceof Error
          ? { type: error.cause.name, code: codeOf(error.cause), stack: stackFramesOf(error.cause) }
          : undefined,
    },
    "request failed",
  );
}

function codeOf(error: Error): unknown {
  return (error as { code?: unknown }).code;
}

/** The PostgreSQL error code, wherever the driver's error sits in the cause chain (Drizzle wraps it). */
function sqlStateOf(error: Error): string | undefined {
  let current: unknown = error;
  for (let depth = 0; depth < 5 && current instanceof Error; depth++) {
    const code = codeOf(current);
    if (typeof code === "string" && /^[0-9A-Z]{5}$/.test(code)) return code;
    current = current.cause;
  }
  return undefined;
}

/** Only the `    at …` lines: a stack starts with the message, which may span several lines. */
function stackFramesOf(error: Error): string | undefined {
  const frames = error.stack?.split("\n").filter((line) => line.startsWith("    at "));
  return frames?.length ? frames.join("\n") : undefined;
}
