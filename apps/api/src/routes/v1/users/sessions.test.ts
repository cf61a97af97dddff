import { updateUser } from "@app/core";
import { testDatabaseKinds, uniqueEmail } from "@app/core/testing";
import { decodeJwt } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestApp, expectProblem, type TestApp, type TokenBody } from "#test-support";

const PASSWORD = "correct horse battery";
const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

describe.each(testDatabaseKinds)("sessions API on %s", (kind) => {
  // Two apps on two databases: the default grace window, and none (every second use is a reuse).
  let t: TestApp;
  let strict: TestApp;
  beforeAll(async () => {
    [t, strict] = await Promise.all([
      createTestApp(kind),
      createTestApp(kind, {}, { sessions: { reuseGraceSeconds: 0 } }),
    ]);
  });
  afterAll(async () => {
    await Promise.all([t.dispose(), strict.dispose()]);
  });

  const refresh = (app: TestApp, refreshToken: string) =>
    app.postJson("/v1/users/token/refresh", { refresh_token: refreshToken });
  async function refreshed(app: TestApp, refreshToken: string): Promise<TokenBody> {
    const response = await refresh(app, refreshToken);
    expect(response.status).toBe(200);
    return (await response.json()) as TokenBody;
  }
  async function signedIn(app: TestApp = t) {
    const email = uniqueEmail();
    const user = await app.register(email, PASSWORD);
    return { user, email, pair: await app.loginPair(email) };
  }

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
      const credentialsOnly = "Send credentials as application/json or application/x-www-form-urlencoded.";
      const plain = await expectProblem(
        await t.request("/v1/users/login", {
          method: "POST",
          headers: { "content-type": "text/plain" },
          body: "hi",
        }),
        415,
      );
      expect(plain).toMatchObject({ type: "/problems/unsupported-media-type", detail: credentialsOnly });
      const bodiless = await expectProblem(await t.request("/v1/users/login", { method: "POST" }), 415);
      expect(bodiless.detail).toBe(credentialsOnly);
    });
  });

  describe("POST /v1/users/token/refresh", () => {
    it("returns a new RFC 6749 pair, uncacheable, and the new access token works", async () => {
      const { pair } = await signedIn();
      const response = await refresh(t, pair.refresh_token);
      expect(response.status).toBe(200);
      expect(response.headers.get("cache-control")).toBe("no-store");
      const body = (await response.json()) as TokenBody;
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
      expect(body.refresh_token).not.toBe(pair.refresh_token);
      expect((await t.me(body.access_token)).status).toBe(200);
    });

    it("a refreshed access token carries the login's amr and sid, rotation after rotation", async () => {
      const { pair } = await signedIn();
      const login = decodeJwt(pair.access_token);
      expect(login).toMatchObject({ amr: ["pwd"], sid: expect.any(String) });
      const first = await refreshed(t, pair.refresh_token);
      const second = await refreshed(t, first.refresh_token);
      for (const { access_token } of [first, second]) {
        expect(decodeJwt(access_token)).toMatchObject({ amr: ["pwd"], sid: login.sid, sub: login.sub });
        expect((await t.me(access_token)).status).toBe(200);
      }
    });

    it("a token used twice outside the grace window → 401, and the whole family is revoked", async () => {
      const { pair } = await signedIn(strict);
      const second = await refreshed(strict, pair.refresh_token);
      const reuse = await expectProblem(await refresh(strict, pair.refresh_token), 401);
      expect(reuse.type).toBe("/problems/invalid-refresh-token");
      // the newest token of the family is dead too
      await expectProblem(await refresh(strict, second.refresh_token), 401);
    });

    it("two concurrent refreshes inside the grace window both get 200 and the same pair", async () => {
      const { pair } = await signedIn();
      const [a, b] = await Promise.all([refresh(t, pair.refresh_token), refresh(t, pair.refresh_token)]);
      expect([a.status, b.status]).toEqual([200, 200]);
      const [first, second] = (await Promise.all([a.json(), b.json()])) as [TokenBody, TokenBody];
      expect(second.refresh_token).toBe(first.refresh_token);
      expect(second.access_token).toBe(first.access_token);
      // and that pair rotates normally
      await refreshed(t, first.refresh_token);
    });

    it("401 for an unknown token, 422 for a missing one, 400 malformed JSON, 415 not JSON, 413 too large", async () => {
      await expectProblem(await refresh(t, "not-a-token"), 401);
      await expectProblem(await t.postJson("/v1/users/token/refresh", {}), 422);
      await expectProblem(
        await t.request("/v1/users/token/refresh", {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: "{",
        }),
        400,
      );
      await expectProblem(
        await t.request("/v1/users/token/refresh", {
          method: "POST",
          headers: { "content-type": "text/plain" },
          body: "refresh_token=x",
        }),
        415,
      );
      await expectProblem(await refresh(t, "x".repeat(17 * 1024)), 413);
    });

    it("401 after a password change, a deactivation or a deletion", async () => {
      const changed = await signedIn();
      const change = await t.postJson(
        "/v1/users/me/password",
        { current_password: PASSWORD, new_password: "a brand new password" },
        bearer(changed.pair.access_token),
      );
      expect(change.status).toBe(204);
      await expectProblem(await refresh(t, changed.pair.refresh_token), 401);

      const deactivated = await signedIn();
      await t.deps.users.adminUpdateUser(deactivated.user.id, { isActive: false });
      await expectProblem(await refresh(t, deactivated.pair.refresh_token), 401);

      const deleted = await signedIn();
      const gone = await t.request("/v1/users/me", {
        method: "DELETE",
        headers: bearer(deleted.pair.access_token),
      });
      expect(gone.status).toBe(204);
      await expectProblem(await refresh(t, deleted.pair.refresh_token), 401);
    });

    it("never writes a refresh token to the logs", async () => {
      const { pair } = await signedIn();
      const next = await refreshed(t, pair.refresh_token);
      await refresh(t, pair.refresh_token);
      await t.postJson("/v1/users/logout", { refresh_token: next.refresh_token });
      // a log line that does carry the body's key is censored
      t.deps.logger.info({ refresh_token: next.refresh_token, body: { refresh_token: "x" } }, "probe");
      const all = t.logs.lines.join("\n");
      expect(all).toContain("/v1/users/token/refresh");
      expect(all).toContain('"refresh_token":"[redacted]"');
      expect(all).not.toContain(pair.refresh_token);
      expect(all).not.toContain(next.refresh_token);
    });
  });

  describe("POST /v1/users/logout", () => {
    it("204 and the family is revoked; an unknown or spent token is 204 as well", async () => {
      const { pair } = await signedIn();
      const next = await refreshed(t, pair.refresh_token);
      const response = await t.postJson("/v1/users/logout", { refresh_token: next.refresh_token });
      expect(response.status).toBe(204);
      expect(await response.text()).toBe("");
      await expectProblem(await refresh(t, next.refresh_token), 401);
      expect((await t.postJson("/v1/users/logout", { refresh_token: next.refresh_token })).status).toBe(204);
      expect((await t.postJson("/v1/users/logout", { refresh_token: pair.refresh_token })).status).toBe(204);
      expect((await t.postJson("/v1/users/logout", { refresh_token: "unknown" })).status).toBe(204);
      await expectProblem(await t.postJson("/v1/users/logout", {}), 422);
    });

    it("leaves the user's other sessions alone", async () => {
      const { email, pair } = await signedIn();
      const otherDevice = await t.loginPair(email, PASSWORD);
      expect((await t.postJson("/v1/users/logout", { refresh_token: pair.refresh_token })).status).toBe(204);
      await refreshed(t, otherDevice.refresh_token);
    });
  });

  describe("POST /v1/users/logout-all", () => {
    it("refuses every access and refresh token of the user, and no other user's", async () => {
      const { email, pair } = await signedIn();
      const laptop = await t.loginPair(email, PASSWORD);
      const renewed = await refreshed(t, laptop.refresh_token);
      const bystander = await signedIn();

      const response = await t.request("/v1/users/logout-all", {
        method: "POST",
        headers: bearer(pair.access_token),
      });
      expect(response.status).toBe(204);

      for (const access of [pair.access_token, laptop.access_token, renewed.access_token]) {
        await expectProblem(await t.me(access), 401);
      }
      for (const refreshToken of [pair.refresh_token, renewed.refresh_token]) {
        await expectProblem(await refresh(t, refreshToken), 401);
      }
      expect((await t.me(bystander.pair.access_token)).status).toBe(200);
      await refreshed(t, bystander.pair.refresh_token);
      // signing in again works at once
      const again = await t.loginPair(email, PASSWORD);
      expect((await t.me(again.access_token)).status).toBe(200);
      await refreshed(t, again.refresh_token);
    });

    it("401 without a bearer token", async () => {
      const response = await t.request("/v1/users/logout-all", { method: "POST" });
      await expectProblem(response, 401);
      expect(response.headers.get("www-authenticate")).toMatch(/^Bearer/);
    });
  });
});
