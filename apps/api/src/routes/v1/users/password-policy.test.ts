import { testDatabaseKinds } from "@app/core/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestApp, type TestApp } from "#test-support";

describe.each(testDatabaseKinds)("password policy on %s", (kind) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp(kind);
  });
  afterAll(async () => {
    await t.dispose();
  });

  describe("GET /v1/users/password-policy", () => {
    it("tells anyone the rules for a new password, the contract's floor by default", async () => {
      const response = await t.request("/v1/users/password-policy");
      expect(response.status).toBe(200);
      expect(response.headers.get("content-type")).toMatch(/^application\/json/);
      expect(await response.json()).toEqual({ min_length: 8, max_bytes: 72 });
    });
  });
});
