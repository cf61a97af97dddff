import { uniqueEmail } from "@app/core/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestApp, type TestApp } from "#test-support";

const gauge = (text: string, state: string) => {
  const match = new RegExp(`^db_pool_connections\\{state="${state}"[^}]*\\} (\\d+)$`, "m").exec(text);
  return match ? Number(match[1]) : undefined;
};

describe("the pool gauges on PostgreSQL", () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp("postgres");
  });
  afterAll(async () => {
    await t.dispose();
  });

  it("count this process's connections, so they read more than 0 once the pool is in use", async () => {
    await Promise.all([t.register(uniqueEmail("pool")), t.register(uniqueEmail("pool"))]);
    const text = await (await t.request("/metrics")).text();
    const active = gauge(text, "active");
    const idle = gauge(text, "idle");
    const max = gauge(text, "max");
    expect(active).toBeDefined();
    expect(idle).toBeDefined();
    // The scrape's own query runs on one of the pool's connections, so at least that one is active.
    expect(active).toBeGreaterThanOrEqual(1);
    expect((active ?? 0) + (idle ?? 0)).toBeLessThanOrEqual(max ?? 0);
  });
});
