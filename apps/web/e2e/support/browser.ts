/**
 * Debian's Chromium driven by playwright-core, plus the watchers that fail a test on any console error,
 * uncaught exception or CSP violation, and a helper that screenshots a page at desktop and phone width.
 */
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { type BrowserContext, chromium, type Page } from "playwright-core";

export const SCREENSHOT_DIR = fileURLToPath(new URL("../../test-results/screenshots/", import.meta.url));
export const DESKTOP = { width: 1280, height: 800 } as const;
export const PHONE = { width: 360, height: 740 } as const;

export interface Browser {
  context: BrowserContext;
  close(): Promise<void>;
}

export const DEFAULT_CHROMIUM_PATH = "/usr/bin/chromium";

/**
 * The Chromium binary the browser tests drive (CHROMIUM_PATH, else Debian's), or one clear error that
 * says how to get it: the browser tests never skip.
 */
export function chromiumExecutable(): string {
  // Tests may read the environment; the app's code never does.
  const path = process.env.CHROMIUM_PATH || DEFAULT_CHROMIUM_PATH;
  if (!existsSync(path)) {
    const failure = new Error(
      `Chromium is required for the browser tests and is missing at ${path}` +
        `${process.env.CHROMIUM_PATH ? " (CHROMIUM_PATH)" : ""}. Install it ` +
        "(Debian: `apt-get install --no-install-recommends chromium`; `.ci/run` does it), " +
        "or set CHROMIUM_PATH to a Chromium or Chrome binary.",
    );
    // A missing program, not a bug: the message says everything, a stack through Vitest would bury it.
    failure.stack = `${failure.name}: ${failure.message}`;
    throw failure;
  }
  return path;
}

export async function launchBrowser(): Promise<Browser> {
  const executablePath = chromiumExecutable();
  const userDataDir = await mkdtemp(join(tmpdir(), "web-e2e-chromium-"));
  const context = await chromium.launchPersistentContext(userDataDir, {
    executablePath,
    headless: true,
    viewport: DESKTOP,
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
  });
  await mkdir(SCREENSHOT_DIR, { recursive: true });
  return {
    context,
    async close() {
      await context.close();
      await rm(userDataDir, { recursive: true, force: true });
    },
  };
}

export interface WatchedPage {
  page: Page;
  /** Everything that went wrong in the page; a test asserts it is empty at its end. */
  problems: string[];
  /** Responses the test expects to fail (e.g. a 401 for a wrong password), as "METHOD /path STATUS". */
  expectFailure(method: string, path: string, status: number): void;
  close(): Promise<void>;
}

/**
 * A new tab (sharing the browser's cookies, so its session) whose console errors, page errors, CSP violations and unexpected
 * failed requests are collected. Chromium logs every 4xx fetch as a console error; those are expected
 * only where the test says so.
 */
export async function openPage(browser: Browser): Promise<WatchedPage> {
  const page = await browser.context.newPage();
  // Every step here takes well under a second; a missing element should fail fast, not after 30 s.
  page.setDefaultTimeout(10_000);
  await page.setViewportSize(DESKTOP);
  const problems: string[] = [];
  const expected: string[] = [];

  await page.addInitScript(() => {
    document.addEventListener("securitypolicyviolation", (event) => {
      console.error(`CSP violation: ${event.violatedDirective} blocked ${event.blockedURI || "inline code"}`);
    });
  });
  page.on("console", (message) => {
    if (message.type() !== "error") return;
    const text = message.text();
    // Reported separately (and checked against the expected list) through the response events.
    if (/^Failed to load resource: the server responded with a status of 4\d\d/.test(text)) {
      const url = message.location().url;
      if (url && new URL(url).pathname.startsWith("/v1/")) return;
    }
    problems.push(`console error: ${text}`);
  });
  page.on("pageerror", (error) => problems.push(`uncaught exception: ${error.message}`));
  page.on("response", (response) => {
    if (response.status() < 400) return;
    const key = `${response.request().method()} ${new URL(response.url()).pathname} ${response.status()}`;
    const index = expected.indexOf(key);
    if (index >= 0) expected.splice(index, 1);
    else problems.push(`unexpected response: ${key}`);
  });

  return {
    page,
    problems,
    expectFailure(method, path, status) {
      expected.push(`${method} ${path} ${status}`);
    },
    async close() {
      // The tabs of one test file share a cookie jar: the next test starts signed out, as a new
      // visitor would, and the session hint in localStorage goes with the cookie.
      await page.evaluate(() => window.localStorage.clear()).catch(() => undefined);
      await page.close();
      await browser.context.clearCookies();
    },
  };
}

/**
 * A second device: its own browser, so its own cookies and storage (tabs of one browser share the
 * session, as they should), with one watched page. Closing it closes that browser.
 */
export async function openDevice(): Promise<WatchedPage & { context: BrowserContext }> {
  const device = await launchBrowser();
  const watched = await openPage(device);
  return {
    ...watched,
    context: device.context,
    async close() {
      await watched.close();
      await device.close();
    },
  };
}

/** The session cookie this browser would send to the refresh route of `baseUrl`, if any. */
export async function refreshCookie(context: BrowserContext, baseUrl: string) {
  const cookies = await context.cookies(`${baseUrl}/v1/users/token/refresh`);
  return cookies.find((cookie) => cookie.name === "um_refresh");
}

/**
 * Full-page screenshots at 1280×800 and 360 px wide, then back to desktop. A page wider than the
 * viewport (sideways scrolling on a phone) is recorded as a problem.
 */
export async function screenshot({ page, problems }: WatchedPage, name: string): Promise<void> {
  for (const [suffix, size] of [
    ["desktop", DESKTOP],
    ["360px", PHONE],
  ] as const) {
    await page.setViewportSize(size);
    const width = await page.evaluate(() => document.documentElement.scrollWidth);
    if (width > size.width) problems.push(`${name} is ${width} px wide at ${size.width} px`);
    await page.screenshot({ path: join(SCREENSHOT_DIR, `${name}-${suffix}.png`), fullPage: true });
  }
  await page.setViewportSize(DESKTOP);
}

/**
 * The parts a page fills after it is shown (the profile's sessions and activity lists) have answered.
 * Signing out while they are still on their way gets them a 401 for the token just revoked, which the
 * shell then also reports as an expired session; a test that signs out waits for this first.
 */
export async function sectionsLoaded(page: Page): Promise<void> {
  await page.locator("main:not(:has([aria-busy=true]))").waitFor({ state: "attached" });
}
