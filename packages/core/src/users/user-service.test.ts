import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  AccountDeactivatedError,
  EmailTakenError,
  InactiveUserError,
  InvalidCredentialsError,
  TokenRevokedError,
  UserNotFoundError,
} from "../errors.js";
import {
  createCountingHasher,
  uniqueEmail as email,
  openTestDatabase,
  type TestDatabase,
  testDatabaseKinds,
} from "../test-support/index.js";
import { nextPasswordChangedAt, tokensValidFrom } from "./user.js";
import { getUserByEmail, updateUser } from "./user-repository.js";
import { createUserService, type UserService } from "./user-service.js";

const PASSWORD = "correct horse battery";

describe.each(testDatabaseKinds)("user service on %s", (kind) => {
  let t: TestDatabase;
  let users: UserService;
  let calls: { hash: number; verify: number };
  beforeAll(async () => {
    t = await openTestDatabase(kind);
    const counting = createCountingHasher();
    calls = counting.calls;
    users = createUserService({ db: t.database.db, passwords: counting.hasher });
  });
  afterAll(async () => {
    await t.dispose();
  });

  it("does not keep a refused dummy hash: the next unknown-email login is a plain wrong password", async () => {
    const { hasher } = createCountingHasher();
    let refuseNextHash = true;
    const busyOnce = {
      ...hasher,
      hash: (plain: string) => {
        if (!refuseNextHash) return hasher.hash(plain);
        refuseNextHash = false;
        return Promise.reject(new Error("hasher at capacity"));
      },
    };
    const service = createUserService({ db: t.database.db, passwords: busyOnce });
    const unknown = { email: email("nobody"), password: PASSWORD };
    await expect(service.authenticate(unknown)).rejects.toThrow("hasher at capacity");
    await expect(service.authenticate(unknown)).rejects.toBeInstanceOf(InvalidCredentialsError);
  });

  it("registers with a hashed password and authenticates case-insensitively", async () => {
    const address = email("reg");
    const user = await users.register({ email: address, password: PASSWORD, fullName: "Reg" });
    expect(user).not.toHaveProperty("hashedPassword");
    const stored = await getUserByEmail(t.database.db, address);
    expect(stored?.hashedPassword).not.toContain(PASSWORD);
    const authenticated = await users.authenticate({ email: address.toUpperCase(), password: PASSWORD });
    expect(authenticated).toEqual(user);
    expect(authenticated).not.toHaveProperty("hashedPassword");
  });

  it("refuses a wrong password and an unknown email alike, verifying a password both times", async () => {
    const address = email("auth");
    await users.register({ email: address, password: PASSWORD });
    const before = calls.verify;
    await expect(users.authenticate({ email: address, password: "wrong password" })).rejects.toBeInstanceOf(
      InvalidCredentialsError,
    );
    await expect(users.authenticate({ email: email("ghost"), password: PASSWORD })).rejects.toBeInstanceOf(
      InvalidCredentialsError,
    );
    expect(calls.verify - before).toBe(2);
  });

  it("refuses an inactive user only after the password matched", async () => {
    const address = email("inactive");
    const user = await users.register({ email: address, password: PASSWORD });
    await updateUser(t.database.db, user.id, { isActive: false });
    await expect(users.authenticate({ email: address, password: PASSWORD })).rejects.toBeInstanceOf(
      InactiveUserError,
    );
    await expect(users.authenticate({ email: address, password: "wrong password" })).rejects.toBeInstanceOf(
      InvalidCredentialsError,
    );
  });

  it("lets exactly one of 10 concurrent registrations of one email succeed", async () => {
    const address = email("race");
    const results = await Promise.allSettled(
      Array.from({ length: 10 }, (_, i) =>
        users.register({ email: i % 2 ? address : address.toUpperCase(), password: PASSWORD }),
      ),
    );
    expect(results.filter((r) => r.status === "fulfilled")).toHaveLength(1);
    const rejected = results.filter((r): r is PromiseRejectedResult => r.status === "rejected");
    expect(rejected).toHaveLength(9);
    for (const r of rejected) expect(r.reason).toBeInstanceOf(EmailTakenError);
  });

  it("getProfile finds a user or throws UserNotFoundError", async () => {
    const user = await users.register({ email: email("profile"), password: PASSWORD });
    await expect(users.getProfile(user.id)).resolves.toEqual(user);
    await expect(users.getProfile("0190a5f0-0000-7000-8000-000000000000")).rejects.toBeInstanceOf(
      UserNotFoundError,
    );
  });

  it("accepts tokens from the revocation boundary on, refuses older ones, and refuses gone or inactive users", async () => {
    const user = await users.register({ email: email("token"), password: PASSWORD });
    const boundary = tokensValidFrom(user);
    await expect(users.getActiveUserForToken({ userId: user.id, issuedAt: boundary })).resolves.toEqual(user);
    await expect(
      users.getActiveUserForToken({ userId: user.id, issuedAt: boundary - 1 }),
    ).rejects.toBeInstanceOf(TokenRevokedError);
    const changed = await updateUser(t.database.db, user.id, {
      passwordChangedAt: new Date(Date.now() + 5_000),
    });
    if (!changed) throw new Error("update failed");
    await expect(users.getActiveUserForToken({ userId: user.id, issuedAt: boundary })).rejects.toBeInstanceOf(
      TokenRevokedError,
    );
    await updateUser(t.database.db, user.id, { isActive: false });
    // a deactivated account's own token is told so (only its holder can present it)
    await expect(
      users.getActiveUserForToken({ userId: user.id, issuedAt: tokensValidFrom(changed) }),
    ).rejects.toBeInstanceOf(AccountDeactivatedError);
    await expect(
      users.getActiveUserForToken({ userId: "0190a5f0-0000-7000-8000-000000000000", issuedAt: boundary }),
    ).rejects.toBeInstanceOf(TokenRevokedError);
  });
});

describe("nextPasswordChangedAt", () => {
  it("puts the revocation boundary above every iat issued before the change, even within one second", () => {
    const created = { passwordChangedAt: new Date("2026-01-01T00:00:00.900Z") };
    // A token issued right after creation is stamped at the boundary (00:00:01).
    const issuedAt = tokensValidFrom(created);
    const changed = {
      passwordChangedAt: nextPasswordChangedAt(created, new Date("2026-01-01T00:00:00.950Z")),
    };
    expect(tokensValidFrom(changed)).toBeGreaterThan(issuedAt);
    const later = new Date("2026-01-01T00:05:00.000Z");
    expect(nextPasswordChangedAt(changed, later)).toEqual(later);
  });
});
