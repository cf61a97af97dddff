import { mkdir } from "node:fs/promises";
import type { PGlite } from "@electric-sql/pglite";
import { sql } from "drizzle-orm";
import type { PgDatabase, PgQueryResultHKT } from "drizzle-orm/pg-core";
import { drizzle as drizzlePostgres } from "drizzle-orm/postgres-js";
import postgres from "postgres";
import * as schema from "./schema.js";

/** A Drizzle database over either driver; repository code is written once against this. */
export type Db = PgDatabase<PgQueryResultHKT, typeof schema>;

export interface Database {
  db: Db;
  driver: "postgres" | "pglite";
  /** Round-trips `select 1`; rejects when the database does not answer. */
  ping(): Promise<void>;
  close(): Promise<void>;
}

export interface DatabaseOptions {
  /** `postgres://…`: PostgreSQL through postgres.js. Unset: embedded PGlite in `dataDir`. */
  url?: string | undefined;
  /** Folder of the embedded database (`memory://` for a throwaway one). Default `./.data`. */
  dataDir?: string | undefined;
  /** An already-open PGlite instance (tests open copies of a migrated template). */
  pglite?: PGlite | undefined;
  /** PostgreSQL connections in the pool. Default 10. */
  poolSize?: number | undefined;
  /** Seconds to wait for a new PostgreSQL connection. Default 5. */
  connectTimeoutSeconds?: number | undefined;
  /** Seconds before an idle pooled connection is closed. Default 60. */
  idleTimeoutSeconds?: number | undefined;
}

const casing = "snake_case";

/** Where each PostgreSQL Database connects, for the migrator's own dedicated connection (kept out of the public shape). */
const postgresUrls = new WeakMap<Database, string>();

export function postgresUrlOf(database: Database): string | undefined {
  return postgresUrls.get(database);
}

/**
 * Opens the database: PostgreSQL when `url` is given, otherwise the embedded PGlite. Both speak the same
 * schema and migrations (see `migrateDatabase`).
 * @example
 * const database = await createDatabase({ url: "postgres://app@db:5432/app", poolSize: 10 });
 * const users = createUserService({ db: database.db, passwords });
 */
export async function createDatabase(options: DatabaseOptions = {}): Promise<Database> {
  if (options.url) return openPostgres(options.url, options);
  // PGlite and its Drizzle driver load only when used: a PostgreSQL deployment starts without them.
  const { drizzle: drizzlePglite } = await import("drizzle-orm/pglite");
  const client = options.pglite ?? (await openPglite(options.dataDir ?? "./.data"));
  const db = drizzlePglite({ client, schema, casing }) as unknown as Db;
  return {
    db,
    driver: "pglite",
    ping: async () => {
      await client.query("select 1");
    },
    close: async () => {
      if (!client.closed) await client.close();
    },
  };
}

async function openPglite(dataDir: string): Promise<PGlite> {
  if (!dataDir.includes("://")) await mkdir(dataDir, { recursive: true });
  const { PGlite } = await import("@electric-sql/pglite");
  return PGlite.create(dataDir);
}

function openPostgres(url: string, options: DatabaseOptions): Database {
  const client = postgres(url, {
    max: options.poolSize ?? 10,
    connect_timeout: options.connectTimeoutSeconds ?? 5,
    idle_timeout: options.idleTimeoutSeconds ?? 60,
    onnotice: () => {},
  });
  const db = drizzlePostgres({ client, schema, casing }) as unknown as Db;
  const database: Database = {
    db,
    driver: "postgres",
    ping: async () => {
      await db.execute(sql`select 1`);
    },
    close: () => client.end({ timeout: 5 }),
  };
  postgresUrls.set(database, url);
  return database;
}
