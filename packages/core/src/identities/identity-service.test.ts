import { randomUUID } from "node:crypto";
import { and, eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { auditEvents, outbox, userIdentities } from "../db/schema.js";
import {
  IdentityAccountExistsError,
  IdentityEmailUnverifiedError,
  IdentityNotFoundError,
  IdentityTakenError,
  InactiveUserError,
  InvalidCredentialsError,
  InvalidLoginCodeError,
  LastSignInMethodError,
} from "../errors.js";
import {
  createCountingHasher,
  openTestDatabase,
  type TestDatabase,
  testDatabaseKinds,
  uniqueEmail,
} from "../test-support/index.js";
import { createUserService, type UserService } from "../users/user-service.js";
import { createIdentityService, type ExternalProfile, type IdentityService } from "./identity-service.js";

const PASSWORD = "correct horse battery";

function profile(overrides: Partial<ExternalProfile> = {}): ExternalProfile {
  return {
    provider: "corp",
    subject: randomUUID(),
    email: uniqueEmail(),
    emailVerified: true,
    name: "Ada Lovelace",
    ...overrides,
  };
}

describe.each(testDatabaseKinds)("identity service on %s", (kind) => {
  let t: TestDatabase;
  let users: UserService;
  let identities: IdentityService;
  let clock = Date.now();
  beforeAll(async () => {
    t = await openTestDatabase(kind);
    users = createUserService({ db: t.database.db, passwords: createCountingHasher().hasher });
    identities = createIdentityService({ db: t.database.db, now: () => clock });
  });
  afterAll(async () => t?.dispose());

  const eventsOf = async (userId: string) =>
    (await t.database.db.select().from(auditEvents).where(eq(auditEvents.userId, userId))).map((e) => e.type);
  const mailsTo = async (email: string) =>
    (await t.database.db.select().from(outbox).where(eq(outbox.recipient, email))).map((m) => m.kind);

  it("creates an account without a password on the first sign-in, and finds it by subject afterwards", async () => {
    const who = profile();
    const first = await identities.signIn(who, { trustEmail: false });
    expect(first.created).toBe(true);
    expect(first.user.email).toBe(who.email);
    expect(first.user.emailVerifiedAt).not.toBeNull();
    const again = await identities.signIn({ ...who, email: "changed@example.com" }, { trustEmail: false });
    expect(again.user.id).toBe(first.user.id);
    expect(again.created).toBe(false);
    // No password signs in to it, not even the marker stored in place of a hash.
    for (const password of [PASSWORD, "!no-password", ""]) {
      await expect(users.authenticate({ email: who.email as string, password })).rejects.toBeInstanceOf(
        InvalidCredentialsError,
      );
    }
    expect(await eventsOf(first.user.id)).toEqual(
      expect.arrayContaining(["user.registered", "identity.linked"]),
    );
    expect(await mailsTo(who.email as string)).toContain("provider_account_created");
  });

  it("never attaches a verified email of an existing account silently", async () => {
    const existing = await users.register({ email: uniqueEmail(), password: PASSWORD });
    await expect(
      identities.signIn(profile({ email: existing.email }), { trustEmail: false }),
    ).rejects.toBeInstanceOf(IdentityAccountExistsError);
    expect(await identities.list(existing.id)).toEqual([]);
  });

  it("with trustEmail, attaches only when both sides have verified the email", async () => {
    const unverified = await users.register({ email: uniqueEmail(), password: PASSWORD });
    await expect(
      identities.signIn(profile({ email: unverified.email }), { trustEmail: true }),
    ).rejects.toBeInstanceOf(IdentityAccountExistsError);

    const { user: verified } = await identities.signIn(profile(), { trustEmail: false });
    const other = profile({ provider: "github", email: verified.email });
    const attached = await identities.signIn(other, { trustEmail: true });
    expect(attached).toMatchObject({ created: false, linked: true });
    expect(attached.user.id).toBe(verified.id);
    expect((await identities.list(verified.id)).map((i) => i.provider).sort()).toEqual(["corp", "github"]);
    expect(await mailsTo(verified.email)).toContain("identity_linked");
  });

  it("an unverified provider email never matches nor creates an account, trusted or not", async () => {
    const existing = await users.register({ email: uniqueEmail(), password: PASSWORD });
    for (const trustEmail of [false, true]) {
      await expect(
        identities.signIn(profile({ email: existing.email, emailVerified: false }), { trustEmail }),
      ).rejects.toBeInstanceOf(IdentityEmailUnverifiedError);
      await expect(
        identities.signIn(profile({ emailVerified: false }), { trustEmail }),
      ).rejects.toBeInstanceOf(IdentityEmailUnverifiedError);
      await expect(identities.signIn(profile({ email: null }), { trustEmail })).rejects.toBeInstanceOf(
        IdentityEmailUnverifiedError,
      );
    }
  });

  it("refuses a deactivated account", async () => {
    const who = profile();
    const { user } = await identities.signIn(who, { trustEmail: false });
    await users.adminUpdateUser(user.id, { isActive: false });
    await expect(identities.signIn(who, { trustEmail: false })).rejects.toBeInstanceOf(InactiveUserError);
  });

  it("two first sign-ins of the same person at once make one account and one identity", async () => {
    const who = profile();
    const results = await Promise.all(
      Array.from({ length: 4 }, () => identities.signIn(who, { trustEmail: false })),
    );
    expect(new Set(results.map((r) => r.user.id)).size).toBe(1);
    expect(results.filter((r) => r.created)).toHaveLength(1);
    const rows = await t.database.db
      .select()
      .from(userIdentities)
      .where(and(eq(userIdentities.provider, who.provider), eq(userIdentities.subject, who.subject)));
    expect(rows).toHaveLength(1);
  });

  it("links from the profile: idempotent for the same user, refused for an identity someone else holds", async () => {
    const ada = await users.register({ email: uniqueEmail(), password: PASSWORD });
    const bob = await users.register({ email: uniqueEmail(), password: PASSWORD });
    const who = profile({ email: "whatever@provider.test" });
    const linked = await identities.link(ada.id, who, ada.passwordChangedAt);
    expect((await identities.link(ada.id, who, ada.passwordChangedAt)).id).toBe(linked.id);
    await expect(identities.link(bob.id, who, bob.passwordChangedAt)).rejects.toBeInstanceOf(
      IdentityTakenError,
    );
    // A link asked for before a password change (or sign-out everywhere) is void.
    await expect(identities.link(bob.id, profile(), new Date(0))).rejects.toBeInstanceOf(
      InvalidLoginCodeError,
    );
    expect((await identities.signIn(who, { trustEmail: false })).user.id).toBe(ada.id);
  });

  it("two links of one identity to two users at once: the database lets exactly one win", async () => {
    const a = await users.register({ email: uniqueEmail(), password: PASSWORD });
    const b = await users.register({ email: uniqueEmail(), password: PASSWORD });
    const who = profile();
    const outcomes = await Promise.allSettled([
      identities.link(a.id, who, a.passwordChangedAt),
      identities.link(b.id, who, b.passwordChangedAt),
    ]);
    expect(outcomes.filter((o) => o.status === "fulfilled")).toHaveLength(1);
    const rejected = outcomes.find((o) => o.status === "rejected");
    expect(rejected?.reason).toBeInstanceOf(IdentityTakenError);
  });

  it("refuses to unlink the last way to sign in, allows it when a password or another identity remains", async () => {
    const who = profile();
    const { user } = await identities.signIn(who, { trustEmail: false });
    const [only] = await identities.list(user.id);
    if (!only) throw new Error("no identity");
    await expect(identities.unlink(user.id, only.id)).rejects.toBeInstanceOf(LastSignInMethodError);

    const second = await identities.link(user.id, profile({ provider: "github" }), user.passwordChangedAt);
    // Two unlinks at once: the user-row lock serialises them, so one of the two identities stays.
    const outcomes = await Promise.allSettled([
      identities.unlink(user.id, only.id),
      identities.unlink(user.id, second.id),
    ]);
    expect(outcomes.filter((o) => o.status === "fulfilled")).toHaveLength(1);
    expect(outcomes.find((o) => o.status === "rejected")?.reason).toBeInstanceOf(LastSignInMethodError);
    expect(await identities.list(user.id)).toHaveLength(1);

    const withPassword = await users.register({ email: uniqueEmail(), password: PASSWORD });
    const linked = await identities.link(withPassword.id, profile(), withPassword.passwordChangedAt);
    await identities.unlink(withPassword.id, linked.id);
    expect(await identities.list(withPassword.id)).toEqual([]);
    expect(await eventsOf(withPassword.id)).toContain("identity.unlinked");
    expect(await mailsTo(withPassword.email)).toContain("identity_unlinked");
    await expect(identities.unlink(withPassword.id, linked.id)).rejects.toBeInstanceOf(IdentityNotFoundError);
    await expect(identities.unlink(user.id, "not-a-uuid")).rejects.toBeInstanceOf(IdentityNotFoundError);
  });

  it("a login code is single use under a race, expires after 60 s, and dies with a password change", async () => {
    const { user } = await identities.signIn(profile(), { trustEmail: false });
    const grant = { provider: "corp", amr: ["mfa"], secondFactorDone: true };
    const { code, expiresInSeconds } = await identities.issueLoginCode(user, grant);
    expect(expiresInSeconds).toBeLessThanOrEqual(60);
    const redemptions = await Promise.allSettled(
      Array.from({ length: 5 }, () => identities.redeemLoginCode(code)),
    );
    const won = redemptions.filter((r) => r.status === "fulfilled");
    expect(won).toHaveLength(1);
    expect(won[0]?.status === "fulfilled" && won[0].value.ticket).toMatchObject(grant);
    for (const r of redemptions.filter((r) => r.status === "rejected"))
      expect(r.reason).toBeInstanceOf(InvalidLoginCodeError);

    const late = await identities.issueLoginCode(user, grant);
    clock += 61_000;
    await expect(identities.redeemLoginCode(late.code)).rejects.toBeInstanceOf(InvalidLoginCodeError);

    const beforeChange = await identities.issueLoginCode(user, grant);
    await users.adminUpdateUser(user.id, { password: "a brand new password" });
    await expect(identities.redeemLoginCode(beforeChange.code)).rejects.toBeInstanceOf(InvalidLoginCodeError);
  });

  it("a link ticket is for one provider and cannot be used as a login code", async () => {
    const user = await users.register({ email: uniqueEmail(), password: PASSWORD });
    const ticket = await identities.issueLinkTicket(user, "corp");
    await expect(identities.redeemLoginCode(ticket.code)).rejects.toBeInstanceOf(InvalidLoginCodeError);
    const other = await identities.issueLinkTicket(user, "corp");
    await expect(identities.redeemLinkTicket(other.code, "github")).rejects.toBeInstanceOf(
      InvalidLoginCodeError,
    );
    const good = await identities.issueLinkTicket(user, "corp");
    const redeemed = await identities.redeemLinkTicket(good.code, "corp");
    expect(redeemed.user.id).toBe(user.id);
    await expect(identities.redeemLinkTicket(good.code, "corp")).rejects.toBeInstanceOf(
      InvalidLoginCodeError,
    );
  });
});
