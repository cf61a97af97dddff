import { fileURLToPath } from "node:url";
import { sql } from "drizzle-orm";
import { readMigrationFiles } from "drizzle-orm/migrator";
import { PgDialect, type PgSession } from "drizzle-orm/pg-core";
import type { PgliteDatabase } from "drizzle-orm/pglite";
import { drizzle } from "drizzle-orm/postgres-js";
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
  // Migrations run on one dedicated connection, in one transaction that first takes a transaction-scoped
  // advisory lock: replicas starting together take turns and the later ones find nothing left to do. A
  // session-level lock would outlive its statement on a server connection a transaction-mode pooler hands
  // to someone else; a transaction-scoped one ends with the transaction, wherever it ran.
  const target = postgresTargetOf(database);
  if (!target) throw new Error("migrateDatabase: this PostgreSQL database was not opened by createDatabase");
  // The pool's connect timeout, but not its statement timeout: waiting for another replica's lock, or
  // building an index, may rightly take longer than any request should.
  const connection = postgres(target.url, {
    max: 1,
    connect_timeout: target.connectTimeoutSeconds,
    prepare: target.preparedStatements,
    onnotice: () => {},
  });
  const config = { migrationsFolder: MIGRATIONS_FOLDER };
  try {
    await drizzle({ client: connection }).transaction(async (tx) => {
      await tx.execute(sql`select pg_advisory_xact_lock(${MIGRATION_LOCK_KEY})`);
      // Drizzle's migrator reads its bookkeeping table, then applies the pending migrations in a
      // transaction of its own; here that "transaction" is the one holding the lock, so the read and the
      // writes happen under it and commit together.
      const joined = Object.assign(Object.create(tx._.session) as PgSession, {
        transaction: <T>(run: (inner: typeof tx) => Promise<T>) => run(tx),
      });
      await new PgDialect().migrate(readMigrationFiles(config), joined, config);
    });
  } finally {
    await connection.end({ timeout: 5 });
  }
}
