import { randomBytes } from "node:crypto";
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
  /** This process's pool: configured size and its connections by state (for metrics). */
  poolStats(): Promise<PoolStats>;
  close(): Promise<void>;
}

export interface PoolStats {
  max: number;
  /** Connections this pool has open, running a statement or idle (the stats query itself included). */
  active: number;
  idle: number;
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
  /**
   * PostgreSQL `statement_timeout` for every pooled connection, in ms: the server cancels a statement
   * that runs longer (SQLSTATE 57014, which the API answers 503). Default 5000; 0 = no limit.
   */
  statementTimeoutMs?: number | undefined;
  /**
   * Named prepared statements (postgres.js `prepare`). Default true. Turn off behind a pooler in
   * transaction mode that does not track them (PgBouncer before 1.21, or without
   * `max_prepared_statements`): a statement prepared on one server connection is not there on the next.
   * Off also stops postgres.js from pipelining queries onto a connection that is still busy: through a
   * transaction-mode pooler a pipelined query can wait forever (porsager/postgres#970), which the
   * PgBouncer 1.18 test reproduced as a login that never answered.
   */
  preparedStatements?: boolean | undefined;
}

const casing = "snake_case";

/**
 * Where and how each PostgreSQL Database connects, for the migrator's own dedicated connection (kept out
 * of the public shape).
 */
const postgresTargets = new WeakMap<Database, PostgresTarget>();

export interface PostgresTarget {
  url: string;
  connectTimeoutSeconds: number;
  preparedStatements: boolean;
}

export function postgresTargetOf(database: Database): PostgresTarget | undefined {
  return postgresTargets.get(database);
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
    // One in-process connection, always there.
    poolStats: async () => ({ max: 1, active: 0, idle: 1 }),
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
  const max = options.poolSize ?? 10;
  const connectTimeoutSeconds = options.connectTimeoutSeconds ?? 5;
  const preparedStatements = options.preparedStatements ?? true;
  // Unique per pool, so pg_stat_activity can tell this pool's connections from other processes'.
  const applicationName = `user-management:${process.pid}:${randomBytes(3).toString("hex")}`;
  const client = postgres(url, {
    max,
    connect_timeout: connectTimeoutSeconds,
    prepare: preparedStatements,
    ...(preparedStatements ? {} : { max_pipeline: 0 }),
    idle_timeout: options.idleTimeoutSeconds ?? 60,
    // postgres.js waits 3^n/100 s (up to 20 s) before each reconnect after n failures, and queries queue
    // behind that wait: during an outage they would hang, and after it the pool would stay away for up
    // to 20 s. Capped at 1 s, a query fails fast (503) while the server is down, and the pool is back
    // within a second of the server.
    backoff: (retries: number) => Math.min(0.05 * 2 ** retries, 1),
    // postgres.js runs an array-type lookup on every new connection from a handler that drops its
    // promise: when the link dies right after authentication, that rejection is unhandled and takes the
    // process down. Our schema has no array columns, so the lookup buys nothing.
    fetch_types: false,
    // Startup parameters: applied by the server to every connection of the pool, reconnects included.
    connection: {
      statement_timeout: options.statementTimeoutMs ?? 5000,
      application_name: applicationName,
    },
    onnotice: () => {},
  });
  const db = drizzlePostgres({ client, schema, casing }) as unknown as Db;
  const database: Database = {
    db,
    driver: "postgres",
    ping: async () => {
      await db.execute(sql`select 1`);
    },
    poolStats: async () => {
      const rows = await client<{ state: string | null; n: number }[]>`
        select state, count(*)::int as n from pg_stat_activity
        where application_name = ${applicationName} group by state`;
      const count = (state: string) => rows.find((row) => row.state === state)?.n ?? 0;
      return { max, active: count("active"), idle: count("idle") + count("idle in transaction") };
    },
    close: () => client.end({ timeout: 5 }),
  };
  postgresTargets.set(database, { url, connectTimeoutSeconds, preparedStatements });
  return database;
}
