/**
 * Two-factor authentication and passkeys in Debian's Chromium against the real server: an authenticator
 * app set up from the page (codes computed here from the secret the page shows, with the server's TOTP
 * library), the second sign-in step, recovery codes, passkeys on Chromium's virtual authenticator
 * (CDP WebAuthn domain), and the administrators' reset. Every test fails on a console error, a CSP
 * violation or an unexpected failed request.
 */
import { decodeBase32IgnorePadding } from "@oslojs/encoding";
import { generateHOTP } from "@oslojs/otp";
import type { Page } from "playwright-core";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, inject, it } from "vitest";
import {
  type Browser,
  launchBrowser,
  openPage,
  refreshCookie,
  screenshot,
  sectionsLoaded,
  type WatchedPage,
} from "./support/browser.js";
import { ADMIN, registerViaApi, uniqueEmail } from "./support/fixtures.js";

const baseUrl = inject("baseUrl");
const passkeyBaseUrl = inject("passkeyBaseUrl");
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

/** The code an authenticator app shows `stepsAhead` 30-second steps from now (the server accepts ±1). */
function totpCode(secret: string, stepsAhead = 0): string {
  const counter = BigInt(Math.floor(Date.now() / 1000 / 30) + stepsAhead);
  return generateHOTP(decodeBase32IgnorePadding(secret), counter, 6);
}

const path = () => new URL(page.url()).pathname;

async function waitForPath(expected: string): Promise<void> {
  await page.waitForURL((url) => url.pathname === expected);
  await page.locator(`main[data-path="${expected}"] h1`).waitFor();
}

async function submitPassword(origin: string, email: string, password: string): Promise<void> {
  await page.goto(`${origin}/sign-in`);
  await page.getByLabel("Email").fill(email);
  await page.getByLabel("Password").fill(password);
  await page.getByRole("button", { name: "Sign in", exact: true }).click();
}

async function signOut(): Promise<void> {
  await sectionsLoaded(page);
  await page.getByRole("button", { name: "Sign out", exact: true }).click();
  await waitForPath("/sign-in");
}

const mfaCard = () => page.locator("#two-factor");
const passkeysCard = () => page.locator("#passkeys");

/** The codes of the panel that shows a new set, once. */
async function shownRecoveryCodes(): Promise<string[]> {
  await page.locator(".recovery-codes li").first().waitFor();
  return page.locator(".recovery-codes li").allTextContents();
}

async function confirmPassword(password: string, submit: string): Promise<void> {
  await mfaCard().getByLabel("Current password").fill(password);
  await mfaCard().getByRole("button", { name: submit }).click();
}

describe("two-factor authentication with an authenticator app", () => {
  it("sets up with the QR code, signs in with a code and a recovery code, makes new codes and turns off", async () => {
    const email = uniqueEmail("totp");
    await registerViaApi(baseUrl, { email, password: PASSWORD });
    await browser.context.grantPermissions(["clipboard-read", "clipboard-write"], { origin: baseUrl });
    await submitPassword(baseUrl, email, PASSWORD);
    await waitForPath("/profile");
    await mfaCard().getByText("Off").waitFor();

    // A wrong password first: the field says so and the session survives.
    await mfaCard().getByRole("button", { name: "Set up an authenticator app" }).click();
    w.expectFailure("POST", "/v1/users/me/mfa/totp/setup", 401);
    await confirmPassword("not my password", "Continue");
    await mfaCard().locator(".field-error").filter({ hasText: /./ }).waitFor();
    await confirmPassword(PASSWORD, "Continue");

    const qr = mfaCard().locator("img.qr-code");
    await qr.waitFor();
    expect(await qr.getAttribute("src")).toMatch(/^data:image\/svg\+xml;charset=utf-8,%3Csvg/);
    // The image decoded and laid out: a broken data: URL would have no natural size.
    expect(await qr.evaluate((image: HTMLImageElement) => image.complete && image.naturalWidth > 0)).toBe(
      true,
    );
    const shownSecret = (await mfaCard().locator(".totp-secret").textContent()) ?? "";
    expect(shownSecret).toMatch(/^[A-Z2-7]{4}( [A-Z2-7]{1,4})+$/);
    const secret = shownSecret.replaceAll(" ", "");
    await screenshot(w, "mfa-setup");

    w.expectFailure("POST", "/v1/users/me/mfa/totp/confirm", 422);
    // A code that no step within the server's ±1 window (nor the next one, used below) produces.
    const accepted = [-1, 0, 1, 2].map((steps) => totpCode(secret, steps));
    const wrong =
      ["000000", "111111", "222222", "333333", "444444"].find((code) => !accepted.includes(code)) ?? "";
    await mfaCard().getByLabel("Code from the app").fill(wrong);
    await mfaCard().getByRole("button", { name: "Turn on" }).click();
    await mfaCard().locator(".field-error, .form-error").filter({ hasText: /./ }).first().waitFor();
    await mfaCard().getByLabel("Code from the app").fill(totpCode(secret));
    await mfaCard().getByRole("button", { name: "Turn on" }).click();

    const codes = await shownRecoveryCodes();
    expect(codes).toHaveLength(10);
    expect(new Set(codes).size).toBe(10);
    await screenshot(w, "mfa-recovery-codes");

    await mfaCard().getByRole("button", { name: "Copy codes" }).click();
    await mfaCard().getByText("The codes are on your clipboard.").waitFor();
    expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(codes.join("\n"));

    const [download] = await Promise.all([
      page.waitForEvent("download"),
      mfaCard().getByRole("link", { name: "Download codes" }).click(),
    ]);
    expect(download.suggestedFilename()).toMatch(/^recovery-codes-.*\.txt$/);
    const file = await readDownload(download);
    for (const code of codes) expect(file).toContain(`\n${code}\n`);

    await mfaCard().getByRole("button", { name: "I have saved my codes" }).click();
    await mfaCard().getByText("10 of 10 recovery codes left.").waitFor();

    // The second step: a wrong code, then the right one (the next step's: the confirming one is spent).
    await signOut();
    w.expectFailure("POST", "/v1/users/login", 403);
    await submitPassword(baseUrl, email, PASSWORD);
    await page.getByRole("heading", { name: "Two-factor authentication" }).waitFor();
    // no session yet: the cookie comes with the second factor
    expect(await refreshCookie(browser.context, baseUrl)).toBeUndefined();
    await screenshot(w, "sign-in-second-factor");
    w.expectFailure("POST", "/v1/users/login/mfa", 401);
    await page.getByLabel("Authentication code").fill(wrong);
    await page.getByRole("button", { name: "Verify" }).click();
    await page
      .locator(".field-error")
      .filter({ hasText: /incorrect|used/i })
      .waitFor();
    await page.getByLabel("Authentication code").fill(totpCode(secret, 1));
    await page.getByRole("button", { name: "Verify" }).click();
    await waitForPath("/profile");

    // A recovery code signs in once.
    await signOut();
    w.expectFailure("POST", "/v1/users/login", 403);
    await submitPassword(baseUrl, email, PASSWORD);
    await page.getByRole("button", { name: "Use a recovery code" }).click();
    await page.getByLabel("Recovery code").fill(codes[3] ?? "");
    await page.getByRole("button", { name: "Verify" }).click();
    await waitForPath("/profile");
    await mfaCard().getByText("9 of 10 recovery codes left.").waitFor();

    // A new set voids the old one.
    await mfaCard().getByRole("button", { name: "New recovery codes" }).click();
    await confirmPassword(PASSWORD, "Make new codes");
    const fresh = await shownRecoveryCodes();
    expect(fresh).toHaveLength(10);
    expect(fresh.filter((code) => codes.includes(code))).toEqual([]);
    await mfaCard().getByRole("button", { name: "I have saved my codes" }).click();
    await mfaCard().getByText("10 of 10 recovery codes left.").waitFor();

    await signOut();
    w.expectFailure("POST", "/v1/users/login", 403);
    w.expectFailure("POST", "/v1/users/login/mfa", 401);
    await submitPassword(baseUrl, email, PASSWORD);
    await page.getByRole("button", { name: "Use a recovery code" }).click();
    await page.getByLabel("Recovery code").fill(codes[4] ?? "");
    await page.getByRole("button", { name: "Verify" }).click();
    await page.locator(".field-error").filter({ hasText: /./ }).waitFor();
    await page.getByLabel("Recovery code").fill(fresh[0] ?? "");
    await page.getByRole("button", { name: "Verify" }).click();
    await waitForPath("/profile");

    // A new password: the page cannot finish the sign-in alone, so the sign-in page asks for the factor.
    await page.goto(`${baseUrl}/password`);
    await waitForPath("/password");
    await page.getByLabel("Current password").fill(PASSWORD);
    await page.getByLabel("New password", { exact: true }).fill(NEW_PASSWORD);
    await page.getByLabel("Repeat the new password").fill(NEW_PASSWORD);
    w.expectFailure("POST", "/v1/users/login", 403);
    await page.getByRole("button", { name: "Change password" }).click();
    await waitForPath("/sign-in");
    expect(await page.locator(".flash").textContent()).toMatch(/password has been changed/);
    w.expectFailure("POST", "/v1/users/login", 403);
    await page.getByLabel("Password").fill(NEW_PASSWORD);
    await page.getByRole("button", { name: "Sign in", exact: true }).click();
    await page.getByRole("button", { name: "Use a recovery code" }).click();
    await page.getByLabel("Recovery code").fill(fresh[1] ?? "");
    await page.getByRole("button", { name: "Verify" }).click();
    await waitForPath("/profile");

    // Off again, with the password: the next sign-in needs the password alone.
    await mfaCard().getByRole("button", { name: "Turn off" }).click();
    await confirmPassword(NEW_PASSWORD, "Turn off two-factor authentication");
    await mfaCard().getByRole("button", { name: "Set up an authenticator app" }).waitFor();
    await signOut();
    await submitPassword(baseUrl, email, NEW_PASSWORD);
    await waitForPath("/profile");
  });

  it("sends a sign-in whose mfa_token died after five wrong codes back to the password", async () => {
    const email = uniqueEmail("totp-dead");
    await registerViaApi(baseUrl, { email, password: PASSWORD });
    const token = await passwordToken(email);
    const { secret } = await api<{ secret: string }>(token, "POST", "/v1/users/me/mfa/totp/setup", {
      current_password: PASSWORD,
    });
    await api(token, "POST", "/v1/users/me/mfa/totp/confirm", { code: totpCode(secret) });
    const accepted = [-1, 0, 1, 2].map((steps) => totpCode(secret, steps));
    const wrong =
      ["000000", "111111", "222222", "333333", "444444"].find((code) => !accepted.includes(code)) ?? "";

    w.expectFailure("POST", "/v1/users/login", 403);
    await submitPassword(baseUrl, email, PASSWORD);
    const codeField = page.getByLabel("Authentication code");
    for (let attempt = 1; attempt <= 5; attempt += 1) {
      w.expectFailure("POST", "/v1/users/login/mfa", 401);
      await codeField.fill(wrong);
      await page.getByRole("button", { name: "Verify" }).click();
      await page
        .locator(".field-error")
        .filter({ hasText: /incorrect|used/i })
        .waitFor();
      await codeField.fill("");
    }
    // The sixth try meets a dead token, even with the right code.
    w.expectFailure("POST", "/v1/users/login/mfa", 401);
    await codeField.fill(totpCode(secret, 1));
    await page.getByRole("button", { name: "Verify" }).click();
    await page.getByRole("heading", { name: "Sign in" }).waitFor();
    expect(await page.locator("form .form-error").textContent()).toBe(
      "This sign-in has expired. Please enter your password again.",
    );
    expect(await page.getByLabel("Email").inputValue()).toBe(email);
    expect(await page.getByLabel("Password").inputValue()).toBe("");
    expect(path()).toBe("/sign-in");
  });
});

async function readDownload(download: {
  createReadStream(): Promise<NodeJS.ReadableStream>;
}): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of await download.createReadStream()) chunks.push(Buffer.from(chunk as Buffer));
  return Buffer.concat(chunks).toString("utf8");
}

interface VirtualAuthenticator {
  /** Whether the authenticator answers by itself, as if someone touched it (on by default). */
  setPresence(present: boolean): Promise<void>;
}

/** Chromium's virtual authenticator for this page: a platform authenticator that verifies the user. */
async function addVirtualAuthenticator(): Promise<VirtualAuthenticator> {
  const cdp = await page.context().newCDPSession(page);
  await cdp.send("WebAuthn.enable");
  const { authenticatorId } = await cdp.send("WebAuthn.addVirtualAuthenticator", {
    options: {
      protocol: "ctap2",
      transport: "internal",
      hasResidentKey: true,
      hasUserVerification: true,
      isUserVerified: true,
    },
  });
  return {
    async setPresence(enabled) {
      await cdp.send("WebAuthn.setAutomaticPresenceSimulation", { authenticatorId, enabled });
    },
  };
}

describe("passkeys", () => {
  it("adds a passkey, signs in with it alone and as a second factor, renames and removes it", async () => {
    const email = uniqueEmail("passkey");
    await registerViaApi(passkeyBaseUrl, { email, password: PASSWORD });
    await page.goto(`${passkeyBaseUrl}/sign-in`);
    const authenticator = await addVirtualAuthenticator();
    await submitPassword(passkeyBaseUrl, email, PASSWORD);
    await waitForPath("/profile");
    await passkeysCard().getByText("No passkeys yet.").waitFor();

    await passkeysCard().getByLabel("Name for a new passkey").fill("Laptop");
    await passkeysCard().getByRole("button", { name: "Add a passkey" }).click();
    await passkeysCard().locator(".passkey-name", { hasText: "Laptop" }).waitFor();
    expect(await passkeysCard().locator(".passkey-item").count()).toBe(1);
    await screenshot(w, "passkeys");

    await passkeysCard().getByRole("button", { name: "Rename Laptop" }).click();
    await passkeysCard().getByLabel("Passkey name").fill("Work laptop");
    await passkeysCard().getByRole("button", { name: "Save name" }).click();
    await passkeysCard().locator(".passkey-name", { hasText: "Work laptop" }).waitFor();

    // Passwordless: no email, no password.
    await signOut();
    await page.getByRole("button", { name: "Sign in with a passkey" }).click();
    await waitForPath("/profile");
    expect(await page.locator(".summary").textContent()).toContain(email);
    await passkeysCard()
      .getByText(/last used/)
      .waitFor();

    // The email field's autofill (conditional mediation): the virtual authenticator picks the passkey
    // as soon as the field asks, as a person choosing it from the suggestions would.
    await signOut();
    await page.getByLabel("Email").focus();
    await waitForPath("/profile");

    // After the password, the passkey is the second factor. The authenticator holds back while the
    // email is typed, so the autofill waits (and is cancelled by the password sign-in).
    await signOut();
    await authenticator.setPresence(false);
    w.expectFailure("POST", "/v1/users/login", 403);
    await submitPassword(passkeyBaseUrl, email, PASSWORD);
    await page.getByRole("heading", { name: "Two-factor authentication" }).waitFor();
    expect(await refreshCookie(browser.context, passkeyBaseUrl)).toBeUndefined();
    await screenshot(w, "sign-in-second-factor-passkey");
    await authenticator.setPresence(true);
    await page.getByRole("button", { name: "Use a passkey" }).click();
    await waitForPath("/profile");

    await passkeysCard().getByRole("button", { name: "Remove Work laptop" }).click();
    await passkeysCard().getByRole("button", { name: "Confirm removing Work laptop" }).click();
    await passkeysCard().getByText("No passkeys yet.").waitFor();

    // The device still offers the removed passkey: the API refuses it, the page says so, and the
    // password alone signs in again.
    await signOut();
    w.expectFailure("POST", "/v1/users/passkeys/login", 401);
    await page.getByLabel("Email").focus();
    const refused = page.locator(".passkey-option .form-error.is-visible");
    await refused.waitFor();
    expect(await refused.textContent()).toMatch(/passkey/i);
    expect(path()).toBe("/sign-in");
    await page.getByLabel("Email").fill(email);
    await page.getByLabel("Password").fill(PASSWORD);
    await page.getByRole("button", { name: "Sign in", exact: true }).click();
    await waitForPath("/profile");
  });
});

describe("the administrators' reset", () => {
  it("shows who has a second factor and removes it", async () => {
    const email = uniqueEmail("lost-phone");
    const user = await registerViaApi(baseUrl, { email, password: PASSWORD });
    const token = await passwordToken(email);
    const setup = await api<{ secret: string }>(token, "POST", "/v1/users/me/mfa/totp/setup", {
      current_password: PASSWORD,
    });
    await api(token, "POST", "/v1/users/me/mfa/totp/confirm", { code: totpCode(setup.secret) });

    await submitPassword(baseUrl, ADMIN.email, ADMIN.password);
    await waitForPath("/profile");
    const row = await findUserRow(email);
    expect(await row.locator("[data-label=MFA]").textContent()).toBe("On");
    await row.getByRole("button", { name: `Remove second factors of ${email}` }).click();
    await row.getByRole("button", { name: `Confirm removal ${email}` }).click();
    await page.locator(".status-message", { hasText: "signs in with the password alone" }).waitFor();
    expect(await row.locator("[data-label=MFA]").textContent()).toBe("Off");
    expect(await row.getByRole("button", { name: `Remove second factors of ${email}` }).count()).toBe(0);
    const response = await fetch(`${baseUrl}/v1/users/login`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ email, password: PASSWORD }),
    });
    expect(response.status).toBe(200);
    expect(user.email).toBe(email);
  });
});

async function passwordToken(email: string): Promise<string> {
  const body = await api<{ access_token: string }>(undefined, "POST", "/v1/users/login", {
    email,
    password: PASSWORD,
  });
  return body.access_token;
}

async function api<T = unknown>(
  token: string | undefined,
  method: string,
  path: string,
  body?: unknown,
): Promise<T> {
  const response = await fetch(`${baseUrl}${path}`, {
    method,
    headers: {
      "content-type": "application/json",
      ...(token ? { authorization: `Bearer ${token}` } : {}),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  if (!response.ok) throw new Error(`${method} ${path}: ${response.status} ${await response.text()}`);
  return (response.status === 204 ? undefined : await response.json()) as T;
}

/** The users table row of an account, on whichever page it landed (other tests share the server). */
async function findUserRow(email: string) {
  for (let pageNumber = 1; pageNumber <= 30; pageNumber += 1) {
    await page.goto(`${baseUrl}/users?page=${pageNumber}`);
    await page
      .locator(".pager-range")
      .filter({ hasText: new RegExp(`^${(pageNumber - 1) * 10 + 1}–|^0–`) })
      .waitFor();
    const row = page.locator(".users-table tbody tr", { hasText: email });
    if ((await row.count()) > 0) return row;
  }
  throw new Error(`${email} is on no page of the users table`);
}
