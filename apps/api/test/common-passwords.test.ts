import { uniqueEmail } from "@app/core/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { isCommonPassword } from "../src/passwords/common-passwords.js";
import { expectProblem } from "./support/problem.js";
import { createTestApp, type TestApp } from "./support/test-app.js";

const PASSWORD = "correct horse battery";
const COMMON = ["password", "12345678", "Password1", "QWERTYUIOP", "iloveyou", "football"];

describe("the common-password list", () => {
  it("knows well-known passwords, case-insensitively, and not the passphrases the suites use", () => {
    for (const password of COMMON) expect(isCommonPassword(password), password).toBe(true);
    for (const password of [PASSWORD, "staple battery horse 2", "a brand new password", "admin password 1"]) {
      expect(isCommonPassword(password), password).toBe(false);
    }
  });
});

describe("wherever a password is set, a common one → 422 naming the field", () => {
  let t: TestApp;
  let adminToken: string;
  let userId: string;
  let userToken: string;
  beforeAll(async () => {
    t = await createTestApp("pglite");
    const rootEmail = uniqueEmail("root");
    await t.deps.users.ensureSuperuser({ email: rootEmail, password: PASSWORD });
    adminToken = await t.login(rootEmail);
    const email = uniqueEmail();
    userId = (await t.register(email)).id;
    userToken = await t.login(email);
  });
  afterAll(async () => {
    await t.dispose();
  });

  const expectTooCommon = async (response: Response, field: string) => {
    const problem = await expectProblem(response, 422);
    expect(problem.errors).toEqual([{ path: field, message: "is too common; choose another" }]);
  };

  it.each(COMMON)("registration refuses %s", async (password) => {
    await expectTooCommon(await t.postJson("/v1/users/", { email: uniqueEmail(), password }), "password");
  });

  it("a password change refuses one, and the old password still works", async () => {
    const response = await t.postJson(
      "/v1/users/me/password",
      { current_password: PASSWORD, new_password: "Password123" },
      { authorization: `Bearer ${userToken}` },
    );
    await expectTooCommon(response, "new_password");
    expect((await t.me(userToken)).status).toBe(200);
  });

  it("an admin cannot set one either", async () => {
    const response = await t.request(`/v1/users/${userId}`, {
      method: "PATCH",
      headers: { authorization: `Bearer ${adminToken}`, "content-type": "application/json" },
      body: JSON.stringify({ password: "sunshine" }),
    });
    await expectTooCommon(response, "password");
  });

  it("a short password reports its length only, not also the list", async () => {
    const problem = await expectProblem(
      await t.postJson("/v1/users/", { email: uniqueEmail(), password: "123456" }),
      422,
    );
    expect(problem.errors).toEqual([{ path: "password", message: "must be at least 8 characters" }]);
  });
});

describe("PASSWORD_MIN_LENGTH", () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp("pglite", { passwordPolicy: { minLength: 12 } });
  });
  afterAll(async () => {
    await t.dispose();
  });

  it("refuses shorter passwords on every route that sets one, and the document says the same minimum", async () => {
    const short = "eleven char"; // 11 characters, not on the list
    const problem = await expectProblem(
      await t.postJson("/v1/users/", { email: uniqueEmail(), password: short }),
      422,
    );
    expect(problem.errors).toEqual([{ path: "password", message: "must be at least 12 characters" }]);
    const confirm = await expectProblem(
      await t.postJson("/v1/users/password-reset/confirm", { token: "x", new_password: short }),
      422,
    );
    expect(confirm.errors).toEqual([{ path: "new_password", message: "must be at least 12 characters" }]);
    expect((await t.postJson("/v1/users/", { email: uniqueEmail(), password: "twelve chars" })).status).toBe(
      201,
    );

    const doc = (await (await t.request("/openapi.json")).json()) as {
      components: { schemas: Record<string, { properties: Record<string, { minLength?: number }> }> };
    };
    const { schemas } = doc.components;
    expect(schemas.RegisterRequest?.properties.password?.minLength).toBe(12);
    expect(schemas.ChangePasswordRequest?.properties.new_password?.minLength).toBe(12);
    expect(schemas.PasswordResetConfirmRequest?.properties.new_password?.minLength).toBe(12);
  });

  it("is served to clients at GET /v1/users/password-policy", async () => {
    const response = await t.request("/v1/users/password-policy");
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ min_length: 12, max_bytes: 72 });
  });
});
