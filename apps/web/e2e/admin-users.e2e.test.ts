/**
 * The administrators' users page in Chromium against the real server: search, status filter and sort
 * (kept in the address bar), promote/demote with the last-administrator refusal, Escape on a
 * confirmation, where focus lands after an action, and a layout that long names cannot widen.
 */
import type { Page } from "playwright-core";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, inject, it } from "vitest";
import { type Browser, launchBrowser, openPage, screenshot, type WatchedPage } from "./support/browser.js";
import { ADMIN, registerViaApi } from "./support/fixtures.js";

const baseUrl = inject("baseUrl");
const PASSWORD = "correct horse battery";

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

let runCounter = 0;
/** A prefix no other account on the shared server has. */
function freshTag(): string {
  runCounter += 1;
  return `adm${Date.now().toString(36)}${runCounter}`;
}

async function adminToken(): Promise<string> {
  const response = await fetch(`${baseUrl}/v1/users/login`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ email: ADMIN.email, password: ADMIN.password }),
  });
  expect(response.status).toBe(200);
  return ((await response.json()) as { access_token: string }).access_token;
}

async function patchUser(id: string, body: Record<string, unknown>): Promise<void> {
  const response = await fetch(`${baseUrl}/v1/users/${id}`, {
    method: "PATCH",
    headers: { authorization: `Bearer ${await adminToken()}`, "content-type": "application/json" },
    body: JSON.stringify(body),
  });
  expect(response.status).toBe(200);
}

async function signInAsAdmin(): Promise<void> {
  await page.goto(`${baseUrl}/sign-in`);
  await page.getByLabel("Email").fill(ADMIN.email);
  await page.getByLabel("Password").fill(ADMIN.password);
  await page.getByRole("button", { name: "Sign in", exact: true }).click();
  await page.waitForURL((url) => url.pathname === "/profile");
}

const rows = () => page.locator(".users-table tbody tr[data-user-id]");
const rowOf = (email: string) => page.locator(".users-table tbody tr", { hasText: email });
const statusMessage = () => page.locator(".status-message.is-visible");
const listedEmails = () => rows().locator(".cell-email a").allTextContents();

/** Opens the users page on a view and waits until its rows are on screen. */
async function openUsers(query = ""): Promise<void> {
  await page.goto(`${baseUrl}/users${query}`);
  await page
    .locator("main[data-path='/users'] .pager-range")
    .filter({ hasText: /of \d+$/ })
    .waitFor();
}

/** What has focus: its data-action, the id of its row, and its accessible text. */
function focused() {
  return page.evaluate(() => {
    const element = document.activeElement as HTMLElement | null;
    return {
      action: element?.dataset.action ?? null,
      userId: element?.closest("tr")?.dataset.userId ?? null,
      tag: element?.tagName.toLowerCase() ?? null,
      text: element?.textContent ?? null,
    };
  });
}

describe("the administrators' users page", () => {
  it("finds accounts by an email prefix, filters them by status and sorts them", async () => {
    const tag = freshTag();
    const [alpha, bravo, charlie] = [
      await registerViaApi(baseUrl, { email: `${tag}-alpha@example.com`, password: PASSWORD }),
      await registerViaApi(baseUrl, { email: `${tag}-bravo@example.com`, password: PASSWORD }),
      await registerViaApi(baseUrl, { email: `${tag}-charlie@example.com`, password: PASSWORD }),
    ];
    if (!alpha || !bravo || !charlie) throw new Error("registration failed");
    await patchUser(bravo.id, { is_active: false });
    await signInAsAdmin();
    await openUsers();

    // Case-insensitive, submitted with Enter like any search box.
    await page.getByLabel("Email starts with").fill(tag.toUpperCase());
    await page.getByLabel("Email starts with").press("Enter");
    await page.waitForURL((url) => url.searchParams.get("q") === tag.toUpperCase());
    await page
      .locator(".pager-range")
      .filter({ hasText: /^1–3 of 3$/ })
      .waitFor();
    expect(await listedEmails()).toEqual([alpha.email, bravo.email, charlie.email]);
    expect(await page.getByRole("columnheader", { name: "Email verified" }).count()).toBe(1);
    expect(await rowOf(alpha.email).locator(".cell-verified").textContent()).toBe("Not verified");

    await page.getByLabel("Status").selectOption("inactive");
    await page.getByRole("button", { name: "Search", exact: true }).click();
    await page
      .locator(".pager-range")
      .filter({ hasText: /^1–1 of 1$/ })
      .waitFor();
    expect(await listedEmails()).toEqual([bravo.email]);

    await page.getByLabel("Status").selectOption("all");
    await page.getByLabel("Sort by").selectOption("email:desc");
    await page.getByRole("button", { name: "Search", exact: true }).click();
    await page.waitForURL(
      (url) => url.searchParams.get("sort") === "email:desc" && !url.searchParams.has("status"),
    );
    await page
      .locator(".pager-range")
      .filter({ hasText: /^1–3 of 3$/ })
      .waitFor();
    expect(await listedEmails()).toEqual([charlie.email, bravo.email, alpha.email]);

    // The view is in the address bar: a reload shows the same list and the same controls.
    await page.reload();
    await page
      .locator(".pager-range")
      .filter({ hasText: /^1–3 of 3$/ })
      .waitFor();
    expect(await listedEmails()).toEqual([charlie.email, bravo.email, alpha.email]);
    expect(await page.getByLabel("Email starts with").inputValue()).toBe(tag.toUpperCase());
    expect(await page.getByLabel("Sort by").inputValue()).toBe("email:desc");

    await page.getByLabel("Email starts with").fill(`${tag}-zulu`);
    await page.getByLabel("Email starts with").press("Enter");
    await page.locator(".users-table tbody", { hasText: "No accounts match this search." }).waitFor();
    await screenshot(w, "users-search");

    await page.getByRole("button", { name: "Clear", exact: true }).click();
    await page.waitForURL((url) => url.pathname === "/users" && url.search === "");
    await expect.poll(() => page.getByLabel("Email starts with").inputValue()).toBe("");
  });

  it("promotes and demotes an account, with focus staying on the button", async () => {
    const tag = freshTag();
    const user = await registerViaApi(baseUrl, { email: `${tag}-promoted@example.com`, password: PASSWORD });
    await signInAsAdmin();
    await openUsers(`?q=${tag}`);
    const row = rowOf(user.email);

    await row.getByRole("button", { name: `Make administrator ${user.email}`, exact: true }).click();
    await statusMessage()
      .filter({ hasText: `${user.email} is now an administrator.` })
      .waitFor();
    expect(await row.locator("td[data-label='Role']").textContent()).toBe("Administrator");
    expect(await focused()).toMatchObject({ action: "toggle-admin", userId: user.id });
    expect((await focused()).text).toContain("Remove administrator");

    // The filter for administrators now lists the account.
    await openUsers(`?q=${tag}&status=admins`);
    expect(await listedEmails()).toEqual([user.email]);

    await rowOf(user.email)
      .getByRole("button", { name: `Remove administrator ${user.email}` })
      .click();
    await statusMessage()
      .filter({ hasText: `${user.email} is no longer an administrator.` })
      .waitFor();
    // The account left this filtered view, so focus goes to the message that says what happened.
    expect(await listedEmails()).toEqual([]);
    expect(await page.evaluate(() => document.activeElement?.classList.contains("status-message"))).toBe(
      true,
    );
    await openUsers(`?q=${tag}`);
    expect(await rowOf(user.email).locator("td[data-label='Role']").textContent()).toBe("Member");
  });

  it("refuses to let the last administrator step down, and says why", async () => {
    await signInAsAdmin();
    await openUsers(`?q=${encodeURIComponent(ADMIN.email)}`);
    const row = rowOf(ADMIN.email);
    const adminId = await row.getAttribute("data-user-id");
    await row.getByRole("button", { name: `Remove administrator ${ADMIN.email}` }).click();
    // Stepping down asks first; Escape backs out without a request.
    const confirm = row.getByRole("button", { name: `Confirm stepping down ${ADMIN.email}` });
    await confirm.waitFor();
    await page.keyboard.press("Escape");
    await row.getByRole("button", { name: `Remove administrator ${ADMIN.email}` }).waitFor();
    expect(await focused()).toMatchObject({ action: "toggle-admin", userId: adminId });

    w.expectFailure("PATCH", `/v1/users/${adminId}`, 409);
    await row.getByRole("button", { name: `Remove administrator ${ADMIN.email}` }).click();
    await confirm.click();
    await statusMessage().filter({ hasText: "last active administrator" }).waitFor();
    expect(await statusMessage().getAttribute("class")).toContain("is-error");
    expect(await focused()).toMatchObject({ action: "toggle-admin", userId: adminId });
    expect(await row.locator("td[data-label='Role']").textContent()).toBe("Administrator");
    expect(new URL(page.url()).pathname).toBe("/users");
  });

  it("cancels a delete with Escape, names the confirmation as it reads, and keeps focus in the table", async () => {
    const tag = freshTag();
    const first = await registerViaApi(baseUrl, { email: `${tag}-first@example.com`, password: PASSWORD });
    const second = await registerViaApi(baseUrl, { email: `${tag}-second@example.com`, password: PASSWORD });
    await signInAsAdmin();
    await openUsers(`?q=${tag}`);
    const row = rowOf(first.email);

    await row.getByRole("button", { name: `Delete ${first.email}`, exact: true }).click();
    const confirm = row.getByRole("button", { name: `Confirm delete ${first.email}`, exact: true });
    await confirm.waitFor();
    // Its accessible name starts with the words on it (WCAG 2.5.3, label in name).
    expect(await confirm.evaluate((element) => element.firstChild?.textContent)).toBe("Confirm delete");
    expect(await confirm.locator(".visually-hidden").textContent()).toBe(` ${first.email}`);
    expect(await focused()).toMatchObject({ action: "delete", userId: first.id });

    await page.keyboard.press("Escape");
    await row.getByRole("button", { name: `Delete ${first.email}`, exact: true }).waitFor();
    expect(await confirm.count()).toBe(0);
    expect(await focused()).toMatchObject({ action: "delete", userId: first.id });

    await page.keyboard.press("Enter");
    await page.keyboard.press("Enter");
    await statusMessage()
      .filter({ hasText: `${first.email} has been deleted.` })
      .waitFor();
    expect(await listedEmails()).toEqual([second.email]);
    // The row that took its place gets focus, not the top of the page.
    expect(await focused()).toMatchObject({ tag: "a", userId: second.id });
  });

  it("keeps a long name without spaces inside the page, and wraps emails between their parts", async () => {
    const tag = freshTag();
    const user = await registerViaApi(baseUrl, {
      email: `${tag}${"longlocalpart".repeat(3)}@sub.example.com`,
      password: PASSWORD,
      full_name: "W".repeat(255),
    });
    await signInAsAdmin();
    await openUsers(`?q=${tag}`);
    const emailLink = rowOf(user.email).locator(".cell-email a");
    expect(await emailLink.locator("wbr").count()).toBe(3);
    expect(await emailLink.evaluate((element) => getComputedStyle(element).overflowWrap)).toBe("break-word");
    // Each part between two break opportunities stays on one line: no break falls inside a word.
    const linesPerPart = await emailLink.evaluate((element) =>
      [...element.childNodes]
        .filter((node) => node.nodeType === Node.TEXT_NODE)
        .map((node) => {
          const range = document.createRange();
          range.selectNodeContents(node);
          return new Set([...range.getClientRects()].map((rect) => Math.round(rect.top))).size;
        }),
    );
    expect(linesPerPart).toEqual([1, 1, 1, 1]);
    // screenshot() records a page wider than the viewport, at 1280 and 360 px, as a problem.
    await screenshot(w, "users-long-name");
  });
});
