/**
 * The load generator, forked by the orchestrator so autocannon's event loop is not the orchestrator's.
 * It receives one LoadSpec over IPC, runs autocannon once and sends back the summary.
 */
import { randomBytes } from "node:crypto";
import autocannon from "autocannon";
import { emailOf, type LoadSpec, type LoadSummary } from "./load-spec.js";
import { nextMfaBody } from "./mfa-codes.js";

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
    case "refresh": {
      // As many chains as connections, each rotated strictly in turn: a request takes a ready token,
      // its response puts the successor back. (autocannon resets a connection's context after every
      // request when the list has one entry, so the chains live here rather than per connection.)
      const ready = [...(spec.refreshTokens ?? [])];
      return [
        {
          method: "POST",
          path: "/v1/users/token/refresh",
          setupRequest: (request) => ({
            ...request,
            headers: json,
            body: JSON.stringify({ refresh_token: ready.pop() ?? "no-chain-left" }),
          }),
          onResponse: (status, body) => {
            if (status === 200) ready.push((JSON.parse(body) as { refresh_token: string }).refresh_token);
          },
        },
      ];
    }
    case "mfa": {
      const users = spec.mfaUsers ?? [];
      const state = { next: 0 };
      return [
        {
          method: "POST",
          path: "/v1/users/login/mfa",
          setupRequest: (request) => ({ ...request, headers: json, body: nextMfaBody(users, state) }),
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

function summarise(result: autocannon.Result, spec: LoadSpec, perSecond: number[]): LoadSummary {
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
    perSecond,
  };
}

process.once("message", (spec: LoadSpec) => {
  const perSecond: number[] = [];
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
      process.send?.({ summary: summarise(result, spec, perSecond) }, () => process.exit(0));
    },
  );
  // Responses per second of the phase: the timeline shows a server that slows down under sustained load.
  let inThisSecond = 0;
  instance.on("response", () => {
    inThisSecond += 1;
  });
  const second = setInterval(() => {
    perSecond.push(inThisSecond);
    inThisSecond = 0;
  }, 1000);
  instance.once("done", () => clearInterval(second));
  process.once("SIGTERM", () => instance.stop());
});
