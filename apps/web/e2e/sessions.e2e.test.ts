/**
 * Sessions you can see and end, and the security log, in Debian's Chromium against the real server.
 * Two browsers are two signed-in "devices" (tabs of one browser share its session cookie); one of
 * them presents a Firefox user agent so the lists can tell them apart.
 */
import type { Page } from "playwright-core";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, inject, it } from "vitest";
import {
  type Browser,
  launchBrowser,
  openDevice,
  openPage,
  screenshot,
  type WatchedPage,
} from "./support/browser.js";
import { ADMIN, registerViaApi, uniqueEmail } from "./support/fixtures.js";

const baseUrl = inject("baseUrl");
const PASSWORD = "correct horse battery";
const FIREFOX_ON_WINDOWS = "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:133.0) Gecko/20100101 Firefox/133.0";

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

async function waitForPath(target: Page, expected: string): Promise<void> {
  await target.waitForURL((url) => url.pathname === expected);
  await target.locator(`main[data-path="${expected}"] h1`).waitFor();
}

/**
 * Runs an action that renders a new page inside the app (the URL changes before the page is drawn) and
 * waits for the new page, so no check reads the old one.
 */
async function rerendered(target: Page, action: () => Promise<void>): Promise<void> {
  await target
    .locator("main > *")
    .first()
    .evaluate((element) => element.setAttribute("data-stale", ""));
  await action();
  await target.locator("main > :not([data-stale]) h1").first().waitFor();
}

async function signIn(target: Page, email: string, password: string): Promise<void> {
  await target.goto(`${baseUrl}/sign-in`);
  await target.getByLabel("Email").fill(email);
  await target.getByLabel("Password").fill(password);
  await target.getByRole("button", { name: "Sign in", exact: true }).click();
  await waitForPath(target, "/profile");
}

async function apiLogin(email: string, password: string, userAgent = "e2e-script/1.0"): Promise<string> {
  const response = await fetch(`${baseUrl}/v1/users/login`, {
    method: "POST",
    headers: { "content-type": "application/json", "user-agent": userAgent },
    body: JSON.stringify({ email, password }),
  });
  if (response.status !== 200) throw new Error(`login failed: ${response.status} ${await response.text()}`);
  return ((await response.json()) as { access_token: string }).access_token;
}

async function meStatus(accessToken: string): Promise<number> {
  const response = await fetch(`${baseUrl}/v1/users/me`, {
    headers: { authorization: `Bearer ${accessToken}` },
  });
  await response.body?.cancel();
  return response.status;
}

const sessionItems = (target: Page) => target.locator(".session-list .session-item");
const activityItems = (target: Page) =>
  target.locator('section[aria-labelledby="activity-heading"] .event-list .event-item');

describe("where you're signed in", () => {
  it("lists both devices, signs the other one out, and that device's next call lands on sign-in", async () => {
    const email = uniqueEmail("devices");
    await registerViaApi(baseUrl, { email, password: PASSWORD });
    const other = await openDevice();
    try {
      const cdp = await other.context.newCDPSession(other.page);
      await cdp.send("Emulation.setUserAgentOverride", { userAgent: FIREFOX_ON_WINDOWS });
      // The access token is in the page's memory only: read it off the sign-in's response.
      const signedIn = other.page.waitForResponse(
        (response) => new URL(response.url()).pathname === "/v1/users/login" && response.status() === 200,
      );
      await signIn(other.page, email, PASSWORD);
      const othersToken = ((await (await signedIn).json()) as { access_token?: string }).access_token;
      if (!othersToken) throw new Error("the other device holds no access token");

      await signIn(page, email, PASSWORD);
      await expect.poll(() => sessionItems(page).count()).toBe(2);
      const current = sessionItems(page).filter({ hasText: "This device" });
      expect(await current.count()).toBe(1);
      // This browser's own session has no "Sign out" of its own (the header's button is for that).
      expect(await current.getByRole("button").count()).toBe(0);
      const firefox = sessionItems(page).filter({ hasText: "Firefox" });
      expect(await firefox.count()).toBe(1);
      expect(await firefox.locator(".badge").count()).toBe(0);
      expect(await firefox.textContent()).toContain(FIREFOX_ON_WINDOWS);
      expect(await firefox.locator(".session-meta").textContent()).toMatch(/IP \S+/);
      expect(await firefox.locator("time").first().textContent()).toMatch(/just now|minute/);

      // Both sign-ins are in the activity list, newest first, in words.
      await expect.poll(() => activityItems(page).count()).toBeGreaterThanOrEqual(3);
      expect(await activityItems(page).first().textContent()).toContain("Signed in");
      const labels = await activityItems(page).locator(".event-label").allTextContents();
      expect(labels.filter((label) => label === "Signed in")).toHaveLength(2);
      expect(labels).toContain("Account created");
      await screenshot(w, "profile-sessions");

      // Keyboard alone: the button is a real button, Enter presses it.
      const signOutOther = firefox.getByRole("button", { name: /^Sign out Firefox/ });
      await signOutOther.focus();
      await page.keyboard.press("Enter");
      await page.locator(".session-block .status-message.is-success", { hasText: "Signed out of" }).waitFor();
      expect(await sessionItems(page).count()).toBe(1);
      expect(await sessionItems(page).first().textContent()).toContain("This device");
      // Focus stays inside the list instead of falling back to the page.
      expect(await page.evaluate(() => document.activeElement?.classList.contains("session-list"))).toBe(
        true,
      );

      // The other tab's access token stopped working at once (not when it expires).
      expect(await meStatus(othersToken)).toBe(401);

      // Its next call (the profile loads its sessions and events) is refused, and so is its refresh.
      other.expectFailure("GET", "/v1/users/me/sessions", 401);
      other.expectFailure("GET", "/v1/users/me/events", 401);
      other.expectFailure("GET", "/v1/users/me/mfa", 401);
      other.expectFailure("GET", "/v1/users/me/passkeys", 401);
      other.expectFailure("GET", "/v1/users/me/identities", 401);
      other.expectFailure("POST", "/v1/users/token/refresh", 401);
      await other.page.getByRole("link", { name: "Profile" }).click();
      await waitForPath(other.page, "/sign-in");
      expect(await other.page.locator(".flash").textContent()).toBe(
        "Your session has expired, please sign in again.",
      );
      expect(other.problems).toEqual([]);

      // The sign-out is in this account's log.
      await page.reload();
      await waitForPath(page, "/profile");
      await expect.poll(() => activityItems(page).count()).toBeGreaterThanOrEqual(4);
      expect(await activityItems(page).first().locator(".event-label").textContent()).toBe(
        "Signed out of a session",
      );
    } finally {
      await other.close();
    }
  });

  it("signs out every other session at once and pages the activity with Load more", async () => {
    const email = uniqueEmail("others");
    await registerViaApi(baseUrl, { email, password: PASSWORD });
    const tokens: string[] = [];
    for (let i = 0; i < 11; i += 1) tokens.push(await apiLogin(email, PASSWORD));
    await signIn(page, email, PASSWORD);

    await expect.poll(() => sessionItems(page).count()).toBe(12);
    await page.getByRole("button", { name: "Sign out all other sessions" }).click();
    await page
      .locator(".session-block .status-message.is-success", { hasText: "Signed out of 11 other sessions." })
      .waitFor();
    expect(await sessionItems(page).count()).toBe(1);
    expect(await page.getByRole("button", { name: "Sign out all other sessions" }).isHidden()).toBe(true);
    for (const token of tokens) expect(await meStatus(token)).toBe(401);
    // This device is still signed in.
    await page.reload();
    await waitForPath(page, "/profile");

    // 1 registration + 12 sign-ins + 11 sign-outs: more than one page of 10.
    await expect.poll(() => activityItems(page).count()).toBe(10);
    const firstPage = await activityItems(page).evaluateAll((items) =>
      items.map((item) => item.getAttribute("data-event-type")),
    );
    expect(firstPage[0]).toBe("session.revoked");
    await page.getByRole("button", { name: "Load more" }).click();
    await expect.poll(() => activityItems(page).count()).toBe(20);
    await page
      .locator('section[aria-labelledby="activity-heading"] .status-message', {
        hasText: "10 more events loaded.",
      })
      .waitFor();
    // Keyboard users continue at the first new entry.
    expect(await page.evaluate(() => document.activeElement?.classList.contains("event-item"))).toBe(true);
    await page.getByRole("button", { name: "Load more" }).click();
    await expect.poll(() => activityItems(page).count()).toBe(24);
    expect(await page.getByRole("button", { name: "Load more" }).isHidden()).toBe(true);
    const types = await activityItems(page).evaluateAll((items) =>
      items.map((item) => item.getAttribute("data-event-type")),
    );
    expect(types.at(-1)).toBe("user.registered");
    expect(types.filter((type) => type === "login.succeeded")).toHaveLength(12);
  });
});

describe("the administrators' audit log and account page", () => {
  it("filters the audit log by account and type, pages forward and back, and opens the account", async () => {
    const email = uniqueEmail("audited");
    const user = await registerViaApi(baseUrl, { email, password: PASSWORD });
    for (let i = 0; i < 12; i += 1) await apiLogin(email, PASSWORD);
    // One failed attempt, which the type filter must leave out.
    await fetch(`${baseUrl}/v1/users/login`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ email, password: "not the password" }),
    }).then((response) => response.body?.cancel());

    await signIn(page, ADMIN.email, ADMIN.password);
    await page.getByRole("link", { name: "Audit log" }).click();
    await waitForPath(page, "/audit-log");
    await page.locator(".event-list .event-item").first().waitFor();

    await page.getByLabel("Account id", { exact: true }).fill(user.id);
    await page.getByLabel("Event type", { exact: true }).selectOption("login.succeeded");
    await page.getByLabel("Per page", { exact: true }).selectOption("10");
    await rerendered(page, () => page.getByRole("button", { name: "Apply filters" }).click());
    await page.waitForURL(
      (url) =>
        url.pathname === "/audit-log" &&
        url.searchParams.get("type") === "login.succeeded" &&
        url.searchParams.get("user_id") === user.id,
    );
    const rows = page.locator(".event-list .event-item");
    const ids = () => rows.evaluateAll((items) => items.map((item) => item.textContent ?? ""));
    await expect.poll(() => rows.count()).toBe(10);
    const types = () =>
      rows.evaluateAll((items) => items.map((item) => item.getAttribute("data-event-type")));
    expect(new Set(await types())).toEqual(new Set(["login.succeeded"]));
    expect(await rows.first().getByRole("link", { name: user.id }).count()).toBe(1);
    expect(await page.locator(".pager-range").textContent()).toBe("Page 1");
    expect(await page.getByRole("button", { name: "← Newer" }).isDisabled()).toBe(true);
    const firstPage = await ids();
    await screenshot(w, "audit-log");

    await page.getByRole("button", { name: "Older →" }).click();
    await page.locator(".pager-range", { hasText: "Page 2" }).waitFor();
    expect(await rows.count()).toBe(2);
    expect(new Set(await types())).toEqual(new Set(["login.succeeded"]));
    expect(await page.getByRole("button", { name: "Older →" }).isDisabled()).toBe(true);
    expect(await page.locator(".status-message").textContent()).toBe("Page 2 of the results.");

    await page.getByRole("button", { name: "← Newer" }).click();
    await page.locator(".pager-range", { hasText: "Page 1" }).waitFor();
    expect(await ids()).toEqual(firstPage);

    // A filter the browser can check never reaches the API.
    await page.getByLabel("Account id", { exact: true }).fill("not-an-id");
    await page.getByRole("button", { name: "Apply filters" }).click();
    expect(await page.getByLabel("Account id", { exact: true }).getAttribute("aria-invalid")).toBe("true");
    expect(new URL(page.url()).searchParams.get("user_id")).toBe(user.id);

    // The account's own page: its sessions (each can be ended) and its events.
    await rows.first().getByRole("link", { name: user.id }).click();
    await waitForPath(page, `/users/${user.id}`);
    expect(await page.locator("main h1").textContent()).toBe(email);
    await expect.poll(() => sessionItems(page).count()).toBe(12);
    const userEvents = page.locator('section[aria-labelledby="user-events-heading"] .event-item');
    await expect.poll(() => userEvents.count()).toBe(10);
    expect(await userEvents.first().getAttribute("data-event-type")).toBe("login.failed");
    expect(await userEvents.first().locator(".badge-warning").count()).toBe(1);
    await screenshot(w, "admin-user");

    await sessionItems(page)
      .first()
      .getByRole("button", { name: /^Sign out/ })
      .click();
    await page.locator(".session-block .status-message.is-success").waitFor();
    expect(await sessionItems(page).count()).toBe(11);
  });

  it("reaches an account's page from the users table, filters the log by time, and says so for an unknown account", async () => {
    const email = uniqueEmail("tablelink");
    const user = await registerViaApi(baseUrl, { email, password: PASSWORD });
    for (let i = 0; i < 3; i += 1) await apiLogin(email, PASSWORD);
    await signIn(page, ADMIN.email, ADMIN.password);
    await page.goto(`${baseUrl}/users`);
    await waitForPath(page, "/users");
    const firstLink = page.locator(".users-table a[href^='/users/']").first();
    const linkedEmail = await firstLink.textContent();
    await firstLink.click();
    await page.waitForURL((url) => /^\/users\/[0-9a-f-]{36}$/.test(url.pathname));
    await page.locator('main[data-path^="/users/"] h1').waitFor();
    expect(await page.locator("main .summary").textContent()).toContain(linkedEmail);
    await page.locator("section[aria-labelledby='user-sessions-heading']").waitFor();

    // The time range: from the year 2000 on finds sign-ins; from 2099, or until 2000, finds none.
    const rows = page.locator(".event-list .event-item");
    await page.goto(`${baseUrl}/audit-log?user_id=${user.id}&type=login.succeeded&since=2000-01-01T00:00`);
    await waitForPath(page, "/audit-log");
    await expect.poll(() => rows.count()).toBe(3);
    expect(await page.getByLabel("From", { exact: true }).inputValue()).toBe("2000-01-01T00:00");
    await page.getByLabel("From", { exact: true }).fill("2099-01-01T00:00");
    await rerendered(page, () => page.getByRole("button", { name: "Apply filters" }).click());
    await page.waitForURL((url) => url.searchParams.get("since") === "2099-01-01T00:00");
    await page.locator(".event-list .event-empty", { hasText: "No events match these filters." }).waitFor();
    await page.getByLabel("From", { exact: true }).fill("");
    await page.getByLabel("Until", { exact: true }).fill("2000-01-01T00:00");
    await rerendered(page, () => page.getByRole("button", { name: "Apply filters" }).click());
    await page.waitForURL((url) => url.searchParams.get("until") === "2000-01-01T00:00");
    await page.locator(".event-list .event-empty").waitFor();
    await rerendered(page, () => page.getByRole("button", { name: "Clear" }).click());
    await page.waitForURL((url) => url.pathname === "/audit-log" && url.search === "");
    expect(await page.getByLabel("Account id", { exact: true }).inputValue()).toBe("");
    await page.getByLabel("Until", { exact: true }).fill("2000-01-01T00:00");
    // A range that ends before it starts is refused in the browser, with the field marked.
    await page.getByLabel("From", { exact: true }).fill("2001-01-01T00:00");
    await page.getByRole("button", { name: "Apply filters" }).click();
    expect(await page.getByLabel("Until", { exact: true }).getAttribute("aria-invalid")).toBe("true");
    expect(new URL(page.url()).searchParams.get("since")).toBeNull();

    w.expectFailure("GET", "/v1/users/00000000-0000-4000-8000-000000000000", 404);
    await page.goto(`${baseUrl}/users/00000000-0000-4000-8000-000000000000`);
    await page.locator("main h1", { hasText: "No such account" }).waitFor();

    // A member is told the audit log is not for them.
    const memberEmail = uniqueEmail("member");
    await registerViaApi(baseUrl, { email: memberEmail, password: PASSWORD });
    const member = await openDevice();
    try {
      await signIn(member.page, memberEmail, PASSWORD);
      expect(await member.page.locator("#site-nav").textContent()).not.toContain("Audit log");
      await member.page.goto(`${baseUrl}/audit-log`);
      await member.page.locator("main h1", { hasText: "Not allowed" }).waitFor();
      expect(member.problems).toEqual([]);
    } finally {
      await member.close();
    }
  });
});
