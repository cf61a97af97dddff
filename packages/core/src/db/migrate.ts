import { fileURLToPath } from "node:url";
import type { PgliteDatabase } from "drizzle-orm/pglite";
import { drizzle } from "drizzle-orm/postgres-js";
import { migrate as migratePostgres } from "drizzle-orm/postgres-js/migrator";
import postgres from "postgres";
import { type Database, postgresTargetOf } from "./client.js";

/** The committed SQL migrations; the same path from `src/db/` and `dist/db/`. */
export const MIGRATIONS_FOLDER = fileURLToPath(new URL("../../drizzle", import.meta.url));

/** Arbitrary constant: every process that migrates takes this advisory lock, so they take turns. */
const MIGRATION_LOCK_KEY = 727_274_001;

/**
 * Applies every committed migration that has not run yet. Idempotent, and safe when several processes
 * (replicas starting together) call it on one PostgreSQL at once.
 */
export async function migrateDatabase(database: Database): Promise<void> {
  if (database.driver === "pglite") {
    const { migrate: migratePglite } = await import("drizzle-orm/pglite/migrator");
    await migratePglite(database.db as unknown as PgliteDatabase, { migrationsFolder: MIGRATIONS_FOLDER });
    return;
  }
  // Migrations run on one dedicated connection that holds a session advisory lock, so replicas starting
  // together take turns and the later ones find nothing left to do.
  const target = postgresTargetOf(database);
  if (!target) throw new Error("migrateDatabase: this PostgreSQL database was not opened by createDatabase");
  // The pool's connect timeout, but not its statement timeout: waiting for another replica's lock, or
  // building an index, may rightly take longer than any request should.
  const connection = postgres(target.url, {
    max: 1,
    connect_timeout: target.connectTimeoutSeconds,
    onnotice: () => {},
  });
  try {
    await connection`select pg_advisory_lock(${MIGRATION_LOCK_KEY})`;
    await migratePostgres(drizzle({ client: connection }), { migrationsFolder: MIGRATIONS_FOLDER });
  } finally {
    await connection.end({ timeout: 5 });
  }
}
