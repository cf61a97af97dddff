/**
 * axe-core in the page under test. The source goes in through the DevTools protocol (page.evaluate),
 * which the page's strict CSP does not govern, so no CSP exception is needed for the audit.
 */
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import type { Page } from "playwright-core";

const AXE_SOURCE = readFileSync(createRequire(import.meta.url).resolve("axe-core/axe.min.js"), "utf8");

interface Violation {
  id: string;
  impact: string | null;
  help: string;
  targets: string[];
}

/** Every violation axe finds in the current state of the page, one line each ("state: rule (impact): help @ selector"). */
export async function axeViolations(
  page: Page,
  state: string,
  rules: readonly string[] | undefined = undefined,
): Promise<string[]> {
  // Transitions and the loading fade would be measured half-way: audit the settled colours.
  await page.emulateMedia({ reducedMotion: "reduce" });
  const loaded = await page.evaluate(() => "axe" in window);
  if (!loaded) await page.evaluate(AXE_SOURCE);
  const violations = await page.evaluate(async (only): Promise<Violation[]> => {
    // axe's own type is not imported into the page; this is the part of it the test reads.
    type AxeRun = (
      context: Document,
      options: object,
    ) => Promise<{
      violations: {
        id: string;
        impact: string | null;
        help: string;
        nodes: { target: unknown[] }[];
      }[];
    }>;
    const axe = (window as unknown as { axe: { run: AxeRun } }).axe;
    const result = await axe.run(document, {
      resultTypes: ["violations"],
      ...(only ? { runOnly: { type: "rule", values: only } } : {}),
    });
    return result.violations.map((violation) => ({
      id: violation.id,
      impact: violation.impact,
      help: violation.help,
      targets: violation.nodes.slice(0, 3).map((node) => node.target.map(String).join(" ")),
    }));
  }, rules);
  return violations.map(
    (violation) =>
      `${state}: ${violation.id} (${violation.impact ?? "?"}): ${violation.help} @ ${violation.targets.join(", ")}`,
  );
}

/** The rules whose outcome depends on colours: all a second colour scheme can change. */
const COLOUR_RULES = ["color-contrast", "link-in-text-block"] as const;

/**
 * Every rule in the light scheme, then the colour rules again in the dark one (structure, names and roles
 * do not change with the scheme, and a full second pass would double the time); the page is left light.
 */
export async function axeViolationsInBothSchemes(page: Page, state: string): Promise<string[]> {
  await page.emulateMedia({ colorScheme: "light" });
  const found = await axeViolations(page, `${state} [light]`);
  await page.emulateMedia({ colorScheme: "dark" });
  found.push(...(await axeViolations(page, `${state} [dark]`, COLOUR_RULES)));
  await page.emulateMedia({ colorScheme: "light" });
  return found;
}
