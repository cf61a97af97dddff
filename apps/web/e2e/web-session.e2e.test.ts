/**
 * The web session in Debian's Chromium against the real server: the refresh token in an HttpOnly,
 * SameSite=Strict cookie, the access token in memory, renewed on load (new tabs, links, Ctrl+click),
 * every authenticated call renewed (the resend defect), return-to after sign-in, a deactivated account
 * told so, and the CSRF defences of the cookie routes, from a real cross-site page and over plain HTTP.
 */
import { randomUUID } from "node:crypto";
import { sign } from "hono/jwt";
import type { Page } from "playwright-core";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, inject, it } from "vitest";
import { type Browser, launchBrowser, openPage, refreshCookie, type WatchedPage } from "./support/browser.js";
import { ADMIN, E2E_JWT_SECRET, registerViaApi, uniqueEmail } from "./support/fixtures.js";
import { presentOnce } from "./support/session.js";

const baseUrl = inject("baseUrl");
/** The same server under another site's name (localhost vs 127.0.0.1): a cross-site origin. */
const otherSite = inject("passkeyBaseUrl");
const PASSWORD = "correct horse battery";
const REFRESH = "/v1/users/token/refresh";
const LOGOUT = "/v1/users/logout";

let browser: Browser;
let w: WatchedPage;
let page: Page;

beforeAll(async () => {
  browser = await launchBrowser();
});
afterAll(async () => {
  await browser?.close();
});
beforeEach(async () => {
  w = await openPage(browser);
  page = w.page;
});
afterEach(async () => {
  const problems = [...w.problems];
  await w.close();
  expect(problems).toEqual([]);
});

const nav = (target: Page) => target.locator("#site-nav");

async function waitForPath(target: Page, expected: string): Promise<void> {
  await target.waitForURL((url) => url.pathname === expected);
  await target.locator(`main[data-path="${expected}"] h1`).waitFor();
}

/** Signs in on the sign-in page already open; resolves with the access token the page now holds. */
async function submitSignIn(target: Page, email: string, password = PASSWORD): Promise<string> {
  const login = target.waitForResponse(
    (response) => new URL(response.url()).pathname === "/v1/users/login" && response.status() === 200,
  );
  await target.getByLabel("Email").fill(email);
  await target.getByLabel("Password").fill(password);
  await target.getByRole("button", { name: "Sign in", exact: true }).click();
  const body = (await (await login).json()) as Record<string, unknown>;
  // cookie mode: the refresh token never reaches the page
  expect(body["refresh_token"]).toBeUndefined();
  return String(body["access_token"]);
}

async function signIn(email: string): Promise<string> {
  await page.goto(`${baseUrl}/sign-in`);
  const token = await submitSignIn(page, email);
  await waitForPath(page, "/profile");
  return token;
}

async function expiredAccessToken(userId: string): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  return sign({ sub: userId, iat: now - 3600, exp: now - 1800, jti: randomUUID() }, E2E_JWT_SECRET, "HS256");
}

async function apiToken(email: string, password: string): Promise<string> {
  const response = await fetch(`${baseUrl}/v1/users/login`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ email, password }),
  });
  expect(response.status).toBe(200);
  return ((await response.json()) as { access_token: string }).access_token;
}

describe("the session survives a new tab", () => {
  it("a new tab, a link from a mail and Ctrl+click on Profile stay signed in; no token is readable by script", async () => {
    const email = uniqueEmail("tabs");
    await registerViaApi(baseUrl, { email, password: PASSWORD, full_name: "Tabitha" });
    await signIn(email);

    // Nothing a script (an XSS bug) could read holds a token.
    const readable = await page.evaluate(() => ({
      cookies: document.cookie,
      session: Object.keys(window.sessionStorage),
      local: Object.values(window.localStorage),
    }));
    expect(readable.cookies).not.toContain("um_refresh");
    expect(readable.session).toEqual([]);
    for (const value of readable.local) expect(value).toBe("1");

    // A link opened in a new tab (or from a mail): the page renews the session through the cookie.
    const tab = await openPage(browser);
    try {
      await tab.page.goto(`${baseUrl}/password`);
      await waitForPath(tab.page, "/password");
      await tab.page.goto(`${baseUrl}/profile`);
      await waitForPath(tab.page, "/profile");
      expect(await tab.page.locator("main h1").textContent()).toBe("Tabitha");
      expect(tab.problems).toEqual([]);
    } finally {
      await tab.page.close();
    }

    // Ctrl+click on "Profile" opens it in a new tab, signed in.
    await nav(page).getByRole("link", { name: "Password" }).click();
    await waitForPath(page, "/password");
    const opened = browser.context.waitForEvent("page");
    await nav(page)
      .getByRole("link", { name: "Profile" })
      .click({ modifiers: ["Control"] });
    const newTab = await opened;
    await waitForPath(newTab, "/profile");
    expect(await newTab.locator("main h1").textContent()).toBe("Tabitha");

    // Tabs loading at the same moment renew with the same cookie: the grace window gives them one pair.
    await Promise.all([page.reload(), newTab.reload()]);
    await Promise.all([waitForPath(page, "/password"), waitForPath(newTab, "/profile")]);
    expect(await newTab.locator("main h1").textContent()).toBe("Tabitha");
    await newTab.close();
  });

  it("sets the cookie HttpOnly, SameSite=Strict, scoped to the refresh and logout paths, not Secure on http loopback", async () => {
    const email = uniqueEmail("attributes");
    await registerViaApi(baseUrl, { email, password: PASSWORD });
    await page.goto(`${baseUrl}/sign-in`);
    const login = page.waitForResponse((response) => new URL(response.url()).pathname === "/v1/users/login");
    await submitSignIn(page, email);
    await waitForPath(page, "/profile");

    const setCookies = (await (await login).headersArray())
      .filter((header) => header.name.toLowerCase() === "set-cookie")
      .map((header) => header.value);
    expect(setCookies).toHaveLength(2);
    for (const line of setCookies) {
      expect(line).toMatch(/^um_refresh=[A-Za-z0-9_-]{43};/);
      expect(line).toMatch(/; HttpOnly/);
      expect(line).toMatch(/; SameSite=Strict/);
      expect(line).not.toMatch(/; Secure/); // plain-http loopback: see the API tests for Secure
      expect(line).not.toMatch(/; Domain=/);
    }

    const stored = await browser.context.cookies([`${baseUrl}${REFRESH}`, `${baseUrl}${LOGOUT}`]);
    expect(stored.map((cookie) => cookie.path).sort()).toEqual([LOGOUT, REFRESH]);
    for (const cookie of stored) {
      expect(cookie).toMatchObject({ name: "um_refresh", httpOnly: true, sameSite: "Strict", secure: false });
    }
    // and the browser sends it nowhere else
    for (const path of ["/v1/users/me", "/v1/users/login", "/v1/users/logout-all", "/profile", "/"]) {
      expect(await browser.context.cookies(`${baseUrl}${path}`), path).toEqual([]);
    }

    // Sign-out clears it.
    await page.getByRole("button", { name: "Sign out", exact: true }).click();
    await waitForPath(page, "/sign-in");
    expect(await refreshCookie(browser.context, baseUrl)).toBeUndefined();
    expect(await browser.context.cookies(`${baseUrl}${LOGOUT}`)).toEqual([]);
  });
});

describe("every authenticated call renews", () => {
  it("resending the verification email with an expired access token renews it and stays signed in", async () => {
    const email = uniqueEmail("resend");
    const user = await registerViaApi(baseUrl, { email, password: PASSWORD });
    await signIn(email);
    const before = (await refreshCookie(browser.context, baseUrl))?.value;

    const presented = await presentOnce(
      page,
      "POST",
      "/v1/users/verify-email/resend",
      await expiredAccessToken(user.id),
    );
    w.expectFailure("POST", "/v1/users/verify-email/resend", 401);
    await page.getByRole("button", { name: "Resend the verification email" }).click();
    await page.getByText("We have sent a new link to your email address.").waitFor();
    expect(presented()).toBe(1);
    expect(new URL(page.url()).pathname).toBe("/profile");
    expect(await page.locator(".flash").count()).toBe(0);
    // renewed: the cookie rotated
    expect((await refreshCookie(browser.context, baseUrl))?.value).not.toBe(before);
  });
});

describe("return to the asked-for page", () => {
  it("after signing in, with its query; never to another site", async () => {
    const email = uniqueEmail("return");
    await registerViaApi(baseUrl, { email, password: PASSWORD });

    await page.goto(`${baseUrl}/password?from=mail`);
    await page.waitForURL((url) => url.pathname === "/sign-in");
    expect(new URL(page.url()).searchParams.get("next")).toBe("/password?from=mail");
    expect(await page.locator(".flash").textContent()).toBe("Please sign in to continue.");
    await submitSignIn(page, email);
    await waitForPath(page, "/password");
    expect(new URL(page.url()).search).toBe("?from=mail");

    // An open-redirect attempt lands on the profile, on this site.
    await page.getByRole("button", { name: "Sign out", exact: true }).click();
    await waitForPath(page, "/sign-in");
    for (const next of ["//evil.example/x", "https://evil.example/", "/\\evil.example"]) {
      await page.goto(`${baseUrl}/sign-in?next=${encodeURIComponent(next)}`);
      await waitForPath(page, "/sign-in");
      await submitSignIn(page, email);
      await waitForPath(page, "/profile");
      expect(new URL(page.url()).origin).toBe(baseUrl);
      await page.getByRole("button", { name: "Sign out", exact: true }).click();
      await waitForPath(page, "/sign-in");
    }
  });

  it("after the session expired: told so, then back to the page", async () => {
    const email = uniqueEmail("return-expired");
    await registerViaApi(baseUrl, { email, password: PASSWORD });
    const token = await signIn(email);
    await nav(page).getByRole("link", { name: "Password" }).click();
    await waitForPath(page, "/password");

    // The session ends elsewhere (sign out everywhere from another client).
    const response = await fetch(`${baseUrl}/v1/users/logout-all`, {
      method: "POST",
      headers: { authorization: `Bearer ${token}` },
    });
    expect(response.status).toBe(204);
    w.expectFailure("POST", REFRESH, 401);
    await page.reload();
    await waitForPath(page, "/sign-in");
    expect(await page.locator(".flash").textContent()).toBe(
      "Your session has expired, please sign in again.",
    );
    expect(new URL(page.url()).searchParams.get("next")).toBe("/password");
    await submitSignIn(page, email);
    await waitForPath(page, "/password");
  });
});

describe("a deactivated account", () => {
  it("is told so, not that the session expired", async () => {
    const email = uniqueEmail("deactivated");
    const user = await registerViaApi(baseUrl, { email, password: PASSWORD });
    await signIn(email);

    const admin = await apiToken(ADMIN.email, ADMIN.password);
    const response = await fetch(`${baseUrl}/v1/users/${user.id}`, {
      method: "PATCH",
      headers: { authorization: `Bearer ${admin}`, "content-type": "application/json" },
      body: JSON.stringify({ is_active: false }),
    });
    expect(response.status).toBe(200);

    const deactivatedMessage =
      "Your account has been deactivated. Contact an administrator if you think this is a mistake.";

    // A new tab renews on load and is told.
    const tab = await openPage(browser);
    try {
      tab.expectFailure("POST", REFRESH, 401);
      await tab.page.goto(`${baseUrl}/profile`);
      await tab.page.waitForURL((url) => url.pathname === "/sign-in");
      await tab.page.locator(".flash").waitFor();
      expect(await tab.page.locator(".flash").textContent()).toBe(deactivatedMessage);
      expect(tab.problems).toEqual([]);
    } finally {
      await tab.page.close();
    }

    // The open tab is told at its next call.
    for (const path of [
      "/v1/users/me/sessions",
      "/v1/users/me/events",
      "/v1/users/me/mfa",
      "/v1/users/me/passkeys",
      "/v1/users/me/identities",
    ]) {
      w.expectFailure("GET", path, 401);
    }
    w.expectFailure("POST", REFRESH, 401);
    await nav(page).getByRole("link", { name: "Profile" }).click();
    await page.waitForURL((url) => url.pathname === "/sign-in");
    await page.locator(".flash").waitFor();
    expect(await page.locator(".flash").textContent()).toBe(deactivatedMessage);
  });
});

describe("CSRF: the cookie routes refuse cross-site requests", () => {
  it("a page of another site cannot use the session cookie (SameSite=Strict, custom header, Origin)", async () => {
    const email = uniqueEmail("csrf-browser");
    await registerViaApi(baseUrl, { email, password: PASSWORD });
    await signIn(email);
    const before = (await refreshCookie(browser.context, baseUrl))?.value;
    expect(before).toBeDefined();

    const attacker = await browser.context.newPage();
    try {
      // A page of another site, with no CSP of ours in the way.
      await attacker.route(`${otherSite}/attack`, (route) =>
        route.fulfill({
          status: 200,
          contentType: "text/html",
          body: "<!doctype html><title>attack</title>",
        }),
      );
      await attacker.goto(`${otherSite}/attack`);
      const results = await attacker.evaluate(async (target) => {
        const url = `${target}/v1/users/token/refresh`;
        const withHeader = await fetch(url, {
          method: "POST",
          credentials: "include",
          headers: { "X-Token-Delivery": "cookie" },
        }).then(
          (response) => `answered ${response.status}`,
          () => "blocked",
        );
        const simple = await fetch(url, { method: "POST", mode: "no-cors", credentials: "include" }).then(
          (response) => response.type,
          () => "blocked",
        );
        return { withHeader, simple };
      }, baseUrl);
      // the custom header needs a CORS preflight this service never grants
      expect(results.withHeader).toBe("blocked");
      // sent without the cookie's help; its answer is opaque, or blocked by Cross-Origin-Resource-Policy
      expect(["opaque", "blocked"]).toContain(results.simple);

      // A cross-site form post (a top-level navigation): SameSite=Strict keeps the cookie home.
      const posted = attacker.waitForResponse((response) => response.url() === `${baseUrl}${REFRESH}`);
      await attacker.evaluate((target) => {
        const form = document.createElement("form");
        form.method = "POST";
        form.action = `${target}/v1/users/token/refresh`;
        document.body.append(form);
        form.submit();
      }, baseUrl);
      const answer = await posted;
      expect(answer.status()).not.toBe(200);
      expect(await answer.request().headerValue("cookie")).toBeNull();
    } finally {
      await attacker.close();
    }

    // None of it spent or replaced the session: the cookie is the same and still renews.
    expect((await refreshCookie(browser.context, baseUrl))?.value).toBe(before);
    await page.reload();
    await waitForPath(page, "/profile");
  });

  describe("over plain HTTP against the server", () => {
    async function cookieLogin(): Promise<string> {
      const email = uniqueEmail("csrf-http");
      await registerViaApi(baseUrl, { email, password: PASSWORD });
      const response = await fetch(`${baseUrl}/v1/users/login`, {
        method: "POST",
        headers: { "content-type": "application/json", "x-token-delivery": "cookie", origin: baseUrl },
        body: JSON.stringify({ email, password: PASSWORD }),
      });
      expect(response.status).toBe(200);
      const cookie = response.headers.getSetCookie()[0]?.split(";")[0];
      expect(cookie).toMatch(/^um_refresh=/);
      return cookie ?? "";
    }

    const refresh = (headers: Record<string, string>) =>
      fetch(`${baseUrl}${REFRESH}`, { method: "POST", headers });

    async function expectRefused(response: Response): Promise<void> {
      expect(response.status).toBe(403);
      expect(response.headers.get("content-type")).toBe("application/problem+json");
      expect(((await response.json()) as { type: string }).type).toBe("/problems/cross-site-request");
    }

    it("refuses the cookie without the custom header, from a wrong Origin and cross-site; the token survives", async () => {
      const cookie = await cookieLogin();
      await expectRefused(await refresh({ cookie, origin: baseUrl }));
      await expectRefused(
        await refresh({ cookie, origin: "https://evil.example", "x-token-delivery": "cookie" }),
      );
      // same host, another port: another origin (the server's configured ones are its own and WEBAUTHN_ORIGINS)
      const anotherPort = baseUrl.replace(/:\d+$/, ":1");
      await expectRefused(await refresh({ cookie, origin: anotherPort, "x-token-delivery": "cookie" }));
      await expectRefused(await refresh({ cookie, "x-token-delivery": "cookie" }));
      await expectRefused(
        await refresh({
          cookie,
          origin: baseUrl,
          "x-token-delivery": "cookie",
          "sec-fetch-site": "cross-site",
        }),
      );
      await expectRefused(
        await fetch(`${baseUrl}${LOGOUT}`, {
          method: "POST",
          headers: { cookie, origin: "https://evil.example" },
        }),
      );
      // the refusals spent nothing
      const ok = await refresh({ cookie, origin: baseUrl, "x-token-delivery": "cookie" });
      expect(ok.status).toBe(200);
      expect(((await ok.json()) as Record<string, unknown>)["refresh_token"]).toBeUndefined();
    });
  });
});
