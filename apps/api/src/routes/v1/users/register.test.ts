import { testDatabaseKinds, uniqueEmail } from "@app/core/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestApp, expectProblem, type TestApp } from "#test-support";

const PASSWORD = "correct horse battery";

describe.each(testDatabaseKinds)("registration on %s", (kind) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp(kind);
  });
  afterAll(async () => {
    await t.dispose();
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
});
