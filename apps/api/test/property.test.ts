/**
 * Property-based tests: whatever a client throws at the register and login bodies (any JSON value,
 * any string, unicode, huge numbers, deep nesting, the right keys with the wrong things in them), the
 * answer is never a 5xx, and every error is problem+json.
 */
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestApp, type TestApp } from "./support/test-app.js";

const RUNS = 200;
const PATHS = ["/v1/users/", "/v1/users/login"] as const;

/** Values that stress parsers and validators: unicode, lone surrogates, huge and odd numbers, nesting. */
const nasty = fc.oneof(
  fc.jsonValue({ maxDepth: 6 }),
  fc.string({ unit: "grapheme", maxLength: 300 }),
  fc.string({ unit: "binary", maxLength: 100 }),
  fc.constantFrom(1e308, -1e308, 2 ** 53 + 1, -0, 0.1, Number.MAX_SAFE_INTEGER),
  fc.bigInt().map((n) => n.toString()),
  fc
    .integer({ min: 1, max: 3000 })
    .map((depth) => JSON.parse(`${"[".repeat(depth)}${"]".repeat(depth)}`) as unknown),
  fc.constantFrom("", " ", "\u0000", "\uFEFF", "a@b", "é".repeat(40), "🔑".repeat(20), "x".repeat(5000)),
);

/** Bodies shaped like the real thing, with any value in any field, plus extra keys. */
const credentialsLike = fc.record(
  {
    email: fc.oneof(nasty, fc.emailAddress()),
    password: fc.oneof(nasty, fc.string({ minLength: 8, maxLength: 40 })),
    full_name: nasty,
    username: nasty,
    is_superuser: nasty,
    __proto__: nasty,
  },
  { requiredKeys: [] },
);

describe("register and login bodies under arbitrary input (PostgreSQL)", () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp("postgres");
  });
  afterAll(async () => {
    await t.dispose();
  });

  async function expectNoServerError(response: Response) {
    expect(response.status).toBeLessThan(500);
    if (response.status >= 400) {
      expect(response.headers.get("content-type")).toBe("application/problem+json");
      const body = (await response.json()) as { status: number; type: string; title: string };
      expect(body.status).toBe(response.status);
      expect(typeof body.type).toBe("string");
      expect(typeof body.title).toBe("string");
    } else {
      await response.arrayBuffer();
    }
  }

  it("any JSON value as the body: never a 5xx, errors are problem+json", async () => {
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...PATHS), fc.oneof(nasty, credentialsLike), async (path, value) => {
        await expectNoServerError(await t.postJson(path, value));
      }),
      { numRuns: RUNS },
    );
  });

  it("any string as the raw body, under either media type: never a 5xx", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...PATHS),
        fc.constantFrom(
          "application/json",
          "application/x-www-form-urlencoded",
          "text/plain",
          "application/json; charset=utf-16",
        ),
        fc.oneof(fc.string({ unit: "grapheme", maxLength: 500 }), fc.json({ maxDepth: 4 })),
        async (path, contentType, body) => {
          await expectNoServerError(
            await t.request(path, { method: "POST", headers: { "content-type": contentType }, body }),
          );
        },
      ),
      { numRuns: RUNS },
    );
  });
});
