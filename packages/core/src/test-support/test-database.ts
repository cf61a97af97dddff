import { randomBytes } from "node:crypto";
import { readFile } from "node:fs/promises";
import { PGlite } from "@electric-sql/pglite";
import postgres from "postgres";
import { inject } from "vitest";
import { createDatabase, type Database } from "../db/client.js";
import { migrateDatabase } from "../db/migrate.js";
import { postgresUnavailableMessage, testDatabaseUrl } from "./postgres-server.js";

declare module "vitest" {
  export interface ProvidedContext {
    /** Set by global-setup.ts: a tarball of a migrated PGlite data directory. */
    pgliteTemplatePath: string;
  }
}

export const testDatabaseKinds = ["postgres", "pglite"] as const;
export type TestDatabaseKind = (typeof testDatabaseKinds)[number];

export interface TestDatabase {
  database: Database;
  /** For postgres: the URL of the throwaway database (other processes can connect to it). */
  url: string | undefined;
  dispose(): Promise<void>;
}

/**
 * A fresh, migrated database of the given kind. On PostgreSQL it is a new throwaway database on the
 * server at TEST_DATABASE_URL, dropped on dispose; if that server cannot be reached the test fails:
 * database tests never skip.
 */
export async function openTestDatabase(
  kind: TestDatabaseKind,
  options: { poolSize?: number } = {},
): Promise<TestDatabase> {
  return kind === "postgres" ? openPostgres(options.poolSize ?? 5) : openPglite();
}

let template: Promise<Blob> | undefined;

async function openPglite(): Promise<TestDatabase> {
  template ??= readFile(inject("pgliteTemplatePath")).then((bytes) => new Blob([bytes]));
  const pglite = await PGlite.create({ loadDataDir: await template });
  const database = await createDatabase({ pglite });
  return { database, url: undefined, dispose: () => database.close() };
}

async function openPostgres(poolSize: number): Promise<TestDatabase> {
  const serverUrl = testDatabaseUrl();
  const admin = postgres(serverUrl, { max: 1, onnotice: () => {}, connect_timeout: 5 });
  const name = `um_test_${randomBytes(6).toString("hex")}`;
  try {
    await admin.unsafe(`create database ${name}`);
  } catch (error) {
    await admin.end({ timeout: 1 });
    throw new Error(postgresUnavailableMessage(serverUrl, error));
  }
  const url = withDatabase(serverUrl, name);
  const database = await createDatabase({ url, poolSize });
  await migrateDatabase(database);
  return {
    database,
    url,
    async dispose() {
      await database.close();
      await admin.unsafe(`drop database if exists ${name} with (force)`);
      await admin.end({ timeout: 5 });
    },
  };
}

/** The same server URL, pointing at another database. */
export function withDatabase(serverUrl: string, database: string): string {
  const url = new URL(serverUrl);
  url.pathname = `/${database}`;
  return url.toString();
}

let emailCounter = 0;
/** An address no other test in this run (or an earlier run on the same server) has used. */
export function uniqueEmail(tag = "user"): string {
  emailCounter += 1;
  return `${tag}-${Date.now()}-${emailCounter}@example.com`;
}
