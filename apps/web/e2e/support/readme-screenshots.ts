/**
 * The README's screenshots: the page in view (not the full page) at desktop and phone size, in the light
 * and the dark scheme, written to docs/screenshots/ at the repository's root. They are regenerated on
 * every run and never compared: a changed pixel is a change to review in the diff, not a failure.
 */
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { Page } from "playwright-core";

export const README_SCREENSHOT_DIR = fileURLToPath(new URL("../../../../docs/screenshots/", import.meta.url));

export const README_SIZES = {
  desktop: { width: 1280, height: 800 },
  mobile: { width: 375, height: 740 },
} as const;

export async function writeReadmeScreenshots(page: Page, name: string): Promise<void> {
  mkdirSync(README_SCREENSHOT_DIR, { recursive: true });
  const original = page.viewportSize();
  for (const colorScheme of ["light", "dark"] as const) {
    await page.emulateMedia({ colorScheme });
    for (const [size, viewport] of Object.entries(README_SIZES)) {
      await page.setViewportSize(viewport);
      await page.screenshot({
        path: join(README_SCREENSHOT_DIR, `${name}-${size}-${colorScheme}.png`),
        animations: "disabled",
        caret: "hide",
      });
    }
  }
  await page.emulateMedia({ colorScheme: "light" });
  if (original) await page.setViewportSize(original);
}
