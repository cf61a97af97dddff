/**
 * A PostgreSQL server that is up but refuses this service's database — it does not exist (3D000), or
 * does not accept connections right now (`ALLOW_CONNECTIONS false` → 55000) — is the database being
 * unavailable: 503 problem+json with Retry-After, never a 500.
 */
import { createDatabase, type Database } from "@app/core";
import { openTestDatabase, testDatabaseUrl, uniqueEmail } from "@app/core/testing";
import { describe, expect, it } from "vitest";
import { expectProblem } from "./support/problem.js";
import { createTestApp } from "./support/test-app.js";

function databaseUrl(name: string): string {
  const url = new URL(testDatabaseUrl());
  url.pathname = `/${name}`;
  return url.toString();
}

async function expectUnavailableThrough(database: Database, url: string, sqlState: string) {
  const t = await createTestApp(
    "postgres",
    {},
    { database: { database, url, dispose: () => database.close() } },
  );
  try {
    const register = await t.postJson("/v1/users/", {
      email: uniqueEmail("refused"),
      password: "correct horse battery",
    });
    await expectProblem(register, 503);
    expect(Number(register.headers.get("retry-after"))).toBeGreaterThanOrEqual(1);
    const login = await t.postJson("/v1/users/login", {
      email: uniqueEmail("refused"),
      password: "correct horse battery",
    });
    await expectProblem(login, 503);
    expect((await t.request("/ready")).status).toBe(503);
    const failures = t.logs.lines.filter((line) => line.includes('"request failed"'));
    expect(failures.join("\n")).toContain(`"sqlState":"${sqlState}"`);
  } finally {
    await t.dispose();
  }
}

describe("database refused by a running PostgreSQL server", () => {
  it("a database that does not exist (3D000) answers 503 with Retry-After, not 500", async () => {
    const url = databaseUrl(`um_missing_${Date.now()}`);
    const database = await createDatabase({ url, poolSize: 2, connectTimeoutSeconds: 2 });
    await expectUnavailableThrough(database, url, "3D000");
  });

  it("a database that does not accept connections (ALLOW_CONNECTIONS false, 55000) answers 503, not 500", async () => {
    const throwaway = await openTestDatabase("postgres");
    const admin = await createDatabase({ url: testDatabaseUrl(), poolSize: 1 });
    const name = new URL(throwaway.url ?? "").pathname.slice(1);
    try {
      await throwaway.database.close();
      await admin.db.execute(`alter database ${name} allow_connections false`);
      const url = throwaway.url ?? "";
      await expectUnavailableThrough(
        await createDatabase({ url, poolSize: 2, connectTimeoutSeconds: 2 }),
        url,
        "55000",
      );
    } finally {
      await admin.db.execute(`alter database ${name} allow_connections true`);
      await admin.close();
      await throwaway.dispose();
    }
  });
});
