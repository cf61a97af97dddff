/**
 * Vitest globalSetup: checks once that the PostgreSQL server at TEST_DATABASE_URL answers (so a missing
 * server is one clear failure before any test runs, not a failure per suite), then builds one migrated
 * PGlite database per test run and saves it as a tarball, so each test opens a copy in ~1 s instead of
 * paying PGlite's ~9 s initdb. Other packages reuse it with
 * `globalSetup: ["../../packages/core/src/test-support/global-setup.ts"]` in their vitest config.
 */
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PGlite } from "@electric-sql/pglite";
import type { TestProject } from "vitest/node";
import { createDatabase } from "../db/client.js";
import { migrateDatabase } from "../db/migrate.js";
import { assertPostgresReachable } from "./postgres-server.js";

let folder: string | undefined;

export async function setup(project: TestProject): Promise<void> {
  await assertPostgresReachable();
  folder = await mkdtemp(join(tmpdir(), "um-pglite-template-"));
  const pglite = await PGlite.create("memory://");
  const database = await createDatabase({ pglite });
  await migrateDatabase(database);
  const dump = await pglite.dumpDataDir("none");
  await database.close();
  const path = join(folder, "template.tar");
  await writeFile(path, Buffer.from(await dump.arrayBuffer()));
  project.provide("pgliteTemplatePath", path);
}

export async function teardown(): Promise<void> {
  if (folder) await rm(folder, { recursive: true, force: true });
}
