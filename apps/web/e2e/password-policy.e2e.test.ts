/**
 * The register form follows the server's PASSWORD_MIN_LENGTH, read from GET /v1/users/password-policy,
 * rather than the contract's floor of 8: its own server, started with a minimum of 12, in Chromium.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type RunningServer, startServer } from "../../api/test/support/server-process.js";
import { type Browser, launchBrowser, openPage, type WatchedPage } from "./support/browser.js";
import { E2E_JWT_SECRET, uniqueEmail } from "./support/fixtures.js";

let server: RunningServer;
let dataDir: string;
let browser: Browser;

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), "web-e2e-policy-"));
  server = await startServer({
    DATA_DIR: dataDir,
    BCRYPT_COST: "4",
    NODE_ENV: "test",
    JWT_SECRET: E2E_JWT_SECRET,
    PASSWORD_MIN_LENGTH: "12",
  });
  browser = await launchBrowser();
});
afterAll(async () => {
  await browser?.close();
  await server?.stop();
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
});

describe("a server with PASSWORD_MIN_LENGTH=12", () => {
  let w: WatchedPage | undefined;
  afterAll(async () => {
    await w?.close();
  });

  it("makes the register form refuse a 10-character password before sending it, and accept 12", async () => {
    w = await openPage(browser);
    const { page } = w;
    const registerCalls: string[] = [];
    page.on("request", (request) => {
      if (request.method() === "POST" && /^\/v1\/users\/?$/.test(new URL(request.url()).pathname))
        registerCalls.push(request.url());
    });

    await page.goto(`${server.url}/register`);
    await page.locator('main[data-path="/register"] h1').waitFor();
    const password = page.getByLabel("Password", { exact: true });
    expect(await page.locator("#register").textContent()).toContain("At least 12 characters");

    const email = uniqueEmail("policy");
    await page.getByLabel("Email").fill(email);
    await password.fill("ten chars!");
    await page.getByRole("button", { name: "Create account" }).click();
    expect(await password.getAttribute("aria-invalid")).toBe("true");
    const errorId = (await password.getAttribute("aria-describedby"))
      ?.split(" ")
      .find((id) => id.endsWith("-error"));
    expect(await page.locator(`[id="${errorId}"]`).textContent()).toBe("Must be at least 12 characters.");
    expect(registerCalls).toEqual([]);

    await password.fill("twelve chars");
    await page.getByRole("button", { name: "Create account" }).click();
    await page.getByRole("heading", { name: "Check your inbox" }).waitFor();
    expect(registerCalls).toHaveLength(1);
    expect(w.problems).toEqual([]);
  });
});
