/**
 * The web app in Debian's Chromium against the real server (built API + built pages, embedded
 * database). Every test fails on a console error, an uncaught exception, a CSP violation, an unexpected
 * failed request, or a page wider than the screen; screenshots land in test-results/screenshots/.
 */
import { randomUUID } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { sign } from "hono/jwt";
import type { Page } from "playwright-core";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, inject, it } from "vitest";
import { type RunningServer, startServer } from "../../api/test/support/server-process.js";
import {
  type Browser,
  launchBrowser,
  openDevice,
  openPage,
  refreshCookie,
  screenshot,
  sectionsLoaded,
  type WatchedPage,
} from "./support/browser.js";
import { ADMIN, E2E_JWT_SECRET, registerViaApi, uniqueEmail } from "./support/fixtures.js";
import { presentOnce } from "./support/session.js";

const baseUrl = inject("baseUrl");
const PASSWORD = "correct horse battery";
const NEW_PASSWORD = "staple battery horse 2";

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

const path = () => new URL(page.url()).pathname;
const heading = () => page.locator("main h1");
/** The session cookie (HttpOnly: read through the browser, not the page), or null. */
const storedRefreshToken = async () => (await refreshCookie(browser.context, baseUrl))?.value ?? null;
const storedToken = storedRefreshToken;

async function waitForPath(expected: string): Promise<void> {
  await page.waitForURL((url) => url.pathname === expected);
  // The shell renders after the URL changes (it may first load the user): wait for the new page.
  await page.locator(`main[data-path="${expected}"] h1`).waitFor();
}

async function signIn(email: string, password: string): Promise<void> {
  await page.goto(`${baseUrl}/sign-in`);
  await page.getByLabel("Email").fill(email);
  await page.getByLabel("Password").fill(password);
  await page.getByRole("button", { name: "Sign in", exact: true }).click();
  await waitForPath("/profile");
  await sectionsLoaded(page);
}

/** The message shown for a field, checked to be wired to its input for assistive technology. */
async function fieldError(label: string): Promise<string> {
  const input = page.getByLabel(label, { exact: true });
  expect(await input.getAttribute("aria-invalid")).toBe("true");
  const describedBy = (await input.getAttribute("aria-describedby")) ?? "";
  const errorId = describedBy.split(" ").find((id) => id.endsWith("-error"));
  expect(errorId).toBeDefined();
  return (await page.locator(`[id="${errorId}"]`).textContent()) ?? "";
}

const formError = () => page.locator("form [aria-live=polite].form-error");

describe("register, sign in, profile", () => {
  it("registers with inline validation, signs in and shows the profile", async () => {
    const response = await page.goto(`${baseUrl}/`);
    // The strict policy is in force for the whole run; any violation would fail the test.
    expect(response?.headers()["content-security-policy"]).toContain("script-src 'self';");
    await waitForPath("/sign-in");
    expect(await page.title()).toBe("Sign in · Accounts");
    await screenshot(w, "sign-in");

    await page.getByRole("link", { name: "Create an account" }).click();
    await waitForPath("/register");
    await screenshot(w, "register");

    // Inline validation, same rules as the API, before anything is sent.
    let registerCalls = 0;
    page.on("request", (request) => {
      if (request.method() === "POST" && /^\/v1\/users\/?$/.test(new URL(request.url()).pathname))
        registerCalls += 1;
    });
    await page.getByLabel("Email").fill("ada@example");
    await page.getByLabel("Password", { exact: true }).fill("short");
    await page.getByLabel("Password", { exact: true }).blur();
    expect(await fieldError("Email")).toMatch(/valid email address/);
    expect(await fieldError("Password")).toMatch(/at least 8 characters/);
    await page.getByLabel("Password", { exact: true }).fill("é".repeat(37));
    await page.getByRole("button", { name: "Create account" }).click();
    expect(await fieldError("Password")).toBe(
      "Too long: at most 72 characters (fewer with accents or emoji).",
    );
    expect(await formError().textContent()).toBe("Please fix the highlighted fields.");
    expect(registerCalls).toBe(0);
    await screenshot(w, "register-errors");

    const email = uniqueEmail("ada");
    await page.getByLabel("Email").fill(`  ${email.toUpperCase()} `);
    await page.getByLabel("Full name").fill("Ada Lovelace");
    await page.getByLabel("Password", { exact: true }).fill(PASSWORD);
    await page.getByRole("button", { name: "Create account" }).click();
    await page.getByRole("heading", { name: "Check your inbox" }).waitFor();
    expect(await page.locator("main").textContent()).toContain(email);
    await page.getByRole("button", { name: "Continue to sign in" }).click();
    await waitForPath("/sign-in");
    expect(registerCalls).toBe(1);
    expect(await page.locator(".flash").textContent()).toMatch(/account is ready/);
    expect(await page.getByLabel("Email").inputValue()).toBe(email);

    await page.getByLabel("Password").fill(PASSWORD);
    await page.getByRole("button", { name: "Sign in", exact: true }).click();
    await waitForPath("/profile");
    expect(await heading().textContent()).toBe("Ada Lovelace");
    expect(await page.locator(".summary").textContent()).toContain(email);
    expect(await page.locator(".summary").textContent()).toContain("Member");
    expect(page.url()).not.toMatch(/token|ey[A-Za-z0-9_-]{10,}/);
    expect(await storedToken()).toMatch(/^[A-Za-z0-9_-]{43}$/);
    await screenshot(w, "profile");
  });

  it("works with the keyboard alone, with a visible focus", async () => {
    const email = uniqueEmail("keys");
    await registerViaApi(baseUrl, { email, password: PASSWORD });
    await page.goto(`${baseUrl}/sign-in`);
    await waitForPath("/sign-in");

    await page.keyboard.press("Tab");
    const focused = () => page.evaluate(() => document.activeElement?.getAttribute("name"));
    expect(await focused()).toBe("email");
    const ring = await page.evaluate(() => {
      const style = window.getComputedStyle(document.activeElement as Element);
      return { outline: style.outlineStyle, shadow: style.boxShadow };
    });
    expect(ring.outline !== "none" || ring.shadow !== "none").toBe(true);
    await page.keyboard.type(email);
    await page.keyboard.press("Tab");
    expect(await focused()).toBe("password");
    await page.keyboard.type(PASSWORD);
    await page.keyboard.press("Enter");
    await waitForPath("/profile");
    await sectionsLoaded(page);

    // Focus moves to the new page's heading, and the navigation is reachable by Tab.
    expect(await page.evaluate(() => document.activeElement?.tagName)).toBe("H1");
    await page.keyboard.press("Shift+Tab");
    expect(await page.evaluate(() => document.activeElement?.textContent)).toBe("Sign out");
    await page.keyboard.press("Enter");
    await waitForPath("/sign-in");
  });

  it("shows the field error for an email that is already registered", async () => {
    const email = uniqueEmail("taken");
    await registerViaApi(baseUrl, { email, password: PASSWORD });
    w.expectFailure("POST", "/v1/users", 409);

    await page.goto(`${baseUrl}/register`);
    await page.getByLabel("Email").fill(email);
    await page.getByLabel("Password", { exact: true }).fill(PASSWORD);
    await page.getByRole("button", { name: "Create account" }).click();
    await page.locator("[aria-invalid=true]").waitFor();

    expect(await fieldError("Email")).toBe("A user with this email already exists.");
    expect(await page.evaluate(() => document.activeElement?.getAttribute("name"))).toBe("email");
    expect(await page.getByRole("button", { name: "Create account" }).isEnabled()).toBe(true);
    expect(path()).toBe("/register");
    await screenshot(w, "register-email-taken");
  });

  it("shows the form error for a wrong password", async () => {
    const email = uniqueEmail("wrong");
    await registerViaApi(baseUrl, { email, password: PASSWORD });
    w.expectFailure("POST", "/v1/users/login", 401);

    await page.goto(`${baseUrl}/sign-in`);
    await page.getByLabel("Email").fill(email);
    await page.getByLabel("Password").fill("not the password");
    await page.getByRole("button", { name: "Sign in", exact: true }).click();
    await formError().filter({ hasText: /./ }).waitFor();

    expect(await formError().textContent()).toBe("Incorrect email or password.");
    // The wrong password is gone, and the focus waits where the next attempt starts.
    expect(await page.getByLabel("Password", { exact: true }).inputValue()).toBe("");
    expect(await page.evaluate(() => document.activeElement?.getAttribute("name"))).toBe("password");
    expect(await page.getByRole("button", { name: "Sign in", exact: true }).isEnabled()).toBe(true);
    expect(path()).toBe("/sign-in");
    expect(await storedToken()).toBeNull();
    await screenshot(w, "sign-in-wrong-password");
  });

  it("disables the button while the request runs, so it cannot be sent twice", async () => {
    const email = uniqueEmail("double");
    await registerViaApi(baseUrl, { email, password: PASSWORD });
    let logins = 0;
    await page.route("**/v1/users/login", async (route) => {
      logins += 1;
      await new Promise((resolve) => setTimeout(resolve, 800));
      await route.continue();
    });

    await page.goto(`${baseUrl}/sign-in`);
    await page.getByLabel("Email").fill(email);
    await page.getByLabel("Password").fill(PASSWORD);
    await page.getByLabel("Password").press("Enter");
    const button = page.locator("form button[type=submit]");
    expect(await button.textContent()).toBe("Signing in…");
    expect(await button.isDisabled()).toBe(true);
    await page.getByLabel("Password").press("Enter");
    await button.click({ force: true });
    await waitForPath("/profile");
    expect(logins).toBe(1);
  });

  /** A correctly signed token whose lifetime is over, as the browser would hold it after 15 minutes. */
  async function expiredAccessToken(userId: string): Promise<string> {
    const now = Math.floor(Date.now() / 1000);
    return sign(
      { sub: userId, iat: now - 3600, exp: now - 1800, jti: randomUUID() },
      E2E_JWT_SECRET,
      "HS256",
    );
  }

  it("renews an expired access token transparently with the refresh token", async () => {
    const email = uniqueEmail("renewed");
    const user = await registerViaApi(baseUrl, { email, password: PASSWORD, full_name: "Renée" });
    await signIn(email, PASSWORD);
    const refreshBefore = await storedRefreshToken();
    expect(refreshBefore).toMatch(/^[A-Za-z0-9_-]{43}$/);

    // The token in memory has expired: the next call presents it, is refused, renews and retries once,
    // and the person never leaves the page.
    const expired = await expiredAccessToken(user.id);
    await page.locator("#site-nav").getByRole("link", { name: "Password" }).click();
    await waitForPath("/password");
    const presented = await presentOnce(page, "GET", "/v1/users/me/sessions", expired);
    w.expectFailure("GET", "/v1/users/me/sessions", 401);
    await page.locator("#site-nav").getByRole("link", { name: "Profile" }).click();
    await waitForPath("/profile");
    expect(await heading().textContent()).toBe("Renée");
    await page.locator(".session-list .session-item").first().waitFor();
    expect(presented()).toBe(1);
    expect(await storedRefreshToken()).not.toBe(refreshBefore);
  });

  it("sends a session that cannot be renewed back to sign-in with a message", async () => {
    const email = uniqueEmail("expired");
    const user = await registerViaApi(baseUrl, { email, password: PASSWORD });
    await signIn(email, PASSWORD);

    // The session ended elsewhere (a password change, an administrator): the cookie is refused on load.
    await browser.context.addCookies([
      {
        name: "um_refresh",
        value: "revoked-or-expired",
        domain: new URL(baseUrl).hostname,
        path: "/v1/users/token/refresh",
      },
    ]);
    expect(user.id).toMatch(/-/);
    w.expectFailure("POST", "/v1/users/token/refresh", 401);
    await page.reload();
    await waitForPath("/sign-in");
    // back to the page once signed in again
    expect(new URL(page.url()).searchParams.get("next")).toBe("/profile");

    expect(await page.locator(".flash").textContent()).toBe(
      "Your session has expired, please sign in again.",
    );
    expect(await storedToken()).toBeNull();
    expect(await storedRefreshToken()).toBeNull();
    await screenshot(w, "session-expired");
  });

  it("signs out everywhere: another tab's session ends too", async () => {
    const email = uniqueEmail("everywhere");
    await registerViaApi(baseUrl, { email, password: PASSWORD });
    const other = await openDevice();
    try {
      // the other device signs in first
      await other.page.goto(`${baseUrl}/sign-in`);
      await other.page.getByLabel("Email").fill(email);
      await other.page.getByLabel("Password").fill(PASSWORD);
      await other.page.getByRole("button", { name: "Sign in", exact: true }).click();
      await other.page.locator('main[data-path="/profile"] h1').waitFor();

      await signIn(email, PASSWORD);
      await screenshot(w, "profile-security");
      await page.getByRole("button", { name: "Sign out everywhere" }).click();
      await waitForPath("/sign-in");
      expect(await page.locator(".flash").textContent()).toBe("You have signed out on every device.");
      expect(await storedToken()).toBeNull();
      expect(await storedRefreshToken()).toBeNull();

      // the other device's session cookie is refused when it next loads a page
      other.expectFailure("POST", "/v1/users/token/refresh", 401);
      await other.page.reload();
      await other.page.locator('main[data-path="/sign-in"] h1').waitFor();
      expect(await other.page.locator(".flash").textContent()).toBe(
        "Your session has expired, please sign in again.",
      );
      expect(other.problems).toEqual([]);
    } finally {
      await other.close();
    }
  });

  it("signs out, and then guards the account pages", async () => {
    const email = uniqueEmail("out");
    await registerViaApi(baseUrl, { email, password: PASSWORD });
    await signIn(email, PASSWORD);

    await page.getByRole("button", { name: "Sign out", exact: true }).click();
    await waitForPath("/sign-in");
    expect(await page.locator(".flash").textContent()).toBe("You have signed out.");
    expect(await storedToken()).toBeNull();
    expect(await storedRefreshToken()).toBeNull();

    await page.goto(`${baseUrl}/password`);
    await waitForPath("/sign-in");
    expect(await page.locator(".flash").textContent()).toBe("Please sign in to continue.");
  });

  it("tells a member that the users page is for administrators", async () => {
    const email = uniqueEmail("member");
    await registerViaApi(baseUrl, { email, password: PASSWORD });
    await signIn(email, PASSWORD);
    expect(await page.locator("#site-nav").textContent()).not.toContain("Users");
    await page.goto(`${baseUrl}/users`);
    await heading().filter({ hasText: "Not allowed" }).waitFor();
  });

  it("shows a page for an unknown address", async () => {
    await page.goto(`${baseUrl}/no/such/page`);
    expect(await heading().textContent()).toBe("Page not found");
    await screenshot(w, "not-found");
  });
});

// The mail round-trip itself is tested at the HTTP level (apps/api/src/routes/v1/users/recovery.test.ts).
describe("password reset and email verification pages", () => {
  it("forgot password: from sign-in, the same confirmation for any address", async () => {
    await page.goto(`${baseUrl}/sign-in`);
    await page.getByRole("link", { name: "Forgot password?" }).click();
    await page.waitForURL((url) => url.pathname === "/forgot-password");
    await page.getByLabel("Email").fill(uniqueEmail("nobody"));
    await page.getByRole("button", { name: "Send the link" }).click();
    const confirmation = page.locator(".status-message.is-success");
    await confirmation.waitFor();
    expect(await confirmation.textContent()).toMatch(/If an account uses this address/);
    await screenshot(w, "forgot-password");
  });

  it("a verification link with a bad token shows an error", async () => {
    w.expectFailure("POST", "/v1/users/verify-email", 400);
    await page.goto(`${baseUrl}/verify-email?token=not-a-real-token`);
    await page.getByRole("button", { name: "Confirm my email" }).click();
    const error = page.locator(".status-message.is-error");
    await error.waitFor();
    expect(await error.textContent()).toMatch(/invalid, expired or already used/);
    expect(await heading().textContent()).toBe("Confirm your email");
  });
});

describe("confirming an email address", () => {
  let server: RunningServer;
  let dataDir: string;
  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), "web-e2e-verify-"));
    // A server of its own, whose log holds the link it would have mailed (no SMTP in tests).
    server = await startServer({
      DATA_DIR: dataDir,
      BCRYPT_COST: "4",
      NODE_ENV: "test",
      JWT_SECRET: E2E_JWT_SECRET,
    });
  }, 60_000);
  afterAll(async () => {
    await server?.stop();
    await rm(dataDir, { recursive: true, force: true });
  });

  it("loading the link alone does not confirm; pressing the button does", async () => {
    const email = uniqueEmail("confirm");
    await registerViaApi(server.url, { email, password: PASSWORD });
    // The mail the server would have sent is a JSON log line carrying the link.
    const linkFor = () =>
      server
        .output()
        .split("\n")
        .filter((line) => line.startsWith("{"))
        .map((line) => JSON.parse(line) as { mail?: string; to?: string; link?: string })
        .find((line) => line.mail === "verify_email" && line.to === email)?.link;
    await expect.poll(linkFor, { timeout: 5000 }).toBeDefined();
    const token = new URL(linkFor() ?? "").searchParams.get("token");
    const verified = async () => {
      const login = await fetch(`${server.url}/v1/users/login`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ email, password: PASSWORD }),
      });
      const { access_token } = (await login.json()) as { access_token: string };
      const me = await fetch(`${server.url}/v1/users/me`, {
        headers: { authorization: `Bearer ${access_token}` },
      });
      return ((await me.json()) as { email_verified: boolean }).email_verified;
    };

    await page.goto(`${server.url}/verify-email?token=${token}`);
    const confirm = page.getByRole("button", { name: "Confirm my email" });
    await confirm.waitFor();
    await page.waitForLoadState("networkidle");
    expect(await verified()).toBe(false);

    await confirm.click();
    const success = page.locator(".status-message.is-success");
    await success.waitFor();
    expect(await success.textContent()).toBe("Your email address is confirmed.");
    expect(await verified()).toBe(true);
  });
});

describe("the whole account lifecycle", () => {
  it("register → sign in → profile → edit name → change password → sign out → sign in with the new password → delete → sign-in refused", async () => {
    const email = uniqueEmail("life");
    await page.goto(`${baseUrl}/register`);
    await page.getByLabel("Email").fill(email);
    await page.getByLabel("Full name").fill("Ada Byron");
    await page.getByLabel("Password", { exact: true }).fill(PASSWORD);
    await page.getByRole("button", { name: "Create account" }).click();
    await page.getByRole("button", { name: "Continue to sign in" }).click();
    await waitForPath("/sign-in");
    await page.getByLabel("Password").fill(PASSWORD);
    await page.getByRole("button", { name: "Sign in", exact: true }).click();
    await waitForPath("/profile");
    expect(await heading().textContent()).toBe("Ada Byron");

    // Edit the name.
    await page.getByLabel("Full name").fill("Ada Lovelace");
    await page.getByRole("button", { name: "Save changes" }).click();
    await page.locator(".form-success.is-visible").waitFor();
    expect(await page.locator(".form-success").textContent()).toBe("Your profile has been saved.");
    expect(await heading().textContent()).toBe("Ada Lovelace");
    await screenshot(w, "profile-saved");

    // Change the password: a wrong current password is shown next to its field, then the right one works.
    await page.getByRole("link", { name: "Change your password" }).click();
    await waitForPath("/password");
    await screenshot(w, "change-password");
    w.expectFailure("POST", "/v1/users/me/password", 401);
    await page.getByLabel("Current password").fill("not my password");
    await page.getByLabel("New password", { exact: true }).fill(NEW_PASSWORD);
    await page.getByLabel("Repeat the new password").fill(NEW_PASSWORD);
    await page.getByRole("button", { name: "Change password" }).click();
    await page.locator("[aria-invalid=true]").waitFor();
    expect(await fieldError("Current password")).not.toBe("");
    expect(path()).toBe("/password");
    await page.getByLabel("Current password").fill(PASSWORD);
    await page.getByRole("button", { name: "Change password" }).click();
    await waitForPath("/profile");
    expect(await page.locator(".flash").textContent()).toBe("Your password has been changed.");

    // Sign out, then back in with the new password.
    await page.getByRole("button", { name: "Sign out", exact: true }).click();
    await waitForPath("/sign-in");
    await signIn(email, NEW_PASSWORD);
    expect(await heading().textContent()).toBe("Ada Lovelace");

    // Delete, through the confirmation step.
    await page.getByRole("link", { name: "Delete your account" }).click();
    await waitForPath("/delete-account");
    await screenshot(w, "delete-account");
    await page.getByRole("button", { name: "Delete my account…" }).click();
    expect(await page.evaluate(() => document.activeElement?.textContent)).toBe("Are you sure?");
    expect(await page.getByRole("button", { name: "Delete my account…" }).isVisible()).toBe(false);
    await screenshot(w, "delete-account-confirm");
    await page.getByRole("button", { name: "Yes, delete my account" }).click();
    await waitForPath("/sign-in");
    expect(await page.locator(".flash").textContent()).toMatch(/account has been deleted/);
    expect(await storedToken()).toBeNull();

    // The account is gone: its credentials no longer work.
    w.expectFailure("POST", "/v1/users/login", 401);
    await page.getByLabel("Email").fill(email);
    await page.getByLabel("Password").fill(NEW_PASSWORD);
    await page.getByRole("button", { name: "Sign in", exact: true }).click();
    await formError().filter({ hasText: /./ }).waitFor();
    expect(await formError().textContent()).toBe("Incorrect email or password.");
  });
});

describe("the administrators' users table", () => {
  it("pages through accounts, deactivates one and deletes one", async () => {
    const tag = `page${Date.now()}`;
    const created = [];
    for (let i = 0; i < 11; i += 1) {
      created.push(
        await registerViaApi(baseUrl, {
          email: uniqueEmail(tag),
          password: PASSWORD,
          full_name: `User ${i}`,
        }),
      );
    }
    await signIn(ADMIN.email, ADMIN.password);
    await page.getByRole("link", { name: "Users" }).click();
    await waitForPath("/users");
    await page.locator(".users-table tbody tr").first().waitFor();
    expect(await page.locator(".users-table tbody tr").count()).toBe(10);
    const range = await page.locator(".pager-range").textContent();
    expect(range).toMatch(/^1–10 of \d+$/);
    await screenshot(w, "users");

    await page.getByRole("button", { name: "Next →" }).click();
    await page.waitForURL((url) => url.search === "?page=2");
    await page.locator(".pager-range").filter({ hasText: /^11–/ }).waitFor();

    // Act on an account created above, wherever it landed: find its row on page 1 or 2.
    const target = created[0];
    if (!target) throw new Error("no user created");
    // Other tests share the server, so the account may be on any page: walk them, each once rendered.
    let row = page.locator(".users-table tbody tr", { hasText: target.email });
    for (let pageNumber = 1; pageNumber <= 20; pageNumber += 1) {
      await page.goto(`${baseUrl}/users?page=${pageNumber}`);
      const first = (pageNumber - 1) * 10 + 1;
      await page
        .locator(".pager-range")
        .filter({ hasText: new RegExp(`^${first}–`) })
        .waitFor();
      row = page.locator(".users-table tbody tr", { hasText: target.email });
      if ((await row.count()) > 0) break;
    }
    await row.getByRole("button", { name: `Deactivate ${target.email}` }).click();
    await page.locator(".status-message.is-success").waitFor();
    expect(await row.locator(".pill").textContent()).toBe("Inactive");

    await row.getByRole("button", { name: `Delete ${target.email}` }).click();
    await row.getByRole("button", { name: `Confirm delete ${target.email}` }).click();
    await page.locator(".status-message", { hasText: "has been deleted" }).waitFor();
    expect(await page.locator(".users-table tbody tr", { hasText: target.email }).count()).toBe(0);
  });
});
