import { testDatabaseKinds, uniqueEmail } from "@app/core/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestApp, expectProblem, type TestApp } from "#test-support";

const PASSWORD = "correct horse battery";

describe.each(testDatabaseKinds)("the app on %s", (kind) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp(kind);
  });
  afterAll(async () => {
    await t.dispose();
  });

  describe("every response", () => {
    it("carries a generated X-Request-Id, echoes a sane one and replaces an unsafe one", async () => {
      const generated = await t.request("/health");
      expect(generated.headers.get("x-request-id")).toMatch(/^[0-9a-f-]{36}$/);
      const echoed = await t.request("/health", { headers: { "x-request-id": "trace-abc_123" } });
      expect(echoed.headers.get("x-request-id")).toBe("trace-abc_123");
      const unsafe = await t.request("/health", { headers: { "x-request-id": "<script>alert(1)</script>" } });
      expect(unsafe.headers.get("x-request-id")).toMatch(/^[0-9a-f-]{36}$/);
      const tooLong = await t.request("/health", { headers: { "x-request-id": "a".repeat(200) } });
      expect(tooLong.headers.get("x-request-id")).not.toBe("a".repeat(200));
    });

    it("has nosniff and no X-Powered-By, on success and on error", async () => {
      for (const response of [
        await t.request("/health"),
        await t.request("/nope"),
        await t.postJson("/v1/users/", {}),
      ]) {
        expect(response.headers.get("x-content-type-options")).toBe("nosniff");
        expect(response.headers.get("x-powered-by")).toBeNull();
        expect(response.headers.get("x-request-id")).toBeTruthy();
      }
    });

    it("404 problem+json for unknown routes and methods", async () => {
      await expectProblem(await t.request("/v2/users"), 404);
      await expectProblem(await t.request("/v1/users/me", { method: "PUT" }), 404);
    });

    it("problems keep their exact status, type, title, detail and WWW-Authenticate on the wire", async () => {
      const wire = async (response: Response, status: number) => ({
        ...(await expectProblem(response, status)),
        wwwAuthenticate: response.headers.get("www-authenticate"),
      });
      expect(await wire(await t.request("/v1/users/me"), 401)).toEqual({
        type: "/problems/unauthenticated",
        title: "Authentication required",
        status: 401,
        detail: "This endpoint needs a bearer access token.",
        wwwAuthenticate: 'Bearer realm="user-management"',
      });
      const refused = "The access token is invalid or has been revoked.";
      expect(
        await wire(await t.request("/v1/users/me", { headers: { authorization: "Bearer x.y.z" } }), 401),
      ).toEqual({
        type: "/problems/invalid-token",
        title: "Invalid access token",
        status: 401,
        detail: refused,
        wwwAuthenticate: `Bearer realm="user-management", error="invalid_token", error_description="${refused}"`,
      });
      const email = uniqueEmail("wire");
      await t.register(email, PASSWORD);
      const token = await t.login(email, PASSWORD);
      const bearer = { authorization: `Bearer ${token}` };
      expect(await wire(await t.request("/v1/users", { headers: bearer }), 403)).toEqual({
        type: "/problems/forbidden",
        title: "Forbidden",
        status: 403,
        detail: "Only superusers may use this endpoint.",
        wwwAuthenticate: null,
      });
      expect(await wire(await t.request("/v2/users"), 404)).toMatchObject({
        type: "/problems/not-found",
        title: "Not found",
        detail: "No route for GET /v2/users.",
      });
      const tooLarge = await t.postJson("/v1/users/", { email, password: "x".repeat(17_000) });
      expect(await wire(tooLarge, 413)).toMatchObject({
        type: "/problems/payload-too-large",
        title: "Request body too large",
        detail: "The request body must be at most 16384 bytes.",
      });
      expect(await t.request("/v1/users/me", { method: "DELETE", headers: bearer })).toHaveProperty(
        "status",
        204,
      );
      expect(await wire(await t.request("/v1/users/me", { headers: bearer }), 401)).toMatchObject({
        type: "/problems/invalid-token",
        detail: refused,
      });
    });

    it("GET /health is 200", async () => {
      const response = await t.request("/health");
      expect(response.status).toBe(200);
      expect(await response.json()).toEqual({ status: "ok" });
    });

    it("logs one line per request with method, route, status, duration and request id, and never a secret", async () => {
      const email = uniqueEmail("logged");
      const secretPassword = "a very secret password 123";
      await t.register(email, secretPassword);
      const token = await t.login(email, secretPassword);
      await t.request("/v1/users/me", {
        headers: { authorization: `Bearer ${token}`, "x-request-id": "log-check-1" },
      });
      const line = t.logs.lines
        .map((l) => JSON.parse(l) as Record<string, unknown>)
        .find((l) => l.requestId === "log-check-1");
      expect(line).toMatchObject({
        method: "GET",
        path: "/v1/users/me",
        route: "/v1/users/me",
        status: 200,
        msg: "request",
      });
      expect(line?.durationMs).toEqual(expect.any(Number));
      expect(line?.userId).toEqual(expect.any(String));
      const all = t.logs.lines.join("\n");
      expect(all).not.toContain(secretPassword);
      expect(all).not.toContain(token);
      expect(all).not.toMatch(/\$2[aby]\$/);
    });
  });
});

describe("unexpected failures", () => {
  it("answer 500 problem+json without the error's message or stack, and log it with the request id", async () => {
    const t = await createTestApp("pglite");
    try {
      const failing = await createTestApp("pglite", {
        users: {
          ...t.deps.users,
          register: () => Promise.reject(new Error("boom: SELECT hashed_password FROM users")),
        },
      });
      const response = await failing.postJson(
        "/v1/users/",
        { email: "x@example.com", password: PASSWORD },
        { "x-request-id": "fail-1" },
      );
      const body = await expectProblem(response, 500);
      expect(JSON.stringify(body)).not.toContain("boom");
      expect(body.detail).toContain("fail-1");
      const logged = failing.logs.lines.find((l) => l.includes("request failed"));
      expect(logged).toBeDefined();
      expect(logged).not.toContain("hashed_password");
      await failing.dispose();
    } finally {
      await t.dispose();
    }
  });
});
