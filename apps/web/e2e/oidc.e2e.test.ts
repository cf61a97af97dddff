/**
 * Signing in through an identity provider in Debian's Chromium, against the built server started as a
 * real process with `OIDC_PROVIDERS` pointing at a real OpenID provider (oidc-provider) on loopback:
 * link a provider from the profile, unlink it, then sign in with it from the sign-in page's button and
 * land signed in. Fails on a console error, a CSP violation or an unexpected failed request.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Page } from "playwright-core";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { startTestOidcProvider, type TestOidcProvider } from "../../api/test/support/oidc-provider.js";
import { freePort, type RunningServer, startServer } from "../../api/test/support/server-process.js";
import { type Browser, launchBrowser, openPage, type WatchedPage } from "./support/browser.js";
import { registerViaApi, uniqueEmail } from "./support/fixtures.js";

const PASSWORD = "correct horse battery";

let browser: Browser;
let idp: TestOidcProvider;
let server: RunningServer;
let dataDir: string;
let baseUrl: string;
let w: WatchedPage;
let page: Page;

beforeAll(async () => {
  const port = await freePort();
  baseUrl = `http://127.0.0.1:${port}`;
  idp = await startTestOidcProvider({ redirectUris: [`${baseUrl}/v1/auth/corp/callback`] });
  dataDir = await mkdtemp(join(tmpdir(), "web-oidc-e2e-"));
  server = await startServer({
    PORT: String(port),
    PUBLIC_URL: baseUrl,
    DATA_DIR: dataDir,
    BCRYPT_COST: "4",
    NODE_ENV: "test",
    REGISTER_LIMIT_PER_ADDRESS: "10000",
    LOGIN_LIMIT_PER_ADDRESS: "10000",
    JWT_SECRET: "oidc-e2e-secret-0123456789-abcdefghijklmnop",
    OIDC_PROVIDERS: "corp",
    OIDC_CORP_NAME: "Corp SSO",
    OIDC_CORP_ISSUER: idp.issuer,
    OIDC_CORP_CLIENT_ID: idp.clientId,
    OIDC_CORP_CLIENT_SECRET: idp.clientSecret,
  });
  browser = await launchBrowser();
});
afterAll(async () => {
  await browser?.close();
  await server?.stop();
  await idp?.close();
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
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

async function waitForPath(expected: string): Promise<void> {
  await page.waitForURL((url) => url.pathname === expected);
  await page.locator(`main[data-path="${expected}"] h1`).waitFor();
}

const identitiesCard = () => page.locator("#identities");

describe("sign-in through an identity provider", () => {
  it("links and unlinks a provider on the profile, then signs in with it and lands signed in", async () => {
    const email = uniqueEmail("oidc-e2e");
    await registerViaApi(baseUrl, { email, password: PASSWORD });
    await page.goto(`${baseUrl}/sign-in`);
    await page.getByLabel("Email").fill(email);
    await page.getByLabel("Password").fill(PASSWORD);
    await page.getByRole("button", { name: "Sign in", exact: true }).click();
    await waitForPath("/profile");

    const providerEmail = uniqueEmail("corp-account");
    idp.signInAs({
      sub: `e2e-${Date.now()}`,
      email: providerEmail,
      email_verified: true,
      name: "Ada at Corp",
    });
    await identitiesCard().getByRole("button", { name: "Link Corp SSO" }).click();
    await waitForPath("/profile");
    await expect.poll(() => page.locator(".flash").textContent()).toContain("linked");
    const item = identitiesCard().locator('li[data-provider="corp"]');
    await item.waitFor();
    expect(await item.textContent()).toContain(providerEmail);
    // The code and the fragment never stay in the address bar or the history.
    expect(new URL(page.url()).hash).toBe("");

    await item.getByRole("button", { name: "Unlink Corp SSO" }).click();
    await expect.poll(() => identitiesCard().locator('li[data-provider="corp"]').count()).toBe(0);
    expect(await identitiesCard().locator(".status-message").textContent()).toContain("unlinked");

    await page.getByRole("button", { name: "Sign out", exact: true }).click();
    await waitForPath("/sign-in");
    // The unlinked provider account is free again: signing in with it makes an account of its own.
    await page.getByRole("link", { name: "Sign in with Corp SSO" }).click();
    await waitForPath("/profile");
    expect(new URL(page.url()).hash).toBe("");
    await expect.poll(() => page.locator("main").textContent()).toContain(providerEmail);
    await identitiesCard().locator('li[data-provider="corp"]').waitFor();
  });
});
