import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { oneTimeTokens } from "../db/schema.js";
import { InvalidResetTokenError, InvalidVerificationTokenError } from "../errors.js";
import { hashOneTimeToken } from "../one-time-tokens/one-time-token-repository.js";
import {
  createCountingHasher,
  uniqueEmail as email,
  openTestDatabase,
  type TestDatabase,
  testDatabaseKinds,
} from "../test-support/index.js";
import { type AccountRecoveryService, createAccountRecoveryService } from "./account-recovery-service.js";
import { tokensValidFrom } from "./user.js";
import { getUserByEmail, updateUser } from "./user-repository.js";
import { createUserService, type UserService } from "./user-service.js";

const PASSWORD = "correct horse battery";
const MINUTE = 60_000;

describe.each(testDatabaseKinds)("account recovery on %s", (kind) => {
  let t: TestDatabase;
  let users: UserService;
  let recovery: AccountRecoveryService;
  let clock: Date;
  const passwords = createCountingHasher().hasher;
  beforeAll(async () => {
    t = await openTestDatabase(kind);
    users = createUserService({ db: t.database.db, passwords });
    recovery = createAccountRecoveryService({ db: t.database.db, passwords, now: () => clock });
  });
  afterAll(async () => {
    await t.dispose();
  });
  const at = (offsetMs: number) => {
    clock = new Date(Date.now() + offsetMs);
  };

  it("resets a password once with a 32-byte token stored only as its hash, and refuses earlier access tokens", async () => {
    at(0);
    const user = await users.register({ email: email("reset"), password: PASSWORD });
    const sent = await recovery.requestPasswordReset(` ${user.email.toUpperCase()} `);
    if (!sent) throw new Error("no token issued");
    expect(Buffer.from(sent.token, "base64url")).toHaveLength(32);
    expect(sent.expiresAt.getTime() - clock.getTime()).toBe(30 * MINUTE);
    const rows = await t.database.db.select().from(oneTimeTokens).where(sql`user_id = ${user.id}`);
    expect(rows).toHaveLength(1);
    expect(rows[0]?.tokenHash).toBe(hashOneTimeToken(sent.token));
    expect(JSON.stringify(rows)).not.toContain(sent.token);

    const updated = await recovery.resetPassword({
      token: sent.token,
      newPassword: "a brand new passphrase",
    });
    expect(tokensValidFrom(updated)).toBeGreaterThan(tokensValidFrom(user));
    expect(updated.emailVerifiedAt).not.toBeNull();
    await expect(
      users.authenticate({ email: user.email, password: "a brand new passphrase" }),
    ).resolves.toMatchObject({ id: user.id });
    await expect(
      recovery.resetPassword({ token: sent.token, newPassword: "yet another passphrase" }),
    ).rejects.toBeInstanceOf(InvalidResetTokenError);
  });

  it("returns null for an unknown or deactivated email", async () => {
    at(0);
    expect(await recovery.requestPasswordReset(email("nobody"))).toBeNull();
    const user = await users.register({ email: email("inactive"), password: PASSWORD });
    await updateUser(t.database.db, user.id, { isActive: false });
    expect(await recovery.requestPasswordReset(user.email)).toBeNull();
  });

  it("refuses an expired token, an unknown one, and every older link once one is used", async () => {
    at(0);
    const user = await users.register({ email: email("expiry"), password: PASSWORD });
    const old = await recovery.requestPasswordReset(user.email);
    const first = await recovery.requestPasswordReset(user.email);
    const second = await recovery.requestPasswordReset(user.email);
    if (!old || !first || !second) throw new Error("no token issued");
    at(30 * MINUTE + 1);
    await expect(
      recovery.resetPassword({ token: first.token, newPassword: "too late passphrase" }),
    ).rejects.toBeInstanceOf(InvalidResetTokenError);
    await expect(
      recovery.resetPassword({ token: "not-a-token", newPassword: "too late passphrase" }),
    ).rejects.toBeInstanceOf(InvalidResetTokenError);
    at(29 * MINUTE);
    await recovery.resetPassword({ token: second.token, newPassword: "in time passphrase" });
    await expect(
      recovery.resetPassword({ token: old.token, newPassword: "older link passphrase" }),
    ).rejects.toBeInstanceOf(InvalidResetTokenError);
    const record = await getUserByEmail(t.database.db, user.email);
    expect(await passwords.verify("in time passphrase", record?.hashedPassword ?? "")).toBe(true);
  });

  it("lets exactly one of several concurrent redemptions of a token win", async () => {
    at(0);
    const user = await users.register({ email: email("race"), password: PASSWORD });
    const sent = await recovery.requestPasswordReset(user.email);
    if (!sent) throw new Error("no token issued");
    const outcomes = await Promise.allSettled(
      Array.from({ length: 6 }, (_, i) =>
        recovery.resetPassword({ token: sent.token, newPassword: `racing passphrase ${i}` }),
      ),
    );
    expect(outcomes.filter((o) => o.status === "fulfilled")).toHaveLength(1);
  });

  it("verifies an email once, within 24 hours, and only while it is still the user's email", async () => {
    at(0);
    const user = await users.register({ email: email("verify"), password: PASSWORD });
    expect(user.emailVerifiedAt).toBeNull();
    const expired = await recovery.requestEmailVerification(user.id);
    const sent = await recovery.requestEmailVerification(user.id);
    if (!sent || !expired) throw new Error("no token issued");
    expect(sent.expiresAt.getTime() - clock.getTime()).toBe(24 * 60 * MINUTE);
    at(24 * 60 * MINUTE + 1);
    await expect(recovery.verifyEmail(expired.token)).rejects.toBeInstanceOf(InvalidVerificationTokenError);
    at(60 * MINUTE);
    const verified = await recovery.verifyEmail(sent.token);
    expect(verified.emailVerifiedAt).toEqual(clock);
    await expect(recovery.verifyEmail(sent.token)).rejects.toBeInstanceOf(InvalidVerificationTokenError);
    expect(await recovery.requestEmailVerification(user.id)).toBeNull();

    // Changing the email clears verification; a link to the old address no longer verifies anything.
    const stale = await users.updateProfile(user.id, { email: user.email.toUpperCase() });
    expect(stale.emailVerifiedAt).toEqual(clock);
    const changed = await users.updateProfile(user.id, { email: email("moved") });
    expect(changed.emailVerifiedAt).toBeNull();
    const toNew = await recovery.requestEmailVerification(user.id);
    await users.updateProfile(user.id, { email: email("moved-again") });
    if (!toNew) throw new Error("no token issued");
    await expect(recovery.verifyEmail(toNew.token)).rejects.toBeInstanceOf(InvalidVerificationTokenError);
  });

  it("does not accept a reset token as a verification token, nor the other way round", async () => {
    at(0);
    const user = await users.register({ email: email("purpose"), password: PASSWORD });
    const reset = await recovery.requestPasswordReset(user.email);
    const verify = await recovery.requestEmailVerification(user.id);
    if (!reset || !verify) throw new Error("no token issued");
    await expect(recovery.verifyEmail(reset.token)).rejects.toBeInstanceOf(InvalidVerificationTokenError);
    await expect(
      recovery.resetPassword({ token: verify.token, newPassword: "cross purpose phrase" }),
    ).rejects.toBeInstanceOf(InvalidResetTokenError);
  });
});
