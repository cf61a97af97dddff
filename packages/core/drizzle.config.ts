import { defineConfig } from "drizzle-kit";

// Migrations are expand-then-contract: the previous release keeps serving while they apply, so a new
// migration only adds; drops, renames, type changes and new NOT NULL columns without a default ship a
// release later, marked `-- contract: <why>` (src/db/migration-rules.test.ts checks; README "Upgrades").
// drizzle-kit only loads a default export.
export default defineConfig({
  dialect: "postgresql",
  schema: "./src/db/schema.ts",
  out: "./drizzle",
  casing: "snake_case",
});
