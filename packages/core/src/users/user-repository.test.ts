import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { EmailTakenError } from "../errors.js";
import {
  uniqueEmail as email,
  openTestDatabase,
  type TestDatabase,
  testDatabaseKinds,
} from "../test-support/index.js";
import {
  createUser,
  deleteUser,
  getUserByEmail,
  getUserById,
  getUserRecordById,
  updateUser,
} from "./user-repository.js";

const UUID_V7 = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

describe.each(testDatabaseKinds)("user repository on %s", (kind) => {
  let t: TestDatabase;
  beforeAll(async () => {
    t = await openTestDatabase(kind);
  });
  afterAll(async () => {
    await t.dispose();
  });

  it("creates a user with a v7 id and a normalised email, and returns no hash", async () => {
    const user = await createUser(t.database.db, {
      email: "  Mixed.Case@Example.COM ",
      hashedPassword: "h1",
      fullName: "M",
    });
    expect(user.id).toMatch(UUID_V7);
    expect(user.email).toBe("mixed.case@example.com");
    expect(user).toMatchObject({ fullName: "M", isActive: true, isSuperuser: false });
    expect(user.createdAt).toBeInstanceOf(Date);
    expect(user).not.toHaveProperty("hashedPassword");
  });

  it("issues time-ordered ids", async () => {
    const a = await createUser(t.database.db, { email: email("order"), hashedPassword: "h" });
    const b = await createUser(t.database.db, { email: email("order"), hashedPassword: "h" });
    expect(a.id < b.id).toBe(true);
  });

  it("finds users by email case-insensitively, with the hash, and by id without it", async () => {
    const created = await createUser(t.database.db, { email: "alice@example.com", hashedPassword: "hash-a" });
    const found = await getUserByEmail(t.database.db, "  Alice@Example.COM ");
    expect(found).toMatchObject({ id: created.id, hashedPassword: "hash-a" });
    expect(await getUserById(t.database.db, created.id)).toEqual(created);
    expect(await getUserRecordById(t.database.db, created.id)).toMatchObject({ hashedPassword: "hash-a" });
    expect(await getUserByEmail(t.database.db, "nobody@example.com")).toBeNull();
    expect(await getUserById(t.database.db, "0190a5f0-0000-7000-8000-000000000000")).toBeNull();
    expect(await getUserById(t.database.db, "not-a-uuid")).toBeNull();
  });

  it("refuses a duplicate email in another case with EmailTakenError", async () => {
    const address = email("dup");
    await createUser(t.database.db, { email: address, hashedPassword: "h" });
    await expect(
      createUser(t.database.db, { email: address.toUpperCase(), hashedPassword: "h" }),
    ).rejects.toBeInstanceOf(EmailTakenError);
  });

  it("updates only the given fields, bumps updatedAt, and refuses a taken email", async () => {
    const taken = email("taken");
    await createUser(t.database.db, { email: taken, hashedPassword: "h" });
    const user = await createUser(t.database.db, {
      email: email("upd"),
      hashedPassword: "h",
      fullName: "Before",
    });
    const updated = await updateUser(t.database.db, user.id, { fullName: "After", isSuperuser: true });
    expect(updated).toMatchObject({ id: user.id, email: user.email, fullName: "After", isSuperuser: true });
    expect(updated?.updatedAt.getTime()).toBeGreaterThanOrEqual(user.updatedAt.getTime());
    await expect(updateUser(t.database.db, user.id, { email: taken.toUpperCase() })).rejects.toBeInstanceOf(
      EmailTakenError,
    );
    expect(
      await updateUser(t.database.db, "0190a5f0-0000-7000-8000-000000000000", { fullName: "x" }),
    ).toBeNull();
    const renamed = await updateUser(t.database.db, user.id, { email: "  New.Address@Example.com" });
    expect(renamed?.email).toBe("new.address@example.com");
  });

  it("deletes a user, after which the email is free again", async () => {
    const address = email("del");
    const user = await createUser(t.database.db, { email: address, hashedPassword: "h" });
    expect(await deleteUser(t.database.db, user.id)).toBe(true);
    expect(await deleteUser(t.database.db, user.id)).toBe(false);
    expect(await getUserById(t.database.db, user.id)).toBeNull();
    await expect(createUser(t.database.db, { email: address, hashedPassword: "h" })).resolves.toMatchObject({
      email: address,
    });
  });
});
