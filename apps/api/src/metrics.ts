/**
 * Prometheus metrics (prom-client), one registry per app so tests can build several apps side by side.
 * Labels use route templates (`/v1/users/{id}`), never raw paths: a path with an id in it would make a
 * new time series per user.
 */
import type { Database } from "@app/core";
import { createMiddleware } from "hono/factory";
import { routePath } from "hono/route";
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from "prom-client";
import type { AppEnv } from "./app-env.js";

export type LoginOutcome = "success" | "invalid_credentials" | "invalid_request" | "rate_limited" | "error";
export type RateLimitName =
  | "login_address"
  | "login_account"
  | "login_account_address"
  | "register_address"
  | "refresh_address"
  | "recovery_address"
  | "recovery_account"
  | "email_change_user"
  | "email_change_target";

export interface Metrics {
  registry: Registry;
  httpRequests: Counter<"method" | "route" | "status">;
  httpDuration: Histogram<"method" | "route" | "status">;
  loginOutcomes: Counter<"outcome">;
  rateLimitRefusals: Counter<"limit">;
  auditEvents: Counter<"type">;
  /** Rows each scheduled sweep removed, by table. */
  sweptRows: Counter<"table">;
}

export interface MetricsOptions {
  /** Source of the pool gauges; read at scrape time. */
  database?: Pick<Database, "poolStats"> | undefined;
  /** Also export Node's process metrics (event loop lag, heap, GC). The server turns this on. */
  processMetrics?: boolean | undefined;
}

/** How long a scrape waits for the pool numbers before reporting without them. */
const POOL_STATS_TIMEOUT_MS = 1000;

export function createMetrics({ database, processMetrics = false }: MetricsOptions = {}): Metrics {
  const registry = new Registry();
  registry.setDefaultLabels({ service: "user-management-api" });
  if (processMetrics) collectDefaultMetrics({ register: registry });

  const httpRequests = new Counter({
    name: "http_requests_total",
    help: "HTTP requests answered, by method, route template and status",
    labelNames: ["method", "route", "status"] as const,
    registers: [registry],
  });
  const httpDuration = new Histogram({
    name: "http_request_duration_seconds",
    help: "Time from request to response, by method, route template and status",
    labelNames: ["method", "route", "status"] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [registry],
  });
  const loginOutcomes = new Counter({
    name: "login_attempts_total",
    help: "Login attempts by outcome",
    labelNames: ["outcome"] as const,
    registers: [registry],
  });
  const rateLimitRefusals = new Counter({
    name: "rate_limit_refusals_total",
    help: "Requests refused with 429, by which limit was exceeded",
    labelNames: ["limit"] as const,
    registers: [registry],
  });

  const auditEvents = new Counter({
    name: "audit_events_total",
    help: "Security-log events this process recorded, by type",
    labelNames: ["type"] as const,
    registers: [registry],
  });
  const sweptRows = new Counter({
    name: "maintenance_swept_rows_total",
    help: "Rows deleted by the scheduled sweep, by table",
    labelNames: ["table"] as const,
    registers: [registry],
  });

  if (database) {
    new Gauge({
      name: "db_pool_connections",
      help: "This process's database connections: max (configured), active and idle",
      labelNames: ["state"] as const,
      registers: [registry],
      async collect() {
        let timer: NodeJS.Timeout | undefined;
        try {
          const stats = await Promise.race([
            database.poolStats(),
            new Promise<never>((_, reject) => {
              timer = setTimeout(() => reject(new Error("pool stats timed out")), POOL_STATS_TIMEOUT_MS);
            }),
          ]);
          this.set({ state: "max" }, stats.max);
          this.set({ state: "active" }, stats.active);
          this.set({ state: "idle" }, stats.idle);
        } catch {
          // The database being down is what /ready reports; a scrape still answers with the rest.
          this.reset();
        } finally {
          clearTimeout(timer);
        }
      },
    });
  }

  return { registry, httpRequests, httpDuration, loginOutcomes, rateLimitRefusals, auditEvents, sweptRows };
}

type RouteContext = Parameters<typeof routePath>[0];

/** Labels set by handlers whose route template says nothing (a catch-all), keyed by the request. */
const explicitLabels = new WeakMap<Request, string>();

/**
 * Names the route for metrics when its template is a catch-all: the web app's `*` would otherwise be
 * counted with the unknown paths as `unmatched`.
 */
export function labelRoute(c: RouteContext, label: string): void {
  explicitLabels.set(c.req.raw, label);
}

/** The route template a request matched, or `unmatched` (404s must not mint a series per path). */
export function routeLabel(c: RouteContext): string {
  const explicit = explicitLabels.get(c.req.raw);
  if (explicit) return explicit;
  // The route that answered (the deepest one dispatched), not the last one matched: the web app's
  // catch-all, mounted last, matches every GET.
  const route = routePath(c);
  return route === "*" || route === "/*" || route === "" ? "unmatched" : route.replace(/:(\w+)/g, "{$1}");
}

/** Counts and times every request; registered right after the request id so it sees every response. */
export function httpMetrics(metrics: Metrics) {
  return createMiddleware<AppEnv>(async function httpMetrics(c, next) {
    const startedAt = performance.now();
    try {
      await next();
    } finally {
      const labels = { method: c.req.method, route: routeLabel(c), status: String(c.res.status) };
      metrics.httpRequests.inc(labels);
      metrics.httpDuration.observe(labels, (performance.now() - startedAt) / 1000);
    }
  });
}
