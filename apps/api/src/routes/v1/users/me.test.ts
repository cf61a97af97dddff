import { createHmac } from "node:crypto";
import { nextPasswordChangedAt, updateUser } from "@app/core";
import { testDatabaseKinds, uniqueEmail } from "@app/core/testing";
import { sign } from "hono/jwt";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestApp, expectProblem, TEST_SECRET, type TestApp } from "#test-support";

const PASSWORD = "correct horse battery";
const nowSeconds = () => Math.floor(Date.now() / 1000);
const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

describe.each(testDatabaseKinds)("own account on %s", (kind) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp(kind);
  });
  afterAll(async () => {
    await t.dispose();
  });

  const send = (method: string, path: string, token: string | undefined, body?: unknown) =>
    t.request(path, {
      method,
      headers: {
        ...(token ? bearer(token) : {}),
        ...(body === undefined ? {} : { "content-type": "application/json" }),
      },
      ...(body === undefined ? {} : { body: typeof body === "string" ? body : JSON.stringify(body) }),
    });

  async function signedIn(fullName?: string) {
    const email = uniqueEmail();
    const user = await t.register(email, PASSWORD, fullName);
    return { user, email, token: await t.login(email) };
  }

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

  describe("PATCH /v1/users/me", () => {
    it("changes email (normalised) and full_name, ignoring fields a user may not set", async () => {
      const { user, token } = await signedIn("Old Name");
      const newEmail = uniqueEmail("renamed");
      const response = await send("PATCH", "/v1/users/me", token, {
        email: `  ${newEmail.toUpperCase()} `,
        full_name: "New Name",
        current_password: PASSWORD,
        is_superuser: true,
        is_active: false,
        password: "sneaky password",
      });
      expect(response.status).toBe(200);
      expect(await response.json()).toMatchObject({
        id: user.id,
        email: newEmail,
        full_name: "New Name",
        is_superuser: false,
        is_active: true,
      });
      // the token still works, and the password did not change
      expect((await t.me(token)).status).toBe(200);
      await expect(t.login(newEmail, PASSWORD)).resolves.toEqual(expect.any(String));
    });

    it("clears full_name with null and leaves everything unchanged for {}", async () => {
      const { token } = await signedIn("Someone");
      const cleared = await send("PATCH", "/v1/users/me", token, { full_name: null });
      expect(await cleared.json()).toMatchObject({ full_name: null });
      const before = await (await t.me(token)).json();
      const unchanged = await send("PATCH", "/v1/users/me", token, {});
      expect(unchanged.status).toBe(200);
      expect(await unchanged.json()).toEqual(before);
    });

    it("409 when the email belongs to someone else, in any case", async () => {
      const other = await signedIn();
      const { token } = await signedIn();
      await expectProblem(
        await send("PATCH", "/v1/users/me", token, {
          email: ` ${other.email.toUpperCase()}`,
          current_password: PASSWORD,
        }),
        409,
      );
    });

    it("a new email needs the current password, checked before whether the address is taken", async () => {
      const other = await signedIn();
      const { email, token } = await signedIn("Keeps Name");
      const fresh = uniqueEmail("fresh");
      for (const target of [fresh, other.email]) {
        const missing = await expectProblem(
          await send("PATCH", "/v1/users/me", token, { email: target }),
          422,
        );
        expect(missing.errors).toEqual([
          { path: "current_password", message: "is required to change the email" },
        ]);
        const wrong = await expectProblem(
          await send("PATCH", "/v1/users/me", token, { email: target, current_password: "not my password" }),
          401,
        );
        expect(wrong.type).toBe("/problems/incorrect-password");
      }
      expect(await (await t.me(token)).json()).toMatchObject({ email, full_name: "Keeps Name" });
      // The unchanged email (in any case) and a name alone need no password.
      const same = await send("PATCH", "/v1/users/me", token, {
        email: email.toUpperCase(),
        full_name: "Renamed",
      });
      expect(same.status).toBe(200);
      expect(await same.json()).toMatchObject({ email, full_name: "Renamed" });
      const moved = await send("PATCH", "/v1/users/me", token, { email: fresh, current_password: PASSWORD });
      expect(moved.status).toBe(200);
      expect(await moved.json()).toMatchObject({ email: fresh, email_verified: false });
    });

    it("422 for an invalid email or wrong types, 400 malformed JSON, 415 not JSON, 401 without a token", async () => {
      const { token } = await signedIn();
      const invalid = await expectProblem(await send("PATCH", "/v1/users/me", token, { email: "nope" }), 422);
      expect(invalid.errors?.[0]?.path).toBe("email");
      await expectProblem(await send("PATCH", "/v1/users/me", token, { full_name: 42 }), 422);
      await expectProblem(await send("PATCH", "/v1/users/me", token, '{"email":'), 400);
      await expectProblem(
        await t.request("/v1/users/me", {
          method: "PATCH",
          headers: { ...bearer(token), "content-type": "text/plain" },
          body: "email=x",
        }),
        415,
      );
      await expectProblem(
        await t.request("/v1/users/me", {
          method: "PATCH",
          headers: { ...bearer(token), "content-type": "application/json" },
          body: JSON.stringify({ full_name: "x".repeat(20_000) }),
        }),
        413,
      );
      await expectProblem(await send("PATCH", "/v1/users/me", undefined, { full_name: "x" }), 401);
    });
  });

  describe("POST /v1/users/me/password", () => {
    it("204; the old token is refused, the old password too, and a new login works at once", async () => {
      const { email, token } = await signedIn();
      const response = await send("POST", "/v1/users/me/password", token, {
        current_password: PASSWORD,
        new_password: "a brand new password",
      });
      expect(response.status).toBe(204);
      expect(await response.text()).toBe("");
      const old = await t.me(token);
      await expectProblem(old, 401);
      expect(old.headers.get("www-authenticate")).toMatch(/^Bearer/);
      await expectProblem(await t.postJson("/v1/users/login", { email, password: PASSWORD }), 401);
      const fresh = await t.login(email, "a brand new password");
      expect((await t.me(fresh)).status).toBe(200);
    });

    it("401 problem for a wrong current password, and nothing changes", async () => {
      const { email, token } = await signedIn();
      const body = await expectProblem(
        await send("POST", "/v1/users/me/password", token, {
          current_password: "not my password",
          new_password: "a brand new password",
        }),
        401,
      );
      expect(body.detail).toMatch(/current password/i);
      expect((await t.me(token)).status).toBe(200);
      await expect(t.login(email, PASSWORD)).resolves.toEqual(expect.any(String));
    });

    it("422 for a new password that breaks the rules, 401 without a token", async () => {
      const { token } = await signedIn();
      const short = await expectProblem(
        await send("POST", "/v1/users/me/password", token, {
          current_password: PASSWORD,
          new_password: "short",
        }),
        422,
      );
      expect(short.errors?.[0]?.path).toBe("new_password");
      await expectProblem(
        await send("POST", "/v1/users/me/password", token, {
          current_password: PASSWORD,
          new_password: "é".repeat(37),
        }),
        422,
      );
      await expectProblem(
        await send("POST", "/v1/users/me/password", token, { new_password: "long enough" }),
        422,
      );
      await expectProblem(await send("POST", "/v1/users/me/password", token, "{"), 400);
      await expectProblem(
        await send("POST", "/v1/users/me/password", undefined, {
          current_password: PASSWORD,
          new_password: "a brand new password",
        }),
        401,
      );
    });
  });

  describe("DELETE /v1/users/me", () => {
    it("204; the token stops working and the email can register again", async () => {
      const { email, token } = await signedIn();
      const response = await send("DELETE", "/v1/users/me", token);
      expect(response.status).toBe(204);
      await expectProblem(await t.me(token), 401);
      await expectProblem(await send("DELETE", "/v1/users/me", token), 401);
      await expect(t.register(email)).resolves.toMatchObject({ email });
    });

    it("409 for the last active superuser, 401 without a token", async () => {
      const email = uniqueEmail("only-root");
      await t.deps.users.ensureSuperuser({ email, password: PASSWORD });
      const token = await t.login(email);
      const body = await expectProblem(await send("DELETE", "/v1/users/me", token), 409);
      expect(body.detail).toMatch(/last active superuser/i);
      expect((await t.me(token)).status).toBe(200);
      await expectProblem(await send("DELETE", "/v1/users/me", undefined), 401);
    });
  });

  describe("deactivation", () => {
    it("an inactive user cannot log in and their token is refused", async () => {
      const { user, email, token } = await signedIn();
      await t.deps.users.adminUpdateUser(user.id, { isActive: false });
      await expectProblem(await t.me(token), 401);
      await expectProblem(await send("PATCH", "/v1/users/me", token, { full_name: "x" }), 401);
      await expectProblem(await t.postJson("/v1/users/login", { email, password: PASSWORD }), 401);
    });
  });
});
