import { setTimeout as sleep } from "node:timers/promises";
import { decodeBase32IgnorePadding } from "@oslojs/encoding";
import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { users as usersTable } from "../db/schema.js";
import { InvalidCredentialsError, MfaRequiredError } from "../errors.js";
import { createMfaService } from "../mfa/mfa-service.js";
import { totpCodeForStep, totpStepAt } from "../mfa/totp.js";
import type { PasswordHasher } from "../ports.js";
import {
  createCountingHasher,
  openTestDatabase,
  type TestDatabase,
  testDatabaseKinds,
  uniqueEmail,
} from "../test-support/index.js";
import { createUserService, type UserService } from "../users/user-service.js";
import { createSessionService, type SessionService } from "./session-service.js";
import { createSignIn, type PasswordGuessBudget, type SignIn } from "./sign-in.js";

const OLD_PASSWORD = "correct horse battery";
const NEW_PASSWORD = "another staple entirely";
const SECRET = "rehash-test-secret-0123456789abcdef";
const noBudget: PasswordGuessBudget = { spend: async () => {}, clearAfterSuccess: async () => {} };

/** A hasher that takes `ms` per hash and verify, as a real one does, so concurrent requests overlap. */
function slow(hasher: Required<PasswordHasher>, ms: number): Required<PasswordHasher> {
  return {
    async hash(plain) {
      await sleep(ms);
      return hasher.hash(plain);
    },
    async verify(plain, hashed) {
      await sleep(ms);
      return hasher.verify(plain, hashed);
    },
    needsRehash: (hashed) => hasher.needsRehash(hashed),
  };
}

describe.each(testDatabaseKinds)("rehash on login on %s", (kind) => {
  let t: TestDatabase;
  let sessions: SessionService;
  /** Registers with the "old" configuration; the services under test run with the "new" one. */
  let oldUsers: UserService;
  const before = createCountingHasher({ scheme: "old", cost: 1 });
  const after = createCountingHasher({ scheme: "new", cost: 2 });

  beforeAll(async () => {
    t = await openTestDatabase(kind, { poolSize: 8 });
    sessions = createSessionService({
      db: t.database.db,
      secret: SECRET,
      accessTokens: { issue: async ({ subject }) => ({ token: `access.${subject}`, expiresIn: 900 }) },
    });
    oldUsers = createUserService({ db: t.database.db, passwords: before.hasher });
  });
  afterAll(async () => {
    await t.dispose();
  });

  const storedRow = async (id: string) => {
    const [row] = await t.database.db.select().from(usersTable).where(eq(usersTable.id, id));
    if (!row) throw new Error("user row missing");
    return row;
  };
  const signInWith = (passwords: PasswordHasher): { users: UserService; signIn: SignIn } => {
    const users = createUserService({ db: t.database.db, passwords });
    return { users, signIn: createSignIn({ users, sessions, requireVerifiedEmail: false }) };
  };

  it("replaces a hash of another algorithm, without moving the token boundary or updated_at", async () => {
    const email = uniqueEmail("rehash-algorithm");
    const registered = await oldUsers.register({ email, password: OLD_PASSWORD });
    const earlier = await sessions.start(registered);
    const stored = await storedRow(registered.id);
    expect(stored.hashedPassword).toMatch(/^old\$1\$/);

    const { signIn } = signInWith(after.hasher);
    const { tokens } = await signIn({ email, password: OLD_PASSWORD }, noBudget);
    expect(tokens.refreshToken).toEqual(expect.any(String));
    const upgraded = await storedRow(registered.id);
    expect(upgraded.hashedPassword).toMatch(/^new\$2\$/);
    expect(await after.hasher.verify(OLD_PASSWORD, upgraded.hashedPassword)).toBe(true);
    // The same password: no token is revoked, nothing the user sees has changed.
    expect(upgraded.passwordChangedAt.getTime()).toBe(stored.passwordChangedAt.getTime());
    expect(upgraded.updatedAt.getTime()).toBe(stored.updatedAt.getTime());
    await expect(sessions.refresh(earlier.refreshToken)).resolves.toMatchObject({
      refreshToken: expect.any(String),
    });
  });

  it("replaces a hash of the same algorithm at a lower cost", async () => {
    const email = uniqueEmail("rehash-cost");
    const cheaper = createCountingHasher({ scheme: "new", cost: 1 });
    const registered = await createUserService({ db: t.database.db, passwords: cheaper.hasher }).register({
      email,
      password: OLD_PASSWORD,
    });
    expect((await storedRow(registered.id)).hashedPassword).toMatch(/^new\$1\$/);
    await signInWith(after.hasher).signIn({ email, password: OLD_PASSWORD }, noBudget);
    expect((await storedRow(registered.id)).hashedPassword).toMatch(/^new\$2\$/);
  });

  it("writes nothing when the stored hash already has the configured algorithm and cost", async () => {
    const email = uniqueEmail("rehash-none");
    const current = createCountingHasher({ scheme: "new", cost: 2 });
    const { users, signIn } = signInWith(current.hasher);
    const registered = await users.register({ email, password: OLD_PASSWORD });
    const stored = await storedRow(registered.id);
    const hashesBefore = current.calls.hash;
    await signIn({ email, password: OLD_PASSWORD }, noBudget);
    expect(current.calls.hash).toBe(hashesBefore);
    const unchanged = await storedRow(registered.id);
    expect(unchanged.hashedPassword).toBe(stored.hashedPassword);
    expect(unchanged.updatedAt.getTime()).toBe(stored.updatedAt.getTime());
  });

  it("keeps a stronger stored hash (no downgrade) and never rehashes after a wrong password", async () => {
    const email = uniqueEmail("rehash-stronger");
    const stronger = createCountingHasher({ scheme: "new", cost: 3 });
    const registered = await createUserService({ db: t.database.db, passwords: stronger.hasher }).register({
      email,
      password: OLD_PASSWORD,
    });
    const stored = (await storedRow(registered.id)).hashedPassword;
    const { signIn } = signInWith(after.hasher);
    await signIn({ email, password: OLD_PASSWORD }, noBudget);
    expect((await storedRow(registered.id)).hashedPassword).toBe(stored);

    const other = uniqueEmail("rehash-wrong");
    const old = await oldUsers.register({ email: other, password: OLD_PASSWORD });
    const oldHash = (await storedRow(old.id)).hashedPassword;
    await expect(signIn({ email: other, password: "not the password" }, noBudget)).rejects.toBeInstanceOf(
      InvalidCredentialsError,
    );
    expect((await storedRow(old.id)).hashedPassword).toBe(oldHash);
  });

  it("with a second factor, rehashes at the password step; the mfa_token stays good", async () => {
    const email = uniqueEmail("rehash-mfa");
    const registered = await oldUsers.register({ email, password: OLD_PASSWORD });
    const mfa = createMfaService({
      db: t.database.db,
      passwords: after.hasher,
      secret: SECRET,
      issuer: "rehash test",
      webauthn: { rpId: "localhost", rpName: "rehash test", origins: ["http://localhost"] },
    });
    const { secret } = await mfa.beginTotpSetup(registered.id, OLD_PASSWORD);
    await mfa.confirmTotp(
      registered.id,
      totpCodeForStep(decodeBase32IgnorePadding(secret), totpStepAt(Date.now())),
    );
    const stored = await storedRow(registered.id);
    const users = createUserService({ db: t.database.db, passwords: after.hasher });
    const signIn = createSignIn({ users, sessions, requireVerifiedEmail: false, secondFactor: mfa });

    const refused = await signIn({ email, password: OLD_PASSWORD }, noBudget).catch(
      (error: unknown) => error,
    );
    expect(refused).toBeInstanceOf(MfaRequiredError);
    const upgraded = await storedRow(registered.id);
    expect(upgraded.hashedPassword).toMatch(/^new\$2\$/);
    expect(upgraded.passwordChangedAt.getTime()).toBe(stored.passwordChangedAt.getTime());
    await expect(mfa.userForMfaToken((refused as MfaRequiredError).mfaToken)).resolves.toMatchObject({
      id: registered.id,
    });
  });

  it("a rehash made before a password change is not stored after it (conditional on the old hash)", async () => {
    const email = uniqueEmail("rehash-stale");
    const registered = await oldUsers.register({ email, password: OLD_PASSWORD });
    const { users } = signInWith(after.hasher);
    const { rehash } = await users.authenticateWithPassword({ email, password: OLD_PASSWORD });
    expect(rehash).toBeDefined();
    await oldUsers.changePassword(registered.id, {
      currentPassword: OLD_PASSWORD,
      newPassword: NEW_PASSWORD,
    });
    const changed = await storedRow(registered.id);
    if (!rehash) throw new Error("no rehash");
    expect(await users.applyPasswordRehash(registered.id, rehash)).toBe(false);
    await expect(sessions.start(registered, { rehash })).rejects.toBeInstanceOf(InvalidCredentialsError);
    expect((await storedRow(registered.id)).hashedPassword).toBe(changed.hashedPassword);
    expect(await after.hasher.verify(NEW_PASSWORD, changed.hashedPassword)).toBe(true);
  });

  it("never lets logins with the old password undo a concurrent password change (5 rounds)", async () => {
    const slowAfter = slow(after.hasher, 15);
    const outcomes: string[] = [];
    for (let round = 0; round < 5; round++) {
      const email = uniqueEmail(`rehash-race-${round}`);
      const registered = await oldUsers.register({ email, password: OLD_PASSWORD });
      const { users, signIn } = signInWith(slowAfter);
      const logins = Array.from({ length: 4 }, (_, i) =>
        sleep(i * 7).then(() => signIn({ email, password: OLD_PASSWORD }, noBudget)),
      );
      // Each round starts the change at another point of the logins' verify → rehash → session start.
      const change = sleep(round * 9).then(() =>
        users.changePassword(registered.id, { currentPassword: OLD_PASSWORD, newPassword: NEW_PASSWORD }),
      );
      const settled = await Promise.allSettled([change, ...logins]);
      // The change was made with the right current password: a rehash in between must not refuse it.
      expect(settled[0]?.status).toBe("fulfilled");
      outcomes.push(settled.map((result) => result.status[0]).join(""));

      const stored = await storedRow(registered.id);
      expect(await slowAfter.verify(NEW_PASSWORD, stored.hashedPassword)).toBe(true);
      expect(await slowAfter.verify(OLD_PASSWORD, stored.hashedPassword)).toBe(false);
      await expect(signIn({ email, password: NEW_PASSWORD }, noBudget)).resolves.toMatchObject({
        user: { id: registered.id },
      });
      await expect(signIn({ email, password: OLD_PASSWORD }, noBudget)).rejects.toBeInstanceOf(
        InvalidCredentialsError,
      );
      // Every session the old password started, before or racing the change, is over.
      for (const login of settled.slice(1)) {
        if (login.status !== "fulfilled") continue;
        const { tokens } = login.value as Awaited<ReturnType<SignIn>>;
        await expect(sessions.refresh(tokens.refreshToken)).rejects.toThrow();
      }
    }
    expect(outcomes).toHaveLength(5);
  });
});
