import { decodeBase32IgnorePadding } from "@oslojs/encoding";
import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { refreshTokens } from "../db/schema.js";
import {
  EmailNotVerifiedError,
  InvalidCredentialsError,
  MfaRequiredError,
  RateLimitedError,
} from "../errors.js";
import { createMfaService, type MfaService } from "../mfa/mfa-service.js";
import { totpCodeForStep, totpStepAt } from "../mfa/totp.js";
import {
  createCountingHasher,
  openTestDatabase,
  type TestDatabase,
  testDatabaseKinds,
  uniqueEmail,
} from "../test-support/index.js";
import { createUserService, type UserService } from "../users/user-service.js";
import { createSessionService, type SessionService } from "./session-service.js";
import { createSignIn, type PasswordGuessBudget } from "./sign-in.js";

const PASSWORD = "correct horse battery";

/** A budget of `limit` consecutive checks per email, recording what it was asked. */
function countingBudget(limit: number): PasswordGuessBudget & { spent: Map<string, number>; log: string[] } {
  const spent = new Map<string, number>();
  const log: string[] = [];
  return {
    spent,
    log,
    async spend(email) {
      log.push(`spend ${email}`);
      const count = (spent.get(email) ?? 0) + 1;
      spent.set(email, count);
      if (count > limit) throw new RateLimitedError(60);
    },
    async clearAfterSuccess(email) {
      log.push(`clear ${email}`);
      spent.delete(email);
    },
  };
}

describe.each(testDatabaseKinds)("sign-in on %s", (kind) => {
  let t: TestDatabase;
  let users: UserService;
  let sessions: SessionService;
  let mfa: MfaService;
  const counting = createCountingHasher();
  beforeAll(async () => {
    t = await openTestDatabase(kind);
    users = createUserService({ db: t.database.db, passwords: counting.hasher });
    sessions = createSessionService({
      db: t.database.db,
      secret: "sign-in-test-secret-0123456789abcdef",
      accessTokens: {
        issue: async ({ subject, amr }) => ({ token: `access.${subject}.${amr?.join(" ")}`, expiresIn: 900 }),
      },
    });
    mfa = createMfaService({
      db: t.database.db,
      passwords: counting.hasher,
      secret: "sign-in-test-secret-0123456789abcdef",
      issuer: "sign-in test",
      webauthn: { rpId: "localhost", rpName: "sign-in test", origins: ["http://localhost"] },
    });
  });
  afterAll(async () => {
    await t.dispose();
  });

  it("spends the budget before the password, clears it on success and starts a session", async () => {
    const email = uniqueEmail("sign-in");
    const registered = await users.register({ email, password: PASSWORD });
    const signIn = createSignIn({ users, sessions, requireVerifiedEmail: false });
    const budget = countingBudget(3);
    await expect(signIn({ email, password: "wrong password!" }, budget)).rejects.toBeInstanceOf(
      InvalidCredentialsError,
    );
    expect(budget.spent.get(email)).toBe(1);
    const { user, tokens } = await signIn({ email, password: PASSWORD }, budget);
    expect(user.id).toBe(registered.id);
    // A password sign-in says so in the access token (RFC 8176 `amr`).
    expect(tokens.accessToken).toBe(`access.${registered.id}.pwd`);
    expect(budget.log).toEqual([`spend ${email}`, `spend ${email}`, `clear ${email}`]);
    expect(budget.spent.has(email)).toBe(false);
  });

  it("over the budget refuses even the right password, without checking it", async () => {
    const email = uniqueEmail("over");
    await users.register({ email, password: PASSWORD });
    const signIn = createSignIn({ users, sessions, requireVerifiedEmail: false });
    const budget = countingBudget(1);
    await expect(signIn({ email, password: "wrong password!" }, budget)).rejects.toBeInstanceOf(
      InvalidCredentialsError,
    );
    const verifies = counting.calls.verify;
    await expect(signIn({ email, password: PASSWORD }, budget)).rejects.toBeInstanceOf(RateLimitedError);
    expect(counting.calls.verify).toBe(verifies);
    expect(budget.log).not.toContain(`clear ${email}`);
  });

  it("refuses an unverified email only after the right password, and then the budget is cleared", async () => {
    const email = uniqueEmail("unverified");
    await users.register({ email, password: PASSWORD });
    const signIn = createSignIn({ users, sessions, requireVerifiedEmail: true });
    const budget = countingBudget(3);
    await expect(signIn({ email, password: "wrong password!" }, budget)).rejects.toBeInstanceOf(
      InvalidCredentialsError,
    );
    await expect(signIn({ email, password: PASSWORD }, budget)).rejects.toBeInstanceOf(EmailNotVerifiedError);
    expect(budget.log).toEqual([`spend ${email}`, `spend ${email}`, `clear ${email}`]);
  });

  it("with a second factor answers MfaRequiredError, starts no session and leaves the budget counting", async () => {
    const email = uniqueEmail("second-factor");
    const registered = await users.register({ email, password: PASSWORD });
    const { secret } = await mfa.beginTotpSetup(registered.id, PASSWORD);
    await mfa.confirmTotp(
      registered.id,
      totpCodeForStep(decodeBase32IgnorePadding(secret), totpStepAt(Date.now())),
    );
    const signIn = createSignIn({ users, sessions, requireVerifiedEmail: false, secondFactor: mfa });
    const budget = countingBudget(3);
    const refused = await signIn({ email, password: PASSWORD }, budget).catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(MfaRequiredError);
    expect((refused as MfaRequiredError).methods).toContain("totp");
    expect((refused as MfaRequiredError).mfaToken).toEqual(expect.any(String));
    // Only the finished second step clears it, or each right password would buy a new round of code guesses.
    expect(budget.log).toEqual([`spend ${email}`]);
    const sessionRows = await t.database.db
      .select()
      .from(refreshTokens)
      .where(eq(refreshTokens.userId, registered.id));
    expect(sessionRows).toHaveLength(0);
  });

  it("without a second factor, the gate lets the password sign in and clears the budget", async () => {
    const email = uniqueEmail("no-second-factor");
    await users.register({ email, password: PASSWORD });
    const signIn = createSignIn({ users, sessions, requireVerifiedEmail: false, secondFactor: mfa });
    const budget = countingBudget(3);
    const { tokens } = await signIn({ email, password: PASSWORD }, budget);
    expect(tokens.refreshToken).toEqual(expect.any(String));
    expect(budget.log).toEqual([`spend ${email}`, `clear ${email}`]);
  });
});
