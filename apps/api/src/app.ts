/**
 * @app/api: the HTTP service. `createApp(deps)` wires it and nothing else: request id → metrics →
 * security headers → CORS → access log → request timeout (reads only) → body limit → the routes, one
 * `routes/v1/users/<resource>.routes.ts` per resource with its test beside it (rate limits sit on the
 * routes they guard). Handlers and middleware throw; `problem.ts` is the one place where anything that
 * goes wrong becomes a problem+json response (`onError` and `notFound` both hand it over). No I/O happens
 * here: `deps.ts` builds the services once per process, the entries (`server.ts`, `server-bun.ts`) listen.
 */
import { OpenAPIHono } from "@hono/zod-openapi";
import { bodyLimit } from "hono/body-limit";
import { requestId } from "hono/request-id";
import { timeout } from "hono/timeout";
import type { AppDeps, AppEnv } from "./app-env.js";
import { httpMetrics } from "./metrics.js";
import { requestLog } from "./middleware/request-log.js";
import { apiSecurityHeaders, corsForOrigins } from "./middleware/security-headers.js";
import { registerApiDocs } from "./openapi.js";
import { problemFor, RequestProblem } from "./problem.js";
import { healthRoutes } from "./routes/health.routes.js";
import { jwksRoutes } from "./routes/jwks.routes.js";
import { authRoutes } from "./routes/v1/auth/auth.routes.js";
import { identitiesRoutes } from "./routes/v1/auth/identities.routes.js";
import { adminRoutes } from "./routes/v1/users/admin.routes.js";
import { adminMfaRoutes } from "./routes/v1/users/admin-mfa.routes.js";
import { auditEventsRoutes, myAuditEventsRoutes } from "./routes/v1/users/audit-events.routes.js";
import { loginMfaRoutes } from "./routes/v1/users/login-mfa.routes.js";
import { meRoutes } from "./routes/v1/users/me.routes.js";
import { mfaRoutes } from "./routes/v1/users/mfa.routes.js";
import { passkeysRoutes } from "./routes/v1/users/passkeys.routes.js";
import { passwordPolicyRoutes } from "./routes/v1/users/password-policy.routes.js";
import { recoveryRoutes } from "./routes/v1/users/recovery.routes.js";
import { registerRoutes } from "./routes/v1/users/register.routes.js";
import { sessionsRoutes } from "./routes/v1/users/sessions.routes.js";
import { userSessionsRoutes } from "./routes/v1/users/user-sessions.routes.js";
import { webRoutes } from "./routes/web.routes.js";

export const MAX_BODY_BYTES = 16 * 1024;
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
    () => new RequestProblem("REQUEST_TIMEOUT", "The service did not answer in time; try again shortly."),
  );
  app.use((c, next) => (SAFE_METHODS.has(c.req.method) ? timeoutReads(c, next) : next()));
  const limitBody = bodyLimit({
    maxSize: MAX_BODY_BYTES,
    onError: () => {
      throw new RequestProblem(
        "PAYLOAD_TOO_LARGE",
        `The request body must be at most ${MAX_BODY_BYTES} bytes.`,
      );
    },
  });
  // bodyLimit touches the raw body, which makes the Node adapter build a full Request (with an
  // AbortController) even for a GET; skipping bodiless methods doubled /health throughput in the bench.
  app.use((c, next) => (c.req.method === "GET" || c.req.method === "HEAD" ? next() : limitBody(c, next)));

  // The admin routes last: their `/{id}` must not see `/me` or `/password-policy`.
  const routes = app
    .route("/", healthRoutes(deps))
    .route("/", jwksRoutes(deps))
    .route("/v1/users", registerRoutes(deps))
    .route("/v1/users", sessionsRoutes(deps))
    .route("/v1/users", meRoutes(deps))
    .route("/v1/users", recoveryRoutes(deps))
    .route("/v1/users", passwordPolicyRoutes(deps))
    .route("/v1/users", userSessionsRoutes(deps))
    .route("/v1/users", myAuditEventsRoutes(deps))
    .route("/v1/audit-events", auditEventsRoutes(deps))
    .route("/v1/users", mfaRoutes(deps))
    .route("/v1/users", loginMfaRoutes(deps))
    .route("/v1/users", passkeysRoutes(deps))
    .route("/v1/users", adminMfaRoutes(deps))
    .route("/v1/auth", authRoutes(deps))
    .route("/v1/users", identitiesRoutes(deps))
    .route("/v1/users", adminRoutes(deps));
  registerApiDocs(app);

  // Keep this last: the web app's catch-all must never shadow an API path. It stays out of `routes`
  // (and so out of AppType): the RPC client has nothing to call there.
  const web = deps.webDistDir ? webRoutes({ distDir: deps.webDistDir, logger: deps.logger }) : undefined;
  if (web) app.route("/", web);

  app.notFound((c) =>
    problemFor(new RequestProblem("NOT_FOUND", `No route for ${c.req.method} ${c.req.path}.`), c),
  );
  app.onError(problemFor);

  return routes;
}
