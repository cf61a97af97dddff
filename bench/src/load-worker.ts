/**
 * The load generator, forked by the orchestrator so autocannon's event loop is not the orchestrator's.
 * It receives one LoadSpec over IPC, runs autocannon once and sends back the summary.
 */
import { randomBytes } from "node:crypto";
import autocannon from "autocannon";
import { emailOf, type LoadSpec, type LoadSummary } from "./load-spec.js";

function requestsFor(spec: LoadSpec): autocannon.Request[] {
  const json = { "content-type": "application/json" };
  const randomUser = () => 1 + Math.floor(Math.random() * spec.users);
  switch (spec.kind) {
    case "health":
      return [{ method: "GET", path: "/health" }];
    case "me": {
      const tokens = spec.tokens ?? [];
      let next = 0;
      return [
        {
          method: "GET",
          path: "/v1/users/me",
          setupRequest: (request) => {
            next = (next + 1) % tokens.length;
            return { ...request, headers: { authorization: `Bearer ${tokens[next]}` } };
          },
        },
      ];
    }
    case "login":
    case "login-wrong": {
      const password = spec.kind === "login" ? spec.password : `${spec.password}-wrong`;
      return [
        {
          method: "POST",
          path: "/v1/users/login",
          setupRequest: (request) => ({
            ...request,
            headers: json,
            body: JSON.stringify({ email: emailOf(randomUser()), password }),
          }),
        },
      ];
    }
    case "register": {
      // Unique per worker run and per request, so every registration is a fresh 201.
      const prefix = `reg-${randomBytes(4).toString("hex")}`;
      let counter = 0;
      return [
        {
          method: "POST",
          path: "/v1/users/",
          setupRequest: (request) => {
            counter += 1;
            return {
              ...request,
              headers: json,
              body: JSON.stringify({ email: `${prefix}-${counter}@bench.test`, password: spec.password }),
            };
          },
        },
      ];
    }
  }
}

function summarise(result: autocannon.Result, spec: LoadSpec): LoadSummary {
  const statusCounts: Record<string, number> = {};
  for (const [status, stats] of Object.entries(result.statusCodeStats ?? {})) {
    statusCounts[status] = stats.count ?? 0;
  }
  const answered = Object.values(statusCounts).reduce((sum, count) => sum + count, 0);
  return {
    durationSeconds: result.duration,
    completed: result.requests.total,
    latencyMs: {
      p50: result.latency.p50,
      p99: result.latency.p99,
      mean: result.latency.mean,
      max: result.latency.max,
    },
    errors: result.errors - result.timeouts,
    timeouts: result.timeouts,
    non2xx: result.non2xx,
    status5xx: result["5xx"],
    unexpectedStatus: answered - (statusCounts[String(spec.expectStatus)] ?? 0),
    statusCounts,
  };
}

process.once("message", (spec: LoadSpec) => {
  const instance = autocannon(
    {
      url: spec.url,
      connections: spec.connections,
      duration: spec.durationSeconds,
      timeout: spec.timeoutSeconds,
      requests: requestsFor(spec),
    },
    (error, result) => {
      if (error) {
        process.send?.({ error: String(error) }, () => process.exit(1));
        return;
      }
      process.send?.({ summary: summarise(result, spec) }, () => process.exit(0));
    },
  );
  process.once("SIGTERM", () => instance.stop());
});
