import { createPasswordHasher } from "@app/auth";
import { createUser, issueOneTimeToken, oneTimeTokens } from "@app/core";
import { openTestDatabase, type TestDatabase, uniqueEmail } from "@app/core/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadConfig } from "../src/config.js";
import { createLogger } from "../src/logger.js";
import { startMaintenance } from "../src/maintenance.js";
import { createMetrics } from "../src/metrics.js";
import { runtimes, startServer } from "./support/server-process.js";
import { captureLogs } from "./support/test-app.js";

const HOUR = 3600_000;

async function seedStaleTokens(t: TestDatabase) {
  const user = await createUser(t.database.db, {
    email: uniqueEmail("sweep"),
    hashedPassword: await createPasswordHasher({ cost: 4 }).hash("correct horse battery"),
    fullName: null,
  });
  const issue = (expiresAt: number) =>
    issueOneTimeToken(t.database.db, {
      purpose: "password_reset",
      userId: user.id,
      email: user.email,
      expiresAt: new Date(expiresAt),
      now: new Date(Date.now() - 2 * HOUR),
    });
  for (let i = 0; i < 5; i++) await issue(Date.now() - HOUR);
  await issue(Date.now() + HOUR);
  const count = async () =>
    (await t.database.db.select().from(oneTimeTokens)).filter((row) => row.userId === user.id).length;
  return { count };
}

async function waitFor(check: () => Promise<boolean>, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return true;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  return check();
}

describe("scheduled sweep of spent tokens", () => {
  let t: TestDatabase;
  beforeAll(async () => {
    t = await openTestDatabase("postgres");
  });
  afterAll(async () => {
    await t.dispose();
  });

  it("MAINTENANCE_INTERVAL_SECONDS and MAINTENANCE_BATCH_SIZE: defaults and overrides", () => {
    expect(loadConfig({}).maintenance).toEqual({
      intervalSeconds: 600,
      batchSize: 1000,
      auditRetentionDays: 365,
    });
    expect(
      loadConfig({
        MAINTENANCE_INTERVAL_SECONDS: "0",
        MAINTENANCE_BATCH_SIZE: "50",
        AUDIT_RETENTION_DAYS: "30",
      }).maintenance,
    ).toEqual({ intervalSeconds: 0, batchSize: 50, auditRetentionDays: 30 });
  });

  it("runs in batches, stop() waits for the sweep in progress, and /metrics counts what it removed", async () => {
    const { count } = await seedStaleTokens(t);
    const logs = captureLogs();
    const metrics = createMetrics();
    const maintenance = startMaintenance({
      database: t.database,
      logger: createLogger({ env: "test", logLevel: "info" }, logs.stream),
      settings: { intervalSeconds: 0, batchSize: 2 },
      metrics,
    });
    const sweeping = maintenance.runOnce();
    await maintenance.stop();
    expect(await count()).toBe(1);
    const removed = (await sweeping)?.oneTimeTokens ?? 0;
    expect(removed).toBeGreaterThanOrEqual(5);
    expect(await metrics.registry.metrics()).toContain(
      `maintenance_swept_rows_total{table="oneTimeTokens",service="user-management-api"} ${removed}`,
    );
  });

  it.each(runtimes)(
    "the %s entry sweeps on its interval and stops cleanly on SIGTERM",
    async (runtime) => {
      if (!t.url) throw new Error("needs PostgreSQL");
      const { count } = await seedStaleTokens(t);
      const server = await startServer(
        {
          DATABASE_URL: t.url,
          BCRYPT_COST: "4",
          JWT_SECRET: "maintenance-test-secret-0123456789abcdef",
          MAINTENANCE_INTERVAL_SECONDS: "1",
          MAINTENANCE_BATCH_SIZE: "2",
        },
        { runtime },
      );
      try {
        expect(await waitFor(async () => (await count()) === 1, 30_000)).toBe(true);
        // The line is written once the whole run (every table) is over, a moment after these rows went.
        expect(
          await waitFor(async () => server.output().includes('"msg":"swept stale tokens"'), 30_000),
        ).toBe(true);
      } finally {
        expect(await server.stop("SIGTERM")).toBe(0);
      }
    },
    90_000,
  );
});
