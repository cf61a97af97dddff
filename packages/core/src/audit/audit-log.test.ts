import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { auditEvents, outbox } from "../db/schema.js";
import { EmailTakenError, InvalidCredentialsError, InvalidCursorError, InvalidDataError } from "../errors.js";
import {
  createCountingHasher,
  uniqueEmail as email,
  openTestDatabase,
  type TestDatabase,
  testDatabaseKinds,
} from "../test-support/index.js";
import { createUserService, type UserService } from "../users/user-service.js";
import { emailFingerprint, listAuditEvents, recordAuditEvent } from "./audit-log.js";

const PASSWORD = "correct horse battery";
const NEW_PASSWORD = "another horse battery";

describe.each(testDatabaseKinds)("security log on %s", (kind) => {
  let t: TestDatabase;
  let users: UserService;
  beforeAll(async () => {
    t = await openTestDatabase(kind);
    users = createUserService({
      db: t.database.db,
      passwords: createCountingHasher().hasher,
      auditEmailKey: "k",
    });
  });
  afterAll(async () => {
    await t.dispose();
  });

  const eventsOf = async (userId: string) =>
    (await listAuditEvents(t.database.db, { userId, limit: 100 })).items.map((event) => event.type);
  const mailTo = (address: string) =>
    t.database.db.select().from(outbox).where(eq(outbox.recipient, address));

  it("a committed change always has its event (and its mail); the event commits with it", async () => {
    const user = await users.register({ email: email(), password: PASSWORD });
    await users.changePassword(
      user.id,
      { currentPassword: PASSWORD, newPassword: NEW_PASSWORD },
      { requestId: "r-1" },
    );
    expect(await eventsOf(user.id)).toEqual(["password.changed", "user.registered"]);
    const [changed] = (
      await listAuditEvents(t.database.db, { userId: user.id, type: "password.changed", limit: 1 })
    ).items;
    expect(changed).toMatchObject({ actorType: "user", actorId: user.id, requestId: "r-1", details: {} });
    expect((await mailTo(user.email)).map((row) => row.kind)).toEqual(["password_changed"]);
  });

  it("when the event cannot be written, the change is rolled back too (one transaction)", async () => {
    const user = await users.register({ email: email(), password: PASSWORD });
    // PostgreSQL refuses U+0000 in text: the audit insert fails after the password was updated.
    await expect(
      users.changePassword(
        user.id,
        { currentPassword: PASSWORD, newPassword: NEW_PASSWORD },
        { userAgent: "broken\u0000agent" },
      ),
    ).rejects.toBeInstanceOf(InvalidDataError);
    expect(await eventsOf(user.id)).toEqual(["user.registered"]);
    expect(await mailTo(user.email)).toEqual([]);
    // the old password still works: the change did not commit without its event
    await expect(users.authenticate({ email: user.email, password: PASSWORD })).resolves.toMatchObject({
      id: user.id,
    });
  });

  it("a failed change leaves no event: an email change to a taken address", async () => {
    const taken = await users.register({ email: email(), password: PASSWORD });
    const user = await users.register({ email: email(), password: PASSWORD });
    await expect(users.updateProfile(user.id, { email: taken.email })).rejects.toBeInstanceOf(
      EmailTakenError,
    );
    expect(await eventsOf(user.id)).toEqual(["user.registered"]);
    expect(await mailTo(user.email)).toEqual([]);
    const moved = email();
    await users.updateProfile(user.id, { email: moved });
    expect(await eventsOf(user.id)).toEqual(["email.changed", "user.registered"]);
    // the notice goes to the old address, which is how its owner learns
    expect((await mailTo(user.email)).map((row) => [row.kind, row.data.new_email])).toEqual([
      ["email_changed", moved],
    ]);
  });

  it("a superuser's change is logged as theirs, naming fields only, and the owner is still mailed", async () => {
    const admin = await users.register({ email: email(), password: PASSWORD });
    const user = await users.register({ email: email(), password: PASSWORD });
    await users.adminUpdateUser(
      user.id,
      { password: NEW_PASSWORD, fullName: "Changed" },
      { actor: { type: "superuser", id: admin.id } },
    );
    const [event] = (await listAuditEvents(t.database.db, { userId: user.id, limit: 1 })).items;
    expect(event).toMatchObject({
      type: "user.updated_by_admin",
      actorType: "superuser",
      actorId: admin.id,
      details: { fields: ["full_name", "password"] },
    });
    expect(JSON.stringify(event)).not.toContain(NEW_PASSWORD);
    expect((await mailTo(user.email)).map((row) => row.kind)).toEqual(["password_changed"]);
  });

  it("failed logins: with the user id for a wrong password, without id or clear email for an unknown one", async () => {
    const user = await users.register({ email: email(), password: PASSWORD });
    await expect(
      users.authenticate({ email: user.email, password: "wrong password" }),
    ).rejects.toBeInstanceOf(InvalidCredentialsError);
    expect(await eventsOf(user.id)).toEqual(["login.failed", "user.registered"]);
    const stranger = `Nobody-${Date.now()}@Example.com`;
    await expect(users.authenticate({ email: stranger, password: PASSWORD })).rejects.toBeInstanceOf(
      InvalidCredentialsError,
    );
    const unknown = await t.database.db
      .select()
      .from(auditEvents)
      .where(eq(auditEvents.type, "login.failed"));
    const anonymous = unknown.filter((row) => row.userId === null);
    expect(anonymous).toHaveLength(1);
    expect(anonymous[0]?.details).toEqual({
      reason: "unknown_email",
      email_hmac: emailFingerprint("k", stranger.toLowerCase()),
    });
    expect(JSON.stringify(anonymous)).not.toMatch(/nobody-/i);
  });

  it("pages newest first and never repeats or skips an event while new ones are inserted", async () => {
    const user = await users.register({ email: email(), password: PASSWORD });
    const base = Date.now() - 60_000;
    // Several events share one millisecond, so the id must break ties.
    for (let i = 0; i < 30; i++) {
      await recordAuditEvent(
        t.database.db,
        { type: "login.succeeded", userId: user.id },
        {},
        new Date(base + Math.floor(i / 3)),
      );
    }
    const expected = (await listAuditEvents(t.database.db, { userId: user.id, limit: 100 })).items.map(
      (e) => e.id,
    );
    expect(expected).toHaveLength(31);
    const seen: string[] = [];
    let cursor: string | undefined;
    let pages = 0;
    do {
      // concurrent writers: new events land while the reader pages
      const [page] = await Promise.all([
        listAuditEvents(t.database.db, { userId: user.id, limit: 4, cursor }),
        recordAuditEvent(t.database.db, { type: "login.succeeded", userId: user.id }),
        recordAuditEvent(t.database.db, { type: "login.failed", userId: user.id }),
      ]);
      if (pages === 0) seen.length = 0;
      seen.push(...page.items.map((event) => event.id));
      cursor = page.nextCursor ?? undefined;
      pages++;
    } while (cursor && pages < 100);
    // the first page may include events inserted during it; from there on, exactly the expected ones
    const fromOriginal = seen.filter((id) => expected.includes(id));
    expect(fromOriginal).toEqual(expected);
    expect(new Set(seen).size).toBe(seen.length);
  });

  it("refuses a cursor it did not make", async () => {
    for (const cursor of ["nope", Buffer.from("12.not-a-uuid").toString("base64url"), ""]) {
      await expect(listAuditEvents(t.database.db, { limit: 5, cursor })).rejects.toBeInstanceOf(
        InvalidCursorError,
      );
    }
  });
});
