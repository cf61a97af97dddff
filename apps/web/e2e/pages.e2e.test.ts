/**
 * Every page and state the web app can show, audited by axe-core in the light and the dark colour scheme
 * (zero violations), the README's screenshots taken on the way (docs/screenshots/), and the sign-up and
 * sign-in flows done with the keyboard alone. One browser, one tab per test, the same watchers as the
 * other files (console errors, CSP violations, unexpected failed requests fail the test).
 */
import { decodeBase32IgnorePadding } from "@oslojs/encoding";
import { generateHOTP } from "@oslojs/otp";
import type { Page } from "playwright-core";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, inject, it } from "vitest";
import { axeViolations, axeViolationsInBothSchemes } from "./support/axe.js";
import {
  type Browser,
  launchBrowser,
  openPage,
  sectionsLoaded,
  type WatchedPage,
} from "./support/browser.js";
import { ADMIN, registerViaApi, uniqueEmail } from "./support/fixtures.js";
import { writeReadmeScreenshots } from "./support/readme-screenshots.js";

const baseUrl = inject("baseUrl");
const PASSWORD = "correct horse battery";
// Fixed names and addresses: they appear in the README's screenshots.
const SCREENSHOT_USER = { email: "ada.lovelace@example.com", fullName: "Ada Lovelace" } as const;
const MEMBER = { email: "alan.turing@example.com", fullName: "Alan Turing" } as const;

let browser: Browser;
let w: WatchedPage;
let page: Page;
let found: string[];

beforeAll(async () => {
  browser = await launchBrowser();
});
afterAll(async () => {
  await browser?.close();
});
beforeEach(async () => {
  w = await openPage(browser);
  page = w.page;
  found = [];
});
afterEach(async () => {
  const problems = [...w.problems];
  await w.close();
  expect(problems).toEqual([]);
});

async function shown(path: string): Promise<void> {
  // The new page's element (rendered after the URL changed, maybe after loading the user), then the URL.
  await page.locator(`main[data-path="${path}"] h1`).waitFor();
  expect(new URL(page.url()).pathname).toBe(path);
}

async function audit(state: string): Promise<void> {
  found.push(...(await axeViolationsInBothSchemes(page, state)));
}

const focusedId = () => page.evaluate(() => document.activeElement?.id ?? "");

async function signIn(email: string, password: string): Promise<void> {
  await page.goto(`${baseUrl}/sign-in`);
  await shown("/sign-in");
  await page.getByLabel("Email").fill(email);
  await page.getByLabel("Password", { exact: true }).fill(password);
  await page.getByRole("button", { name: "Sign in", exact: true }).click();
}

async function signOut(): Promise<void> {
  await sectionsLoaded(page);
  await page.getByRole("button", { name: "Sign out", exact: true }).click();
  await shown("/sign-in");
}

function totpCode(secret: string, stepsAhead = 0): string {
  const counter = BigInt(Math.floor(Date.now() / 1000 / 30) + stepsAhead);
  return generateHOTP(decodeBase32IgnorePadding(secret), counter, 6);
}

describe("signed-out pages", () => {
  it("have zero axe violations in both schemes, in every state, and are screenshotted", async () => {
    await page.goto(`${baseUrl}/sign-in`);
    await shown("/sign-in");
    expect(await page.locator(".site-header").isVisible()).toBe(false);
    expect(await page.locator("#sign-in-password").getAttribute("autocomplete")).toBe("current-password");
    expect(await page.locator("#sign-in-email").getAttribute("autocomplete")).toBe("username webauthn");
    expect(await page.locator("#sign-in-email").getAttribute("required")).toBe("");
    await audit("sign-in");
    await writeReadmeScreenshots(page, "sign-in");

    // The show-password toggle.
    await page.getByLabel("Password", { exact: true }).fill("not the password");
    await page.getByRole("button", { name: "Show password" }).click();
    expect(await page.locator("#sign-in-password").getAttribute("type")).toBe("text");
    await audit("sign-in, password shown");
    await page.getByRole("button", { name: "Hide password" }).click();
    expect(await page.locator("#sign-in-password").getAttribute("type")).toBe("password");

    // A wrong password: announced, emptied, and the focus waits in the password field.
    w.expectFailure("POST", "/v1/users/login", 401);
    await page.getByLabel("Email").fill(ADMIN.email);
    await page.getByRole("button", { name: "Sign in", exact: true }).click();
    const formError = page.locator("#sign-in-error.is-visible");
    await formError.waitFor();
    expect(await formError.getAttribute("aria-live")).toBe("polite");
    expect(await page.getByLabel("Password", { exact: true }).inputValue()).toBe("");
    expect(await focusedId()).toBe("sign-in-password");
    await audit("sign-in, wrong password");

    await page.getByRole("link", { name: "Create an account" }).click();
    await shown("/register");
    await audit("register");
    await writeReadmeScreenshots(page, "register");
    await page.getByRole("button", { name: "Create account" }).click();
    await page.locator("#register-error.is-visible").waitFor();
    await audit("register, invalid fields");

    await page.getByLabel("Email").fill(SCREENSHOT_USER.email);
    await page.getByLabel("Full name").fill(SCREENSHOT_USER.fullName);
    await page.getByLabel("Password", { exact: true }).fill(PASSWORD);
    await page.getByRole("button", { name: "Create account" }).click();
    await page.getByRole("heading", { name: "Check your inbox" }).waitFor();
    expect(await page.locator("main").textContent()).toContain(SCREENSHOT_USER.email);
    const resend = page.locator(".resend button");
    expect(await resend.isDisabled()).toBe(true);
    expect(await resend.textContent()).toBe("Resend the email in 30 s");
    await audit("check your inbox");
    await writeReadmeScreenshots(page, "check-inbox");
    // It counts down by itself (the send it guards is exercised from the profile page below).
    await expect.poll(() => resend.textContent()).toMatch(/^Resend the email in 2\d s$/);

    await page.getByRole("button", { name: "Continue to sign in" }).click();
    await shown("/sign-in");
    expect(await page.getByLabel("Email").inputValue()).toBe(SCREENSHOT_USER.email);
    // The flash is spoken by a live region that was in the page before it.
    await expect.poll(() => page.locator("#announcer").textContent()).toMatch(/account is ready/);
    await audit("sign-in, with a flash");

    await page.getByRole("link", { name: "Forgot password?" }).click();
    await shown("/forgot-password");
    await audit("forgot password");
    let resetRequests = 0;
    page.on("request", (request) => {
      if (new URL(request.url()).pathname === "/v1/users/password-reset") resetRequests += 1;
    });
    await page.getByLabel("Email").fill(SCREENSHOT_USER.email);
    await page.getByRole("button", { name: "Send the link" }).click();
    await page.locator(".status-message.is-success").waitFor();
    // `hidden` wins over the form's display:flex, and nothing is left to click twice.
    expect(await page.locator("#forgot-password").isVisible()).toBe(false);
    expect(await page.getByRole("button", { name: "Send the link" }).count()).toBe(0);
    expect(resetRequests).toBe(1);
    await audit("forgot password, sent");

    await page.goto(`${baseUrl}/reset-password?token=not-a-real-token`);
    await shown("/reset-password");
    await audit("reset password");
    await page.goto(`${baseUrl}/reset-password`);
    await shown("/reset-password");
    await audit("reset password, no token");

    w.expectFailure("POST", "/v1/users/verify-email", 400);
    await page.goto(`${baseUrl}/verify-email?token=not-a-real-token`);
    await shown("/verify-email");
    await audit("verify email");
    await page.getByRole("button", { name: "Confirm my email" }).click();
    await page.locator(".status-message.is-error").waitFor();
    await audit("verify email, bad link");

    await page.goto(`${baseUrl}/no/such/page`);
    await shown("/no/such/page");
    await page.getByRole("link", { name: "Go to sign in" }).waitFor();
    await audit("not found, signed out");

    expect(found).toEqual([]);
  });
});

describe("signed-in pages", () => {
  it("have zero axe violations in both schemes: profile, password, delete, two-factor set-up and sign-in, loading, error, 404, admin", async () => {
    const member = await registerViaApi(baseUrl, {
      email: MEMBER.email,
      password: PASSWORD,
      full_name: MEMBER.fullName,
    });
    await signIn(MEMBER.email, PASSWORD);
    await shown("/profile");
    expect(await page.locator(".site-header").isVisible()).toBe(true);
    await audit("profile");
    await writeReadmeScreenshots(page, "profile");

    // A new verification link, then a countdown before the next one.
    const resend = page.locator(".verification-notice .resend button");
    await resend.click();
    await page.locator(".verification-notice .status-message.is-success").waitFor();
    expect(await resend.isDisabled()).toBe(true);
    expect(await resend.textContent()).toMatch(/^Resend the verification email in \d+ s$/);
    await audit("profile, verification email sent again");

    // A save rebuilds the navigation; the current page keeps its highlight. A name without spaces wraps
    // instead of widening the page on a phone.
    await page.getByLabel("Full name").fill("Alan".repeat(60));
    await page.getByRole("button", { name: "Save changes" }).click();
    await page.locator("#profile .form-success.is-visible").waitFor();
    expect(await page.getByRole("link", { name: "Profile", exact: true }).getAttribute("aria-current")).toBe(
      "page",
    );
    await page.setViewportSize({ width: 375, height: 740 });
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(375);
    await page.setViewportSize({ width: 1280, height: 800 });
    await page.getByLabel("Full name").fill(MEMBER.fullName);
    await page.getByRole("button", { name: "Save changes" }).click();
    await page.locator("#profile .form-success.is-visible").waitFor();

    // Two-factor set-up, each step.
    const mfaCard = page.locator("#two-factor");
    await mfaCard.getByRole("button", { name: "Set up an authenticator app" }).click();
    await audit("profile, two-factor password prompt");
    await mfaCard.getByLabel("Current password").fill(PASSWORD);
    await mfaCard.getByRole("button", { name: "Continue" }).click();
    await mfaCard.locator("img.qr-code").waitFor();
    await audit("profile, two-factor QR code");
    const secret = ((await mfaCard.locator(".totp-secret").textContent()) ?? "").replaceAll(" ", "");
    await mfaCard.getByLabel("Code from the app").fill(totpCode(secret));
    await mfaCard.getByRole("button", { name: "Turn on" }).click();
    await mfaCard.locator(".recovery-codes li").first().waitFor();
    await audit("profile, recovery codes");
    await mfaCard.getByRole("button", { name: "I have saved my codes" }).click();

    await page.getByRole("link", { name: "Password", exact: true }).click();
    await shown("/password");
    await audit("change password");
    await page.goto(`${baseUrl}/delete-account`);
    await shown("/delete-account");
    await page.getByRole("button", { name: "Delete my account…" }).click();
    await audit("delete account, confirming");
    await page.getByRole("button", { name: "Cancel" }).click();

    await page.goto(`${baseUrl}/nowhere`);
    await shown("/nowhere");
    await page.getByRole("link", { name: "Go to your profile" }).waitFor();
    await audit("not found, signed in");
    await page.goto(`${baseUrl}/users`);
    await shown("/users");
    await audit("not allowed");

    // A cold load of a protected page shows that it is loading, never a blank page.
    let release: () => void = () => {};
    const held = new Promise<void>((resolve) => {
      release = resolve;
    });
    await page.route("**/v1/users/me", async (route) => {
      await held;
      await route.continue();
    });
    await page.goto(`${baseUrl}/profile`);
    const loading = page.locator("main[aria-busy=true] .page-loading");
    await loading.waitFor();
    found.push(...(await axeViolations(page, "loading")));
    release();
    await shown("/profile");
    await page.unroute("**/v1/users/me");

    // The profile cannot be loaded: the error page still lets the person sign out.
    await page.route("**/v1/users/me", (route) =>
      route.fulfill({
        status: 503,
        contentType: "application/problem+json",
        body: JSON.stringify({ type: "about:blank", title: "Service Unavailable", status: 503 }),
      }),
    );
    w.expectFailure("GET", "/v1/users/me", 503);
    await page.goto(`${baseUrl}/password`);
    await page.getByRole("heading", { name: "This page could not be loaded" }).waitFor();
    await audit("error page");
    await page.unroute("**/v1/users/me");
    await signOut();
    // Chromium logs the 503 it was told to expect; that line is this test's doing.
    w.problems.splice(0, w.problems.length, ...w.problems.filter((p) => !/status of 503/.test(p)));

    // The second step of a sign-in, both kinds of code.
    w.expectFailure("POST", "/v1/users/login", 403);
    await signIn(MEMBER.email, PASSWORD);
    await page.getByRole("heading", { name: "Two-factor authentication" }).waitFor();
    expect(await page.getByLabel("Authentication code").getAttribute("autocomplete")).toBe("one-time-code");
    await audit("two-factor step");
    await writeReadmeScreenshots(page, "two-factor");
    await page.getByRole("button", { name: "Use a recovery code" }).click();
    await audit("two-factor step, recovery code");
    await page.getByRole("button", { name: "Use your authenticator app" }).click();
    await page.getByLabel("Authentication code").fill(totpCode(secret, 1));
    await page.getByRole("button", { name: "Verify" }).click();
    await shown("/profile");
    await audit("profile, two-factor on");
    await signOut();

    // The administrators' pages.
    await signIn(ADMIN.email, ADMIN.password);
    await shown("/profile");
    await page.getByRole("link", { name: "Users" }).click();
    await shown("/users");
    await page.locator("table").waitFor();
    await audit("users");
    // Other files' accounts may push this one off the table's first page: open it by its id.
    await page.goto(`${baseUrl}/users/${member.id}`);
    await shown(`/users/${member.id}`);
    await audit("account page");
    await page.getByRole("link", { name: "Audit log" }).click();
    await shown("/audit-log");
    await page.locator(".event-list, .event-empty").first().waitFor();
    await audit("audit log");

    expect(found).toEqual([]);
  });
});

describe("the keyboard alone", () => {
  it("registers, goes on to sign in, and signs in, without a pointer", async () => {
    const email = uniqueEmail("keyboard");
    const focusedName = () => page.evaluate(() => document.activeElement?.getAttribute("name"));
    await page.goto(`${baseUrl}/register`);
    await shown("/register");
    await page.keyboard.press("Tab");
    expect(await focusedName()).toBe("email");
    await page.keyboard.type(email);
    await page.keyboard.press("Tab");
    expect(await focusedName()).toBe("full_name");
    await page.keyboard.type("Kay Board");
    await page.keyboard.press("Tab");
    expect(await focusedName()).toBe("password");
    await page.keyboard.type(PASSWORD);
    await page.keyboard.press("Enter");
    await page.getByRole("heading", { name: "Check your inbox" }).waitFor();
    // The heading has the focus; the next stop is the way on.
    await page.keyboard.press("Tab");
    expect(await page.evaluate(() => document.activeElement?.textContent)).toBe("Continue to sign in");
    await page.keyboard.press("Enter");
    await shown("/sign-in");

    await page.keyboard.press("Tab");
    expect(await focusedName()).toBe("email");
    await page.keyboard.press("Tab");
    expect(await focusedName()).toBe("password");
    w.expectFailure("POST", "/v1/users/login", 401);
    await page.keyboard.type("not the password");
    await page.keyboard.press("Enter");
    await page.locator("#sign-in-error.is-visible").waitFor();
    expect(await focusedName()).toBe("password");
    await page.keyboard.type(PASSWORD);
    await page.keyboard.press("Enter");
    await shown("/profile");
    expect(await page.locator(".summary").textContent()).toContain(email);
  });
});
