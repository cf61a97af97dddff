import { and, count, eq } from "drizzle-orm";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { users as usersTable } from "../db/schema.js";
import {
  EmailTakenError,
  IncorrectPasswordError,
  InvalidCredentialsError,
  LastSuperuserError,
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
import { tokensValidFrom } from "./user.js";
import { getUserByEmail, getUserRecordById } from "./user-repository.js";
import { createUserService, type UserService } from "./user-service.js";

const PASSWORD = "correct horse battery";
const MISSING_ID = "0190a5f0-0000-7000-8000-000000000000";

describe.each(testDatabaseKinds)("account lifecycle on %s", (kind) => {
  let t: TestDatabase;
  let users: UserService;
  beforeAll(async () => {
    t = await openTestDatabase(kind);
    users = createUserService({ db: t.database.db, passwords: createCountingHasher().hasher });
  });
  afterAll(async () => {
    await t.dispose();
  });

  it("updateProfile normalises a new email, clears a name with null, and leaves an empty patch unchanged", async () => {
    const user = await users.register({ email: email("profile"), password: PASSWORD, fullName: "Old" });
    const renamed = await users.updateProfile(user.id, {
      email: "  New.Address@Example.COM ",
      fullName: null,
    });
    expect(renamed).toMatchObject({ id: user.id, email: "new.address@example.com", fullName: null });
    expect(renamed.updatedAt.getTime()).toBeGreaterThanOrEqual(user.updatedAt.getTime());
    expect(await users.updateProfile(user.id, {})).toEqual(renamed);
    await expect(users.updateProfile(MISSING_ID, { fullName: "x" })).rejects.toBeInstanceOf(
      UserNotFoundError,
    );
  });

  it("updateProfile refuses an email another user has, in any case", async () => {
    const taken = email("taken");
    await users.register({ email: taken, password: PASSWORD });
    const other = await users.register({ email: email("other"), password: PASSWORD });
    await expect(users.updateProfile(other.id, { email: taken.toUpperCase() })).rejects.toBeInstanceOf(
      EmailTakenError,
    );
  });

  it("changePassword checks the current password and revokes earlier tokens only", async () => {
    const address = email("pw");
    const user = await users.register({ email: address, password: PASSWORD });
    await expect(
      users.changePassword(user.id, { currentPassword: "wrong password", newPassword: "another password" }),
    ).rejects.toBeInstanceOf(IncorrectPasswordError);

    const issuedBefore = tokensValidFrom(user);
    const changed = await users.changePassword(user.id, {
      currentPassword: PASSWORD,
      newPassword: "another password",
    });
    expect(changed.passwordChangedAt.getTime()).toBeGreaterThan(user.passwordChangedAt.getTime());
    await expect(
      users.getActiveUserForToken({ userId: user.id, issuedAt: issuedBefore }),
    ).rejects.toBeInstanceOf(TokenRevokedError);
    const relogged = await users.authenticate({ email: address, password: "another password" });
    await expect(
      users.getActiveUserForToken({ userId: user.id, issuedAt: tokensValidFrom(relogged) }),
    ).resolves.toMatchObject({ id: user.id });
    await expect(users.authenticate({ email: address, password: PASSWORD })).rejects.toBeInstanceOf(
      InvalidCredentialsError,
    );
  });

  it("deleteAccount removes the user, and the email can register again", async () => {
    const address = email("gone");
    const user = await users.register({ email: address, password: PASSWORD });
    await users.deleteAccount(user.id);
    await expect(users.getProfile(user.id)).rejects.toBeInstanceOf(UserNotFoundError);
    await expect(users.deleteAccount(user.id)).rejects.toBeInstanceOf(UserNotFoundError);
    const again = await users.register({ email: address, password: PASSWORD });
    expect(again.id).not.toBe(user.id);
  });

  it("listUsers pages in creation order and counts every user", async () => {
    const before = await users.listUsers({ limit: 100, offset: 0 });
    const created = [];
    for (let i = 0; i < 3; i++)
      created.push(await users.register({ email: email("page"), password: PASSWORD }));
    const all = await users.listUsers({ limit: 100, offset: 0 });
    expect(all.total).toBe(before.total + 3);
    expect(all.items.slice(-3).map((u) => u.id)).toEqual(created.map((u) => u.id));
    const page = await users.listUsers({ limit: 2, offset: all.total - 3 });
    expect(page.items.map((u) => u.id)).toEqual(created.slice(0, 2).map((u) => u.id));
    expect((await users.listUsers({ limit: 5, offset: all.total })).items).toEqual([]);
  });

  it("adminUpdateUser sets flags and a new password that revokes earlier tokens", async () => {
    const address = email("admin-edit");
    const user = await users.register({ email: address, password: PASSWORD });
    const updated = await users.adminUpdateUser(user.id, {
      isActive: false,
      isSuperuser: true,
      password: "set by an admin",
      fullName: "Edited",
    });
    expect(updated).toMatchObject({ isActive: false, isSuperuser: true, fullName: "Edited" });
    expect(updated.passwordChangedAt.getTime()).toBeGreaterThan(user.passwordChangedAt.getTime());
    const record = await getUserByEmail(t.database.db, address);
    expect(record?.hashedPassword).not.toContain("set by an admin");
    await users.adminUpdateUser(user.id, { isActive: true });
    await expect(users.authenticate({ email: address, password: "set by an admin" })).resolves.toMatchObject({
      id: user.id,
    });
    await expect(users.adminUpdateUser(MISSING_ID, { password: "whatever123" })).rejects.toBeInstanceOf(
      UserNotFoundError,
    );
    await expect(users.adminDeleteUser(MISSING_ID)).rejects.toBeInstanceOf(UserNotFoundError);
    await expect(users.adminDeleteUser("not-a-uuid")).rejects.toBeInstanceOf(UserNotFoundError);
  });
});

describe.each(testDatabaseKinds)("superusers on %s", (kind) => {
  let t: TestDatabase;
  let users: UserService;
  beforeAll(async () => {
    t = await openTestDatabase(kind);
    users = createUserService({ db: t.database.db, passwords: createCountingHasher().hasher });
  });
  afterEach(async () => {
    await t.database.db.delete(usersTable);
  });
  afterAll(async () => {
    await t.dispose();
  });

  const activeSuperuserCount = async () => {
    const [row] = await t.database.db
      .select({ n: count() })
      .from(usersTable)
      .where(and(eq(usersTable.isSuperuser, true), eq(usersTable.isActive, true)));
    return row?.n ?? 0;
  };

  it("ensureSuperuser creates once, then leaves an existing user exactly as it is", async () => {
    const first = await users.ensureSuperuser({ email: "Root@Example.com", password: PASSWORD });
    expect(first.created).toBe(true);
    expect(first.user).toMatchObject({ email: "root@example.com", isSuperuser: true, isActive: true });
    // The operator vouches for it: REQUIRE_VERIFIED_EMAIL must not lock out the first superuser.
    expect(first.user.emailVerifiedAt).toBeInstanceOf(Date);
    const before = await getUserRecordById(t.database.db, first.user.id);
    const again = await users.ensureSuperuser({ email: "root@example.com", password: "a different one" });
    expect(again).toEqual({ created: false, user: first.user });
    expect(await getUserRecordById(t.database.db, first.user.id)).toEqual(before);

    const plain = await users.register({ email: email("plain"), password: PASSWORD });
    const notPromoted = await users.ensureSuperuser({ email: plain.email, password: PASSWORD });
    expect(notPromoted).toEqual({ created: false, user: plain });
    expect(notPromoted.user.emailVerifiedAt).toBeNull();
  });

  it("refuses to demote, deactivate or delete the last active superuser, and allows it when another exists", async () => {
    const { user: root } = await users.ensureSuperuser({ email: email("root"), password: PASSWORD });
    await expect(users.adminUpdateUser(root.id, { isSuperuser: false })).rejects.toBeInstanceOf(
      LastSuperuserError,
    );
    await expect(users.adminUpdateUser(root.id, { isActive: false })).rejects.toBeInstanceOf(
      LastSuperuserError,
    );
    await expect(users.adminDeleteUser(root.id)).rejects.toBeInstanceOf(LastSuperuserError);
    await expect(users.deleteAccount(root.id)).rejects.toBeInstanceOf(LastSuperuserError);
    expect(await activeSuperuserCount()).toBe(1);

    // An inactive superuser cannot sign in, so it does not count as someone who could take over.
    const dormant = await users.register({ email: email("dormant"), password: PASSWORD });
    await users.adminUpdateUser(dormant.id, { isSuperuser: true, isActive: false });
    await expect(users.adminUpdateUser(root.id, { isSuperuser: false })).rejects.toBeInstanceOf(
      LastSuperuserError,
    );

    const second = await users.register({ email: email("second"), password: PASSWORD });
    await users.adminUpdateUser(second.id, { isSuperuser: true });
    await expect(users.adminUpdateUser(root.id, { isSuperuser: false })).resolves.toMatchObject({
      isSuperuser: false,
    });
    await expect(users.deleteAccount(second.id)).rejects.toBeInstanceOf(LastSuperuserError);
    // Demoting a user who is not a superuser never trips the rule.
    await expect(users.adminUpdateUser(root.id, { isSuperuser: false })).resolves.toMatchObject({
      isSuperuser: false,
    });
  });

  it("lets only one of two superusers demoting or deleting each other at once succeed", async () => {
    for (const action of ["demote", "delete"] as const) {
      const a = await users.ensureSuperuser({ email: email("a"), password: PASSWORD });
      const b = await users.ensureSuperuser({ email: email("b"), password: PASSWORD });
      const act = (id: string) =>
        action === "demote" ? users.adminUpdateUser(id, { isSuperuser: false }) : users.adminDeleteUser(id);
      const results = await Promise.allSettled([act(a.user.id), act(b.user.id)]);
      expect(results.filter((r) => r.status === "fulfilled")).toHaveLength(1);
      const rejected = results.find((r) => r.status === "rejected");
      expect(rejected?.status === "rejected" && rejected.reason).toBeInstanceOf(LastSuperuserError);
      expect(await activeSuperuserCount()).toBe(1);
      await t.database.db.delete(usersTable);
    }
  });

  it("ensureSuperuser called 5 times at once creates exactly one user", async () => {
    const results = await Promise.all(
      Array.from({ length: 5 }, () =>
        users.ensureSuperuser({ email: "race@example.com", password: PASSWORD }),
      ),
    );
    expect(results.filter((r) => r.created)).toHaveLength(1);
    expect(new Set(results.map((r) => r.user.id)).size).toBe(1);
    const [row] = await t.database.db.select({ n: count() }).from(usersTable);
    expect(row?.n).toBe(1);
  });
});
