/** Headers, CORS, body limits, readiness and metrics: the contract's operational clauses. */
import { testDatabaseKinds } from "@app/core/testing";
import { Hono } from "hono";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  API_CONTENT_SECURITY_POLICY,
  apiSecurityHeaders,
  PAGE_CONTENT_SECURITY_POLICY,
  pageSecurityHeaders,
} from "../src/middleware/security-headers.js";
import { createTestApp, type TestApp } from "./support/test-app.js";

const PASSWORD = "correct horse battery";

describe.each(testDatabaseKinds)("operational HTTP behaviour on %s", (kind) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp(kind);
  });
  afterAll(async () => {
    await t.dispose();
  });

  it("sends the strict API headers on success, errors and 404s, and no X-Powered-By", async () => {
    for (const response of [
      await t.request("/health"),
      await t.request("/nope"),
      await t.postJson("/v1/users/", {}),
      await t.postJson("/v1/users/login", { email: "a@example.com", password: "x" }),
    ]) {
      expect(response.headers.get("content-security-policy")).toBe(API_CONTENT_SECURITY_POLICY);
      expect(response.headers.get("x-frame-options")).toBe("DENY");
      expect(response.headers.get("x-content-type-options")).toBe("nosniff");
      expect(response.headers.get("x-powered-by")).toBeNull();
      expect(response.headers.get("access-control-allow-origin")).toBeNull();
    }
  });

  it("GET /ready is 200 while the database answers, and 503 problem+json once it does not", async () => {
    const ready = await t.request("/ready");
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual({ status: "ok" });

    // The same database, with a ping that fails or never answers (no new database needed).
    const withPing = (ping: () => Promise<void>) => ({
      database: { database: { ...t.database, ping }, url: undefined, dispose: async () => {} },
    });
    const broken = await createTestApp(
      kind,
      {},
      withPing(() => Promise.reject(Object.assign(new Error("x"), { code: "ECONNREFUSED" }))),
    );
    const hanging = await createTestApp(
      kind,
      { http: { corsOrigins: [], requestTimeoutMs: 10_000, readyTimeoutMs: 200 } },
      withPing(() => new Promise<void>(() => {})),
    );
    try {
      for (const app of [broken, hanging]) {
        const startedAt = performance.now();
        const response = await app.request("/ready");
        expect(performance.now() - startedAt).toBeLessThan(2000);
        expect(response.status).toBe(503);
        expect(response.headers.get("content-type")).toBe("application/problem+json");
        expect(Number(response.headers.get("retry-after"))).toBeGreaterThanOrEqual(1);
      }
      // Liveness does no I/O: still 200.
      expect((await hanging.request("/health")).status).toBe(200);
    } finally {
      await broken.dispose();
      await hanging.dispose();
    }
  });

  it("GET /metrics: Prometheus text with request counts and latency by route template and status, and pool usage", async () => {
    await t.request("/health");
    await t.request("/v1/users/11111111-1111-7111-8111-111111111111");
    await t.postJson("/v1/users/login", { email: "nobody@example.com", password: PASSWORD });
    const response = await t.request("/metrics");
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toMatch(/^text\/plain; version=0\.0\.4/);
    const text = await response.text();
    expect(text).toMatch(/http_requests_total\{method="GET",route="\/health",status="200"[^}]*\} \d+/);
    expect(text).toMatch(/http_request_duration_seconds_bucket\{le="0\.005",[^}]*route="\/health"/);
    expect(text).toMatch(/http_requests_total\{method="POST",route="\/v1\/users\/login",status="401"/);
    expect(text).toMatch(/login_attempts_total\{outcome="invalid_credentials"/);
    expect(text).toMatch(/db_pool_connections\{state="max"[^}]*\} \d+/);
    // Unmatched paths share one label: ids in URLs must not mint a series each.
    expect(text).not.toContain("11111111-1111");
    expect(text).toMatch(/route="unmatched",status="404"/);
  });

  it("answers deeply nested JSON (within the size limit) with 4xx, never 5xx", async () => {
    for (const depth of [1000, 5000, 8000]) {
      const nested = `${"[".repeat(depth)}${"]".repeat(depth)}`;
      for (const body of [nested, `{"email":${nested},"password":"${PASSWORD}"}`]) {
        for (const path of ["/v1/users/", "/v1/users/login"]) {
          const response = await t.request(path, {
            method: "POST",
            headers: { "content-type": "application/json" },
            body,
          });
          expect(response.status).toBeGreaterThanOrEqual(400);
          expect(response.status).toBeLessThan(500);
          expect(response.headers.get("content-type")).toBe("application/problem+json");
        }
      }
    }
    // 10k levels is over 16 KiB: refused by size before anything parses it.
    const deep = `${"[".repeat(10_000)}${"]".repeat(10_000)}`;
    expect(
      (
        await t.request("/v1/users/", {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: deep,
        })
      ).status,
    ).toBe(413);
  });
});

describe("CORS", () => {
  it("is off by default, and with CORS_ORIGINS answers only the listed origins", async () => {
    const closed = await createTestApp("postgres");
    const open = await createTestApp("postgres", {
      http: { corsOrigins: ["https://app.example.com"], requestTimeoutMs: 10_000, readyTimeoutMs: 1000 },
    });
    const preflight = (origin: string) => ({
      method: "OPTIONS",
      headers: {
        origin,
        "access-control-request-method": "POST",
        "access-control-request-headers": "content-type,authorization",
      },
    });
    try {
      const none = await closed.request("/v1/users/login", preflight("https://app.example.com"));
      expect(none.headers.get("access-control-allow-origin")).toBeNull();

      const allowed = await open.request("/v1/users/login", preflight("https://app.example.com"));
      expect(allowed.status).toBe(204);
      expect(allowed.headers.get("access-control-allow-origin")).toBe("https://app.example.com");
      expect(allowed.headers.get("access-control-allow-headers")?.toLowerCase()).toContain("authorization");
      expect(allowed.headers.get("access-control-allow-credentials")).toBeNull();

      const simple = await open.request("/health", { headers: { origin: "https://app.example.com" } });
      expect(simple.headers.get("access-control-allow-origin")).toBe("https://app.example.com");
      expect(simple.headers.get("access-control-expose-headers")).toContain("X-Request-Id");

      const evil = await open.request("/health", { headers: { origin: "https://evil.example.com" } });
      expect(evil.headers.get("access-control-allow-origin")).toBeNull();
      const evilPreflight = await open.request("/v1/users/login", preflight("https://evil.example.com"));
      expect(evilPreflight.headers.get("access-control-allow-origin")).toBeNull();
    } finally {
      await closed.dispose();
      await open.dispose();
    }
  });
});

describe("page security headers", () => {
  it("give an HTML route the page policy while every other route keeps the strict API policy", async () => {
    const app = new Hono()
      .use(apiSecurityHeaders())
      .get("/docs", pageSecurityHeaders(), (c) => c.html("<!doctype html><title>docs</title>"))
      .get("/custom", pageSecurityHeaders("default-src 'self'; style-src 'self' 'unsafe-inline'"), (c) =>
        c.html("x"),
      )
      .get("/api", (c) => c.json({}));
    const docs = await app.request("/docs");
    expect(docs.headers.get("content-security-policy")).toBe(PAGE_CONTENT_SECURITY_POLICY);
    expect(docs.headers.get("x-frame-options")).toBe("DENY");
    expect((await app.request("/custom")).headers.get("content-security-policy")).toBe(
      "default-src 'self'; style-src 'self' 'unsafe-inline'",
    );
    expect((await app.request("/api")).headers.get("content-security-policy")).toBe(
      API_CONTENT_SECURITY_POLICY,
    );
  });
});
