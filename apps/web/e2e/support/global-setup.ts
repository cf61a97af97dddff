/**
 * Starts the real server once for the end-to-end files: the built API (apps/api/dist/server.js) on a
 * fresh embedded database, serving the built web app (apps/web/dist). An administrator is written into
 * the database before the server opens it, because no public route creates one.
 */
import { existsSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { createPasswordHasher } from "@app/auth";
import { createDatabase, createUser, migrateDatabase } from "@app/core";
import type { TestProject } from "vitest/node";
import { type RunningServer, startServer } from "../../../api/test/support/server-process.js";
import { chromiumExecutable } from "./browser.js";
import { ADMIN, E2E_JWT_SECRET } from "./fixtures.js";

const WEB_INDEX = fileURLToPath(new URL("../../dist/index.html", import.meta.url));

declare module "vitest" {
  export interface ProvidedContext {
    baseUrl: string;
  }
}

let server: RunningServer | undefined;
let dataDir: string | undefined;

export async function setup(project: TestProject): Promise<void> {
  // Once, before any file: a missing browser is one clear failure, not one per file.
  chromiumExecutable();
  if (!existsSync(WEB_INDEX)) throw new Error(`${WEB_INDEX} is missing: build @app/web first (turbo does)`);
  dataDir = await mkdtemp(join(tmpdir(), "web-e2e-"));
  const database = await createDatabase({ dataDir });
  try {
    await migrateDatabase(database);
    const hashedPassword = await createPasswordHasher({ cost: 4 }).hash(ADMIN.password);
    await createUser(database.db, {
      email: ADMIN.email,
      hashedPassword,
      fullName: ADMIN.fullName,
      isSuperuser: true,
    });
  } finally {
    await database.close();
  }
  server = await startServer({
    DATA_DIR: dataDir,
    BCRYPT_COST: "4",
    NODE_ENV: "test",
    JWT_SECRET: E2E_JWT_SECRET,
    // Every test registers and signs in from 127.0.0.1: the per-address budgets are for one client, not
    // for a whole suite sharing one server, and no browser test is about rate limits.
    REGISTER_LIMIT_PER_ADDRESS: "1000",
    LOGIN_LIMIT_PER_ADDRESS: "1000",
  });
  project.provide("baseUrl", server.url);
}

export async function teardown(): Promise<void> {
  await server?.stop();
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
}
