/**
 * The web app's cookie mode (`X-Token-Delivery: cookie`): the refresh token in an HttpOnly, SameSite=Strict
 * cookie scoped to the refresh and logout paths, the CSRF refusals, rotation and reuse detection through
 * the cookie, and API clients' JSON bodies left as they were.
 */
import { updateUser } from "@app/core";
import { testDatabaseKinds, uniqueEmail } from "@app/core/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestApp, expectProblem, type TestApp } from "#test-support";

const PASSWORD = "correct horse battery";
/** app.request resolves a bare path against http://localhost: plain-http loopback, no Secure. */
const LOCAL = "http://localhost";
const PUBLIC = "https://id.example.com";
const WEB = { "x-token-delivery": "cookie" } as const;

interface SetCookie {
  name: string;
  value: string;
  attributes: Record<string, string | true>;
}

function setCookies(response: Response): SetCookie[] {
  return response.headers.getSetCookie().map((line) => {
    const [pair = "", ...rest] = line.split(";").map((part) => part.trim());
    const separator = pair.indexOf("=");
    const attributes: Record<string, string | true> = {};
    for (const attribute of rest) {
      const [key = "", value] = attribute.split("=");
      attributes[key.toLowerCase()] = value ?? true;
    }
    return { name: pair.slice(0, separator), value: pair.slice(separator + 1), attributes };
  });
}

describe.each(testDatabaseKinds)("refresh cookie on %s", (kind) => {
  let t: TestApp;
  let strict: TestApp;
  beforeAll(async () => {
    [t, strict] = await Promise.all([
      createTestApp(kind, { webOrigins: [PUBLIC] }),
      createTestApp(kind, { webOrigins: [PUBLIC] }, { sessions: { reuseGraceSeconds: 0 } }),
    ]);
  });
  afterAll(async () => {
    await Promise.all([t.dispose(), strict.dispose()]);
  });

  const post = (
    app: TestApp,
    path: string,
    {
      origin = LOCAL,
      headers = {},
      body,
    }: { origin?: string; headers?: Record<string, string>; body?: unknown },
  ) =>
    app.request(`${origin}${path}`, {
      method: "POST",
      headers: {
        ...(body === undefined ? {} : { "content-type": "application/json" }),
        ...headers,
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });

  async function cookieLogin(app: TestApp = t, origin = LOCAL) {
    const email = uniqueEmail("cookie");
    const user = await app.register(email, PASSWORD);
    const response = await post(app, "/v1/users/login", {
      origin,
      headers: { ...WEB, origin },
      body: { email, password: PASSWORD },
    });
    expect(response.status).toBe(200);
    const cookies = setCookies(response);
    const body = (await response.json()) as Record<string, unknown>;
    return { user, email, body, cookies, cookie: `${cookies[0]?.name}=${cookies[0]?.value}` };
  }

  const refreshWithCookie = (
    app: TestApp,
    cookie: string,
    origin = LOCAL,
    extra: Record<string, string> = {},
  ) => post(app, "/v1/users/token/refresh", { origin, headers: { ...WEB, origin, cookie, ...extra } });

  it("API clients keep the JSON body with the refresh token, and get no cookie", async () => {
    const email = uniqueEmail("json");
    await t.register(email, PASSWORD);
    const response = await t.postJson("/v1/users/login", { email, password: PASSWORD });
    expect(response.status).toBe(200);
    expect(response.headers.getSetCookie()).toEqual([]);
    const body = (await response.json()) as Record<string, unknown>;
    expect(typeof body["refresh_token"]).toBe("string");
    const refreshed = await t.postJson("/v1/users/token/refresh", { refresh_token: body["refresh_token"] });
    expect(refreshed.status).toBe(200);
    expect(refreshed.headers.getSetCookie()).toEqual([]);
  });

  it("cookie mode: no refresh token in the body; HttpOnly, SameSite=Strict, one cookie per reading path", async () => {
    const { body, cookies } = await cookieLogin();
    expect(Object.keys(body).sort()).toEqual([
      "access_token",
      "expires_in",
      "refresh_expires_in",
      "token_type",
    ]);
    expect(cookies.map((cookie) => cookie.attributes["path"]).sort()).toEqual([
      "/v1/users/logout",
      "/v1/users/token/refresh",
    ]);
    for (const cookie of cookies) {
      expect(cookie.name).toBe("um_refresh");
      expect(cookie.value).toBe(cookies[0]?.value);
      expect(cookie.value.length).toBeGreaterThan(20);
      expect(cookie.attributes["httponly"]).toBe(true);
      expect(cookie.attributes["samesite"]).toBe("Strict");
      expect(cookie.attributes["max-age"]).toBe(String(body["refresh_expires_in"]));
      // plain-http loopback: a Secure cookie would be dropped by the browser
      expect(cookie.attributes["secure"]).toBeUndefined();
      expect(cookie.attributes["domain"]).toBeUndefined();
    }
  });

  it("outside plain-http localhost the cookie is Secure and __Secure- prefixed", async () => {
    const { cookies, cookie } = await cookieLogin(t, PUBLIC);
    expect(cookies).toHaveLength(2);
    for (const set of cookies) {
      expect(set.name).toBe("__Secure-um_refresh");
      expect(set.attributes["secure"]).toBe(true);
      expect(set.attributes["httponly"]).toBe(true);
      expect(set.attributes["samesite"]).toBe("Strict");
    }
    const refreshed = await refreshWithCookie(t, cookie, PUBLIC);
    expect(refreshed.status).toBe(200);
  });

  it("refresh reads the cookie, rotates it, and answers without the refresh token", async () => {
    const { cookie, cookies } = await cookieLogin();
    const response = await refreshWithCookie(t, cookie);
    expect(response.status).toBe(200);
    expect(response.headers.get("cache-control")).toBe("no-store");
    const body = (await response.json()) as Record<string, unknown>;
    expect(body["refresh_token"]).toBeUndefined();
    expect((await t.me(String(body["access_token"]))).status).toBe(200);
    const rotated = setCookies(response);
    expect(rotated).toHaveLength(2);
    expect(rotated[0]?.value).not.toBe(cookies[0]?.value);
    expect((await refreshWithCookie(t, `um_refresh=${rotated[0]?.value}`)).status).toBe(200);
  });

  it("reuse detection works through the cookie: a spent cookie → 401, the family dies, the cookie is cleared", async () => {
    const { cookie } = await cookieLogin(strict);
    const first = await refreshWithCookie(strict, cookie);
    expect(first.status).toBe(200);
    const successor = `um_refresh=${setCookies(first)[0]?.value}`;
    const reuse = await refreshWithCookie(strict, cookie);
    expect((await expectProblem(reuse, 401)).type).toBe("/problems/invalid-refresh-token");
    const cleared = setCookies(reuse);
    expect(cleared.map((c) => c.attributes["path"]).sort()).toEqual([
      "/v1/users/logout",
      "/v1/users/token/refresh",
    ]);
    for (const c of cleared) expect(c.attributes["max-age"]).toBe("0");
    await expectProblem(await refreshWithCookie(strict, successor), 401);
  });

  it("cookie mode without a cookie → 401 invalid-refresh-token", async () => {
    const response = await post(t, "/v1/users/token/refresh", { headers: { ...WEB, origin: LOCAL } });
    expect((await expectProblem(response, 401)).type).toBe("/problems/invalid-refresh-token");
  });

  describe("CSRF: refused with 403 /problems/cross-site-request, and the token is not spent", () => {
    async function expectRefused(response: Response) {
      expect((await expectProblem(response, 403)).type).toBe("/problems/cross-site-request");
    }

    it("the cookie without the custom header", async () => {
      const { cookie } = await cookieLogin();
      await expectRefused(await post(t, "/v1/users/token/refresh", { headers: { origin: LOCAL, cookie } }));
      await expectRefused(
        await post(t, "/v1/users/logout", {
          headers: { origin: LOCAL, cookie },
          body: { refresh_token: "x" },
        }),
      );
      expect((await refreshWithCookie(t, cookie)).status).toBe(200);
    });

    it("a foreign or missing Origin", async () => {
      const { cookie } = await cookieLogin();
      await expectRefused(await refreshWithCookie(t, cookie, LOCAL, { origin: "https://evil.example" }));
      await expectRefused(await refreshWithCookie(t, cookie, LOCAL, { origin: "null" }));
      await expectRefused(
        await post(t, "/v1/users/token/refresh", { headers: { ...WEB, cookie } }), // no Origin at all
      );
      await expectRefused(
        await post(t, "/v1/users/logout", { headers: { ...WEB, cookie, origin: "https://evil.example" } }),
      );
      expect((await refreshWithCookie(t, cookie)).status).toBe(200);
    });

    it("a cross-site fetch (Sec-Fetch-Site: cross-site)", async () => {
      const { cookie } = await cookieLogin();
      await expectRefused(await refreshWithCookie(t, cookie, LOCAL, { "sec-fetch-site": "cross-site" }));
      expect((await refreshWithCookie(t, cookie)).status).toBe(200);
    });

    it("a cookie-mode login from a foreign Origin", async () => {
      const email = uniqueEmail("csrf-login");
      await t.register(email, PASSWORD);
      const response = await post(t, "/v1/users/login", {
        headers: { ...WEB, origin: "https://evil.example" },
        body: { email, password: PASSWORD },
      });
      await expectRefused(response);
      expect(response.headers.getSetCookie()).toEqual([]);
    });

    it("a configured web origin is accepted (TLS ended by a proxy: the request itself is plain http)", async () => {
      const email = uniqueEmail("proxied");
      await t.register(email, PASSWORD);
      const response = await post(t, "/v1/users/login", {
        origin: "http://id.example.com",
        headers: { ...WEB, origin: PUBLIC },
        body: { email, password: PASSWORD },
      });
      expect(response.status).toBe(200);
      expect(setCookies(response)[0]?.attributes["secure"]).toBe(true);
    });
  });

  it("logout reads the cookie, ends the session and clears the cookie", async () => {
    const { cookie, body } = await cookieLogin();
    const response = await post(t, "/v1/users/logout", { headers: { ...WEB, origin: LOCAL, cookie } });
    expect(response.status).toBe(204);
    const cleared = setCookies(response);
    expect(cleared).toHaveLength(2);
    for (const c of cleared) expect(c.attributes["max-age"]).toBe("0");
    await expectProblem(await refreshWithCookie(t, cookie), 401);
    await expectProblem(await t.me(String(body["access_token"])), 401);
  });

  it("logout-all in cookie mode clears the cookie; every session is over", async () => {
    const { cookie, body } = await cookieLogin();
    const response = await post(t, "/v1/users/logout-all", {
      headers: { ...WEB, origin: LOCAL, authorization: `Bearer ${body["access_token"]}` },
    });
    expect(response.status).toBe(204);
    expect(setCookies(response).map((c) => c.attributes["max-age"])).toEqual(["0", "0"]);
    await expectProblem(await refreshWithCookie(t, cookie), 401);
  });

  it("a deactivated account's tokens are refused as /problems/account-deactivated, not as expired ones", async () => {
    const { user, body, cookie } = await cookieLogin();
    const spent = await refreshWithCookie(t, cookie);
    expect(spent.status).toBe(200);
    await updateUser(t.database.db, user.id, { isActive: false });
    // the refresh token, live or already spent, and the access token
    for (const presented of [`um_refresh=${setCookies(spent)[0]?.value}`, cookie]) {
      const refused = await refreshWithCookie(t, presented);
      expect((await expectProblem(refused, 401)).type).toBe("/problems/account-deactivated");
    }
    const json = await t.postJson("/v1/users/token/refresh", { refresh_token: cookie.split("=")[1] });
    expect((await expectProblem(json, 401)).type).toBe("/problems/account-deactivated");
    const response = await t.me(String(body["access_token"]));
    const problem = await expectProblem(response, 401);
    expect(problem.type).toBe("/problems/account-deactivated");
    expect(response.headers.get("www-authenticate")).toMatch(/^Bearer .*error="invalid_token"/);
  });

  describe("concurrent refreshes with the same cookie", () => {
    it("inside the grace window: one rotation, every tab gets the same new cookie", async () => {
      const { cookie } = await cookieLogin();
      const responses = await Promise.all(Array.from({ length: 4 }, () => refreshWithCookie(t, cookie)));
      expect(responses.map((r) => r.status)).toEqual([200, 200, 200, 200]);
      const values = new Set(responses.map((r) => setCookies(r)[0]?.value));
      expect(values.size).toBe(1);
      const [next] = [...values];
      expect((await refreshWithCookie(t, `um_refresh=${next}`)).status).toBe(200);
    });

    it("without a grace window: exactly one succeeds, the rest are reuse", async () => {
      const { cookie } = await cookieLogin(strict);
      const responses = await Promise.all(Array.from({ length: 4 }, () => refreshWithCookie(strict, cookie)));
      const statuses = responses.map((r) => r.status).sort();
      expect(statuses).toEqual([200, 401, 401, 401]);
    });
  });
});
