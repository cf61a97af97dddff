import { testDatabaseKinds, uniqueEmail } from "@app/core/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestApp, expectProblem, GENEROUS_RATE_LIMITS, type TestApp } from "#test-support";

const PASSWORD = "correct horse battery";

/**
 * `PATCH /v1/users/me` must not be an email-existence oracle: a new email needs the password, and
 * email changes are budgeted per user and per new address, and wrong passwords per account.
 */
describe.each(testDatabaseKinds)("email changes on %s", (kind) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp(kind, {
      rateLimits: {
        ...GENEROUS_RATE_LIMITS,
        emailChangePerUser: 3,
        emailChangePerNewEmail: 2,
        loginPerAccount: 4,
      },
    });
  });
  afterAll(async () => {
    await t.dispose();
  });

  const patchMe = (token: string, body: unknown) =>
    t.request("/v1/users/me", {
      method: "PATCH",
      headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
      body: JSON.stringify(body),
    });

  async function signedIn(label: string) {
    const email = uniqueEmail(label);
    await t.register(email, PASSWORD);
    return { email, token: await t.login(email, PASSWORD) };
  }

  async function expectRateLimited(response: Response) {
    await expectProblem(response, 429);
    expect(Number(response.headers.get("retry-after"))).toBeGreaterThanOrEqual(1);
  }

  it("probing taken addresses without the password learns nothing: no 409 and, soon, 429", async () => {
    const taken = await signedIn("taken");
    const prober = await signedIn("prober");
    const statuses: number[] = [];
    for (const email of [taken.email, taken.email.toUpperCase(), uniqueEmail("free"), taken.email]) {
      statuses.push((await patchMe(prober.token, { email, current_password: "a guess" })).status);
    }
    // Three changes per user; the fourth is refused before the password is even looked at.
    expect(statuses).toEqual([401, 401, 401, 429]);
    await expectRateLimited(
      await patchMe(prober.token, { email: uniqueEmail("x"), current_password: PASSWORD }),
    );
    // A name change is not an email change and stays available.
    expect((await patchMe(prober.token, { full_name: "Still Here" })).status).toBe(200);
  });

  it("one new address can be targeted only so often, from any number of accounts", async () => {
    const target = uniqueEmail("target");
    const first = await signedIn("first");
    const second = await signedIn("second");
    const third = await signedIn("third");
    expect((await patchMe(first.token, { email: target, current_password: "wrong one" })).status).toBe(401);
    expect((await patchMe(second.token, { email: target, current_password: "wrong two" })).status).toBe(401);
    await expectRateLimited(await patchMe(third.token, { email: target, current_password: PASSWORD }));
    // Another address is still fine for the same account.
    const other = uniqueEmail("elsewhere");
    const moved = await patchMe(third.token, { email: other, current_password: PASSWORD });
    expect(moved.status).toBe(200);
    expect(await moved.json()).toMatchObject({ email: other, email_verified: false });
  });

  it("wrong current passwords count against the account's login budget", async () => {
    const victim = await signedIn("victim");
    // Four attempts in the login budget: three wrong passwords here, then only one login is left.
    for (const guess of ["guess one", "guess two", "guess three"]) {
      const wrong = await patchMe(victim.token, { email: uniqueEmail("g"), current_password: guess });
      expect((await expectProblem(wrong, 401)).type).toBe("/problems/incorrect-password");
    }
    expect(
      (await t.postJson("/v1/users/login", { email: victim.email, password: "guess four" })).status,
    ).toBe(401);
    await expectRateLimited(await t.postJson("/v1/users/login", { email: victim.email, password: PASSWORD }));
  });
});
