/**
 * Migrations are expand-then-contract: while a rolling upgrade runs, the previous release still serves
 * against the migrated schema, so a migration may add (tables, nullable columns, columns with a default,
 * indexes) but not take away what the previous release uses. A step that does (drop, rename, type change,
 * a new NOT NULL without a default) ships in a later release than the code that stopped using it, in a
 * migration that says so on a line `-- contract: <why it is safe now>`.
 */
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { MIGRATIONS_FOLDER } from "./migrate.js";

const BREAKING: [RegExp, string][] = [
  [/\bdrop\s+(table|view|type|schema)\b/i, "drops an object"],
  [/\bdrop\s+column\b/i, "drops a column"],
  [/\balter\s+table\b[^;]*\bdrop\s+(?!constraint|default|not\s+null)"?\w/i, "drops a column"],
  [/\brename\b/i, "renames"],
  [/\balter\s+column\b[^;]*\b(set\s+data\s+)?type\b/i, "changes a column's type"],
  [/\balter\s+column\b[^;]*\bset\s+not\s+null\b/i, "makes a column NOT NULL"],
];

/** What in one migration's SQL would break the release before it, unless it is marked as a contract step. */
function breakingSteps(migrationSql: string): string[] {
  if (/^--\s*contract:\s*\S/im.test(migrationSql)) return [];
  const found: string[] = [];
  for (const statement of migrationSql.split(/-->\s*statement-breakpoint|;/)) {
    const text = statement.replace(/--[^\n]*/g, " ").trim();
    if (!text) continue;
    const hit = BREAKING.find(([pattern]) => pattern.test(text));
    if (hit) found.push(`${hit[1]}: ${text.slice(0, 120)}`);
    if (
      /\badd\s+column\b/i.test(text) &&
      /\bnot\s+null\b/i.test(text) &&
      !/\bdefault\b/i.test(text) &&
      !/\bgenerated\b/i.test(text)
    )
      found.push(`adds a NOT NULL column without a default: ${text.slice(0, 120)}`);
  }
  return found;
}

describe("migrations are expand-then-contract", () => {
  const files = readdirSync(MIGRATIONS_FOLDER).filter((file) => file.endsWith(".sql"));

  it.each(files)("%s only expands the schema, or is marked as a contract step", (file) => {
    expect(breakingSteps(readFileSync(join(MIGRATIONS_FOLDER, file), "utf8"))).toEqual([]);
  });

  it("the check catches what breaks the previous release, and lets expansions and marked contract steps through", () => {
    const breaking = [
      'ALTER TABLE "users" DROP COLUMN "full_name";',
      'DROP TABLE "sessions";',
      'ALTER TABLE "users" RENAME COLUMN "email" TO "login";',
      'ALTER TABLE "users" RENAME TO "accounts";',
      'ALTER TABLE "users" ALTER COLUMN "full_name" SET DATA TYPE varchar(50);',
      'ALTER TABLE "users" ALTER COLUMN "full_name" SET NOT NULL;',
      'ALTER TABLE "users" ADD COLUMN "tenant_id" uuid NOT NULL;',
    ];
    for (const sql of breaking) expect(breakingSteps(sql), sql).toHaveLength(1);
    const expanding = [
      'CREATE TABLE "things" ("id" uuid PRIMARY KEY NOT NULL);',
      'ALTER TABLE "users" ADD COLUMN "nickname" text;',
      'ALTER TABLE "users" ADD COLUMN "mfa_enabled" boolean DEFAULT false NOT NULL;',
      'CREATE INDEX "users_nickname_idx" ON "users" USING btree ("nickname");',
      'ALTER TABLE "users" ALTER COLUMN "full_name" DROP NOT NULL;',
      'ALTER TABLE "users" DROP CONSTRAINT "users_x_check";',
    ];
    for (const sql of expanding) expect(breakingSteps(sql), sql).toEqual([]);
    expect(breakingSteps(`-- contract: 0009 stopped reading full_name\n${breaking[0]}`)).toEqual([]);
  });
});
