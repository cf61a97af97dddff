import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openTestDatabase, type TestDatabase } from "../src/test-support/index.js";
import { main } from "./register-and-find.js";

describe("examples/register-and-find.ts", () => {
  let t: TestDatabase;
  beforeAll(async () => {
    t = await openTestDatabase("postgres");
  });
  afterAll(async () => {
    await t.dispose();
  });

  it("registers, finds and authenticates a user without HTTP, as the README shows", async () => {
    const printed: string[] = [];
    const lines = await main({ url: t.url, log: (line) => printed.push(line) });
    expect(printed).toEqual(lines);
    expect(lines).toEqual([
      expect.stringMatching(/^registered grace-[0-9a-f]{8}@example\.com as [0-9a-f-]{36}$/),
      expect.stringMatching(/^found Grace Hopper <grace-[0-9a-f]{8}@example\.com>, active: true$/),
      expect.stringMatching(/^password checks out for grace-/),
      "second registration refused: EMAIL_TAKEN",
    ]);
  });
});
