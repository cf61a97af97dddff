import { createHmac } from "node:crypto";
import { nextPasswordChangedAt, updateUser } from "@app/core";
import { testDatabaseKinds, uniqueEmail } from "@app/core/testing";
import { sign } from "hono/jwt";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { expectProblem } from "../../../../test/support/problem.js";
import { createTestApp, TEST_SECRET, type TestApp } from "../../../../test/support/test-app.js";

const PASSWORD = "correct horse battery";
const nowSeconds = () => Math.floor(Date.now() / 1000);

describe.each(testDatabaseKinds)("users API on %s", (kind) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp(kind);
  });
  afterAll(async () => {
    await t.dispose();
  });

  describe("GET /v1/users/password-policy", () => {
    it("tells anyone the rules for a new password, the contract's floor by default", async () => {
      const response = await t.request("/v1/users/password-policy");
      expect(response.status).toBe(200);
      expect(response.headers.get("content-type")).toMatch(/^application\/json/);
      expect(await response.json()).toEqual({ min_length: 8, max_bytes: 72 });
    });
  });

  describe("POST /v1/users/", () => {
    it("creates a user: 201, Location, the resource and never a password or hash", async () => {
      const response = await t.postJson("/v1/users/", {
        email: "  Ada.Lovelace@Example.COM ",
        password: PASSWORD,
        full_name: "Ada",
      });
      expect(response.status).toBe(201);
      expect(response.headers.get("content-type")).toMatch(/^application\/json/);
      const body = (await response.json()) as Record<string, unknown>;
      expect(Object.keys(body).sort()).toEqual(
        [
          "created_at",
          "email",
          "email_verified",
          "full_name",
          "id",
          "is_active",
          "is_superuser",
          "mfa_enabled",
          "updated_at",
        ].sort(),
      );
      expect(body).toMatchObject({
        email: "ada.lovelace@example.com",
        full_name: "Ada",
        is_active: true,
        is_superuser: false,
      });
      expect(body.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
      expect(response.headers.get("location")).toBe(`/v1/users/${body.id}`);
      expect(new Date(String(body.created_at)).toISOString()).toBe(body.created_at);
      expect(JSON.stringify(body)).not.toMatch(/password|\$2[aby]\$/);
    });

    it("also answers at /v1/users without the trailing slash, and full_name defaults to null", async () => {
      const response = await t.postJson("/v1/users", { email: uniqueEmail(), password: PASSWORD });
      expect(response.status).toBe(201);
      expect(await response.json()).toMatchObject({ full_name: null });
    });

    it("ignores fields a client may not set, such as is_superuser", async () => {
      const response = await t.postJson("/v1/users/", {
        email: uniqueEmail(),
        password: PASSWORD,
        is_superuser: true,
        is_active: false,
        id: "00000000-0000-7000-8000-000000000000",
      });
      expect(response.status).toBe(201);
      const body = (await response.json()) as Record<string, unknown>;
      expect(body).toMatchObject({ is_superuser: false, is_active: true });
      expect(body.id).not.toBe("00000000-0000-7000-8000-000000000000");
    });

    it("409 when the email is taken, compared case-insensitively after trimming", async () => {
      const email = uniqueEmail("taken");
      await t.register(email);
      const body = await expectProblem(
        await t.postJson("/v1/users/", { email: `  ${email.toUpperCase()}  `, password: PASSWORD }),
        409,
      );
      expect(body.detail).toMatch(/email/i);
    });

    it("lets exactly one of 20 concurrent registrations of one email win", async () => {
      const email = uniqueEmail("race");
      const responses = await Promise.all(
        Array.from({ length: 20 }, () => t.postJson("/v1/users/", { email, password: PASSWORD })),
      );
      const statuses = responses.map((r) => r.status).sort();
      expect(statuses.filter((s) => s === 201)).toHaveLength(1);
      expect(statuses.filter((s) => s === 409)).toHaveLength(19);
    });

    it.each([
      ["an invalid email", { email: "not-an-email", password: PASSWORD }, "email"],
      [
        "an email over 254 characters",
        {
          email: `${"a".repeat(64)}@${"b".repeat(63)}.${"c".repeat(63)}.${"d".repeat(63)}.com`,
          password: PASSWORD,
        },
        "email",
      ],
      ["a password of 7 characters", { email: "x@example.com", password: "1234567" }, "password"],
      [
        "a password of 73 UTF-8 bytes",
        { email: "x@example.com", password: `${"é".repeat(36)}x` },
        "password",
      ],
      ["a numeric email", { email: 12345, password: PASSWORD }, "email"],
      ["a missing password", { email: "x@example.com" }, "password"],
      ["a missing email", { password: PASSWORD }, "email"],
      ["a non-string full_name", { email: "x@example.com", password: PASSWORD, full_name: 7 }, "full_name"],
    ])("422 for %s, naming the field", async (_name, body, field) => {
      const problem = await expectProblem(await t.postJson("/v1/users/", body), 422);
      expect(problem.errors).toEqual(
        expect.arrayContaining([expect.objectContaining({ path: field, message: expect.any(String) })]),
      );
    });

    it("accepts a password of exactly 72 UTF-8 bytes and 8 characters made of multi-byte code points", async () => {
      expect(
        (await t.postJson("/v1/users/", { email: uniqueEmail(), password: "é".repeat(36) })).status,
      ).toBe(201);
      expect(
        (await t.postJson("/v1/users/", { email: uniqueEmail(), password: "🔑🔑🔑🔑🔑🔑🔑🔑" })).status,
      ).toBe(201);
    });

    it("422, not 500, for a full_name containing a NUL character, and nothing is created", async () => {
      const address = uniqueEmail("nul");
      const problem = await expectProblem(
        await t.postJson("/v1/users/", { email: address, password: PASSWORD, full_name: "a\u0000b" }),
        422,
      );
      expect(problem.errors).toEqual([expect.objectContaining({ path: "full_name" })]);
      expect((await t.postJson("/v1/users/login", { email: address, password: PASSWORD })).status).toBe(401);
    });

    it("422 when the body is not an object", async () => {
      await expectProblem(await t.postJson("/v1/users/", ["a", "b"]), 422);
      await expectProblem(await t.postJson("/v1/users/", null), 422);
    });

    it("400 for malformed JSON", async () => {
      const response = await t.request("/v1/users/", {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: '{"email": "a@example.com", "password": ',
      });
      const problem = await expectProblem(response, 400);
      expect(problem.detail).toMatch(/JSON/);
    });

    it("415 when the body is not JSON", async () => {
      await expectProblem(
        await t.request("/v1/users/", {
          method: "POST",
          headers: { "content-type": "text/plain" },
          body: "email=a@example.com",
        }),
        415,
      );
      await expectProblem(
        await t.request("/v1/users/", {
          method: "POST",
          headers: { "content-type": "application/x-www-form-urlencoded" },
          body: "email=a%40example.com&password=12345678",
        }),
        415,
      );
    });

    it("413 when the body is over 16 KiB, and nothing is created", async () => {
      const email = uniqueEmail("big");
      const response = await t.postJson("/v1/users/", {
        email,
        password: PASSWORD,
        full_name: "x".repeat(17 * 1024),
      });
      await expectProblem(response, 413);
      const login = await t.postJson("/v1/users/login", { email, password: PASSWORD });
      expect(login.status).toBe(401);
    });
  });

  describe("POST /v1/users/login", () => {
    let email: string;
    beforeAll(async () => {
      email = uniqueEmail("login");
      await t.register(email);
    });

    it("returns a bearer token for JSON credentials, uncacheable", async () => {
      const response = await t.postJson("/v1/users/login", {
        email: ` ${email.toUpperCase()} `,
        password: PASSWORD,
      });
      expect(response.status).toBe(200);
      expect(response.headers.get("cache-control")).toBe("no-store");
      const body = (await response.json()) as Record<string, unknown>;
      expect(Object.keys(body).sort()).toEqual([
        "access_token",
        "expires_in",
        "refresh_expires_in",
        "refresh_token",
        "token_type",
      ]);
      expect(body).toMatchObject({
        token_type: "bearer",
        expires_in: 900,
        refresh_expires_in: 30 * 24 * 3600,
      });
      expect(String(body.refresh_token)).toMatch(/^[A-Za-z0-9_-]{43}$/);
      expect(String(body.access_token).split(".")).toHaveLength(3);
    });

    it("accepts the OAuth2 password grant form (username + password)", async () => {
      const form = new URLSearchParams({
        grant_type: "password",
        username: email,
        password: PASSWORD,
        scope: "",
      });
      const response = await t.request("/v1/users/login", {
        method: "POST",
        headers: { "content-type": "application/x-www-form-urlencoded" },
        body: form.toString(),
      });
      expect(response.status).toBe(200);
      const { access_token, token_type, refresh_token } = (await response.json()) as Record<string, string>;
      expect(token_type).toBe("bearer");
      expect(refresh_token).toEqual(expect.any(String));
      expect((await t.me(access_token ?? "")).status).toBe(200);
    });

    it("422 for a form with another grant type", async () => {
      const form = new URLSearchParams({
        grant_type: "client_credentials",
        username: email,
        password: PASSWORD,
      });
      const response = await t.request("/v1/users/login", {
        method: "POST",
        headers: { "content-type": "application/x-www-form-urlencoded" },
        body: form.toString(),
      });
      await expectProblem(response, 422);
    });

    /** @see the property test's counterexample: PostgreSQL text cannot hold U+0000, which once gave a 500. */
    it("answers an email containing a NUL character with the ordinary 401", async () => {
      await expectProblem(await t.postJson("/v1/users/login", { email: "\u0000", password: PASSWORD }), 401);
      await expectProblem(
        await t.postJson("/v1/users/login", { email: `${email}\u0000`, password: PASSWORD }),
        401,
      );
    });

    it("answers unknown email and wrong password with the same 401", async () => {
      const wrongPassword = await t.postJson("/v1/users/login", { email, password: "not the password" });
      const unknownEmail = await t.postJson("/v1/users/login", {
        email: uniqueEmail("nobody"),
        password: PASSWORD,
      });
      const a = await expectProblem(wrongPassword, 401);
      const b = await expectProblem(unknownEmail, 401);
      expect(a).toEqual(b);
    });

    it("401 with the same body for a deactivated user", async () => {
      const inactive = uniqueEmail("inactive");
      const { id } = await t.register(inactive);
      await updateUser(t.database.db, id, { isActive: false });
      const body = await expectProblem(
        await t.postJson("/v1/users/login", { email: inactive, password: PASSWORD }),
        401,
      );
      const reference = await expectProblem(
        await t.postJson("/v1/users/login", { email, password: "wrong password" }),
        401,
      );
      expect(body).toEqual(reference);
    });

    it("422 for missing fields, 400 for malformed JSON, 415 for other media types", async () => {
      await expectProblem(await t.postJson("/v1/users/login", { email }), 422);
      await expectProblem(
        await t.request("/v1/users/login", {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: "{",
        }),
        400,
      );
      await expectProblem(
        await t.request("/v1/users/login", {
          method: "POST",
          headers: { "content-type": "text/plain" },
          body: "hi",
        }),
        415,
      );
      await expectProblem(await t.request("/v1/users/login", { method: "POST" }), 415);
    });
  });

  describe("GET /v1/users/me", () => {
    let email: string;
    let userId: string;
    let token: string;
    beforeAll(async () => {
      email = uniqueEmail("me");
      userId = (await t.register(email, PASSWORD, "Grace Hopper")).id;
      token = await t.login(email);
    });

    it("returns the signed-in user", async () => {
      const response = await t.me(token);
      expect(response.status).toBe(200);
      expect(await response.json()).toMatchObject({ id: userId, email, full_name: "Grace Hopper" });
    });

    async function expectUnauthorized(authorization: string | undefined) {
      const headers: Record<string, string> = authorization === undefined ? {} : { authorization };
      const response = await t.request("/v1/users/me", { headers });
      expect(response.headers.get("www-authenticate")).toMatch(/^Bearer/);
      return expectProblem(response, 401);
    }

    const forge = (claims: object, header: object = { alg: "HS256", typ: "JWT" }, key = TEST_SECRET) => {
      const encode = (value: object) => Buffer.from(JSON.stringify(value)).toString("base64url");
      const unsigned = `${encode(header)}.${encode(claims)}`;
      return `${unsigned}.${createHmac("sha256", key).update(unsigned).digest("base64url")}`;
    };
    const claims = () => ({ sub: userId, iat: nowSeconds(), exp: nowSeconds() + 600, jti: "test" });

    it("401 with no token, a malformed header, or another scheme", async () => {
      await expectUnauthorized(undefined);
      await expectUnauthorized("Bearer");
      await expectUnauthorized("Bearer not-a-jwt");
      await expectUnauthorized(`Basic ${Buffer.from(`${email}:${PASSWORD}`).toString("base64")}`);
      await expectUnauthorized(`Token ${token}`);
    });

    it("401 for a tampered token and one signed with another secret", async () => {
      const [header, , signature] = token.split(".");
      const payload = Buffer.from(JSON.stringify({ ...claims(), sub: "someone-else" })).toString("base64url");
      await expectUnauthorized(`Bearer ${header}.${payload}.${signature}`);
      await expectUnauthorized(
        `Bearer ${forge(claims(), undefined, "another-secret-another-secret-another")}`,
      );
    });

    it("401 for alg none and for HS512", async () => {
      const encode = (value: object) => Buffer.from(JSON.stringify(value)).toString("base64url");
      await expectUnauthorized(`Bearer ${encode({ alg: "none", typ: "JWT" })}.${encode(claims())}.`);
      await expectUnauthorized(`Bearer ${await sign(claims(), TEST_SECRET, "HS512")}`);
    });

    it("401 for an expired token and one not yet valid", async () => {
      const expired = await expectUnauthorized(
        `Bearer ${forge({ ...claims(), iat: nowSeconds() - 7200, exp: nowSeconds() - 3600 })}`,
      );
      expect(expired.detail).toMatch(/expired/);
      await expectUnauthorized(
        `Bearer ${forge({ ...claims(), iat: nowSeconds() + 3600, exp: nowSeconds() + 7200 })}`,
      );
      await expectUnauthorized(`Bearer ${forge({ ...claims(), nbf: nowSeconds() + 3600 })}`);
    });

    it("401 for a token without exp", async () => {
      const { exp: _exp, ...noExp } = claims();
      await expectUnauthorized(`Bearer ${forge(noExp)}`);
    });

    it("401 for a valid signature over a subject that is not a user id", async () => {
      await expectUnauthorized(`Bearer ${forge({ ...claims(), sub: "not-a-uuid" })}`);
      await expectUnauthorized(
        `Bearer ${forge({ ...claims(), sub: "0190a5f0-0000-7000-8000-000000000000" })}`,
      );
    });

    it("401 once the user is deactivated or deleted", async () => {
      const other = uniqueEmail("gone");
      const { id } = await t.register(other);
      const otherToken = await t.login(other);
      expect((await t.me(otherToken)).status).toBe(200);
      await updateUser(t.database.db, id, { isActive: false });
      await expectUnauthorized(`Bearer ${otherToken}`);
      await t.deps.users.register({ email: uniqueEmail("unrelated"), password: PASSWORD, fullName: null });
      const { deleteUser } = await import("@app/core");
      await deleteUser(t.database.db, id);
      await expectUnauthorized(`Bearer ${otherToken}`);
    });

    it("401 for a token issued before the last password change; a new login works at once", async () => {
      const changer = uniqueEmail("changer");
      const { id } = await t.register(changer);
      const before = await t.login(changer);
      const user = await t.deps.users.getProfile(id);
      await updateUser(t.database.db, id, { passwordChangedAt: nextPasswordChangedAt(user) });
      await expectUnauthorized(`Bearer ${before}`);
      const after = await t.login(changer);
      expect((await t.me(after)).status).toBe(200);
    });
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
