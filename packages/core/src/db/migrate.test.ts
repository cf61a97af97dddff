import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { type SQL, sql } from "drizzle-orm";
import postgres from "postgres";
import { afterAll, describe, expect, it } from "vitest";
import { openTestDatabase, testDatabaseUrl, withDatabase } from "../test-support/index.js";
import { createDatabase, type Database } from "./client.js";
import { MIGRATIONS_FOLDER, migrateDatabase } from "./migrate.js";

interface AppliedMigration {
  hash: string;
  createdAt: number;
}

/** What the migrator must record: one row per committed migration, in journal order. */
const committed: AppliedMigration[] = (
  JSON.parse(readFileSync(join(MIGRATIONS_FOLDER, "meta", "_journal.json"), "utf8")) as {
    entries: { tag: string; when: number }[];
  }
).entries.map(({ tag, when }) => ({
  hash: createHash("sha256")
    .update(readFileSync(join(MIGRATIONS_FOLDER, `${tag}.sql`), "utf8"))
    .digest("hex"),
  createdAt: when,
}));

async function rows(database: Database, query: SQL): Promise<Record<string, unknown>[]> {
  // postgres.js returns the rows as an array; PGlite wraps them in { rows }.
  const result = (await database.db.execute(query)) as unknown;
  return Array.isArray(result) ? result : (result as { rows: Record<string, unknown>[] }).rows;
}

async function appliedMigrations(database: Database): Promise<AppliedMigration[]> {
  const applied = await rows(
    database,
    sql`select hash, created_at from drizzle.__drizzle_migrations order by id`,
  );
  return applied.map((row) => ({ hash: String(row.hash), createdAt: Number(row.created_at) }));
}

/** Tables, columns, indexes and constraints of the app's schema, as text that compares exactly. */
async function schemaOf(database: Database): Promise<string[]> {
  const columns = await rows(
    database,
    sql`select table_name, column_name, data_type, is_nullable, column_default
        from information_schema.columns where table_schema = 'public'
        order by table_name, column_name`,
  );
  const indexes = await rows(
    database,
    sql`select indexdef from pg_indexes where schemaname = 'public' order by indexname`,
  );
  const constraints = await rows(
    database,
    sql`select conrelid::regclass::text as on_table, conname, pg_get_constraintdef(oid) as definition
        from pg_constraint where connamespace = 'public'::regnamespace
        order by on_table, conname`,
  );
  return [...columns, ...indexes, ...constraints].map((row) => JSON.stringify(row));
}

describe("migrateDatabase", () => {
  const disposers: (() => Promise<void>)[] = [];
  afterAll(async () => {
    for (const dispose of disposers) await dispose();
  });

  it.each(["postgres", "pglite"] as const)(
    "on %s records each committed migration once and changes nothing when run again",
    async (kind) => {
      const t = await openTestDatabase(kind);
      disposers.push(() => t.dispose());
      expect(committed.length).toBeGreaterThan(0);
      expect(await appliedMigrations(t.database)).toEqual(committed);
      const schema = await schemaOf(t.database);
      expect(schema.some((row) => row.includes('"table_name":"users"'))).toBe(true);

      await migrateDatabase(t.database);
      await migrateDatabase(t.database);

      expect(await appliedMigrations(t.database)).toEqual(committed);
      expect(await schemaOf(t.database)).toEqual(schema);
    },
  );

  it("applies each migration exactly once when four migrators start together on a fresh PostgreSQL database (5 rounds)", async () => {
    const reference = await openTestDatabase("postgres", { poolSize: 1 });
    disposers.push(() => reference.dispose());
    const expectedSchema = await schemaOf(reference.database);
    const admin = postgres(testDatabaseUrl(), { max: 1, onnotice: () => {} });
    try {
      for (let round = 0; round < 5; round += 1) {
        const name = `um_test_migrate_${Date.now()}_${round}`;
        await admin.unsafe(`create database ${name}`);
        const migrators = await Promise.all(
          Array.from({ length: 4 }, () =>
            createDatabase({ url: withDatabase(testDatabaseUrl(), name), poolSize: 1 }),
          ),
        );
        try {
          const outcomes = await Promise.allSettled(migrators.map((database) => migrateDatabase(database)));
          expect(outcomes.filter((outcome) => outcome.status === "rejected")).toEqual([]);
          const [first] = migrators as [Database, ...Database[]];
          expect(await appliedMigrations(first)).toEqual(committed);
          expect(await schemaOf(first)).toEqual(expectedSchema);
        } finally {
          await Promise.all(migrators.map((database) => database.close()));
          await admin.unsafe(`drop database ${name} with (force)`);
        }
      }
    } finally {
      await admin.end();
    }
  });
});
