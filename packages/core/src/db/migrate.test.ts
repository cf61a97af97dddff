import postgres from "postgres";
import { afterAll, describe, expect, it } from "vitest";
import { openTestDatabase, testDatabaseUrl, withDatabase } from "../test-support/index.js";
import { createDatabase } from "./client.js";
import { migrateDatabase } from "./migrate.js";

describe("migrateDatabase", () => {
  const disposers: (() => Promise<void>)[] = [];
  afterAll(async () => {
    for (const dispose of disposers) await dispose();
  });

  it("is idempotent on both drivers", async () => {
    for (const kind of ["postgres", "pglite"] as const) {
      const t = await openTestDatabase(kind);
      disposers.push(() => t.dispose());
      await migrateDatabase(t.database);
      await migrateDatabase(t.database);
      await t.database.ping();
    }
  });

  it("lets several processes' worth of concurrent migrations on a fresh PostgreSQL database all succeed", async () => {
    const admin = postgres(testDatabaseUrl(), { max: 1, onnotice: () => {} });
    const name = `um_test_migrate_${Date.now()}`;
    await admin.unsafe(`create database ${name}`);
    const databases = await Promise.all(
      Array.from({ length: 4 }, () =>
        createDatabase({ url: withDatabase(testDatabaseUrl(), name), poolSize: 2 }),
      ),
    );
    try {
      await Promise.all(databases.map((database) => migrateDatabase(database)));
      const rows = await postgres(withDatabase(testDatabaseUrl(), name), { max: 1 }).begin(async (sql) => {
        const applied = await sql`select count(*)::int as n from drizzle.__drizzle_migrations`;
        return applied;
      });
      expect(rows[0]?.n).toBeGreaterThanOrEqual(1);
    } finally {
      await Promise.all(databases.map((database) => database.close()));
      await admin.unsafe(`drop database ${name} with (force)`);
      await admin.end();
    }
  });
});
