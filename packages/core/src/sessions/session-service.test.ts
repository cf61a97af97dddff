import { createHash } from "node:crypto";
import { and, eq, isNotNull } from "drizzle-orm";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { refreshTokens } from "../db/schema.js";
import { AccountDeactivatedError, InvalidRefreshTokenError, TokenRevokedError } from "../errors.js";
import type { AccessTokenIssuer, AccessTokenRequest, AccessTokenSession } from "../ports.js";
import {
  createCountingHasher,
  uniqueEmail as email,
  openTestDatabase,
  type TestDatabase,
  testDatabaseKinds,
} from "../test-support/index.js";
import { tokensValidFrom } from "../users/user.js";
import { createUserService, type UserService } from "../users/user-service.js";
import { createSessionService, type SessionServiceDeps } from "./session-service.js";

const PASSWORD = "correct horse battery";
const SECRET = "session-test-secret-0123456789abcdef";

/** Access tokens are @app/auth's business; here they only need to be distinct and carry their iat. */
function fakeAccessTokens(
  clock: () => number,
): AccessTokenIssuer & { issued: number; sessions: AccessTokenSession[] } {
  const issuer = {
    issued: 0,
    sessions: [] as AccessTokenSession[],
    async issue({ subject, issuedAtFloor, sessionId, amr }: AccessTokenRequest) {
      issuer.issued++;
      issuer.sessions.push({ id: sessionId ?? "", ...(amr ? { amr } : {}) });
      const iat = Math.max(Math.floor(clock() / 1000), issuedAtFloor);
      return { token: `access.${subject}.${iat}.${issuer.issued}`, expiresIn: 900 };
    },
  };
  return issuer;
}

describe.each(testDatabaseKinds)("sessions on %s", (kind) => {
  let t: TestDatabase;
  let users: UserService;
  let time = Date.now();
  const clock = () => time;
  const sessions = (options: Partial<SessionServiceDeps> = {}) =>
    createSessionService({
      db: t.database.db,
      secret: SECRET,
      accessTokens: fakeAccessTokens(clock),
      now: clock,
      ...options,
    });

  beforeAll(async () => {
    t = await openTestDatabase(kind);
    users = createUserService({ db: t.database.db, passwords: createCountingHasher().hasher });
  });
  afterAll(async () => {
    await t.dispose();
  });
  // The service runs on this clock; the user service (password change, deactivation) on the real one.
  beforeEach(() => {
    time = Date.now();
  });

  const newUser = (tag = "session") => users.register({ email: email(tag), password: PASSWORD });
  const rowsOf = (userId: string) =>
    t.database.db.select().from(refreshTokens).where(eq(refreshTokens.userId, userId));

  it("login returns an opaque 256-bit refresh token that is stored only as its SHA-256 hash", async () => {
    const user = await newUser();
    const pair = await sessions({ refreshTokenTtlSeconds: 3600 }).start(user);
    expect(pair.refreshToken).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(Buffer.from(pair.refreshToken, "base64url")).toHaveLength(32);
    expect(pair).toMatchObject({ expiresIn: 900, refreshExpiresIn: 3600 });
    const rows = await rowsOf(user.id);
    expect(rows).toHaveLength(1);
    expect(rows[0]?.tokenHash).toBe(createHash("sha256").update(pair.refreshToken).digest("base64url"));
    expect(JSON.stringify(rows)).not.toContain(pair.refreshToken);
  });

  it("every access token of a session names it: the family id as sid, and the login's amr, refreshed ones too", async () => {
    const accessTokens = fakeAccessTokens(clock);
    const service = sessions({ reuseGraceSeconds: 0, accessTokens });
    const user = await newUser();
    const first = await service.start(user, { amr: ["pwd"] });
    const second = await service.refresh(first.refreshToken);
    await service.refresh(second.refreshToken);
    const [familyId] = new Set((await rowsOf(user.id)).map((row) => row.familyId));
    const login = { id: familyId, amr: ["pwd"] };
    expect(accessTokens.sessions).toEqual([login, login, login]);
  });

  it("a session whose login named no method refreshes without amr", async () => {
    const accessTokens = fakeAccessTokens(clock);
    const service = sessions({ reuseGraceSeconds: 0, accessTokens });
    const user = await newUser();
    await service.refresh((await service.start(user)).refreshToken);
    const [familyId] = new Set((await rowsOf(user.id)).map((row) => row.familyId));
    expect(accessTokens.sessions).toEqual([{ id: familyId }, { id: familyId }]);
  });

  it("refresh rotates: a new pair in the same family, and the presented token is spent", async () => {
    const service = sessions({ reuseGraceSeconds: 0 });
    const user = await newUser();
    const first = await service.start(user);
    const second = await service.refresh(first.refreshToken);
    expect(second.refreshToken).not.toBe(first.refreshToken);
    expect(second.accessToken).not.toBe(first.accessToken);
    const third = await service.refresh(second.refreshToken);
    expect(third.refreshToken).not.toBe(second.refreshToken);
    const rows = await rowsOf(user.id);
    expect(new Set(rows.map((row) => row.familyId)).size).toBe(1);
    expect(rows.filter((row) => row.usedAt === null)).toHaveLength(1);
    expect(rows.every((row) => row.successorCiphertext === null)).toBe(true);
  });

  it("a token used twice outside the grace window is refused and its whole family dies", async () => {
    const service = sessions({ reuseGraceSeconds: 0 });
    const user = await newUser();
    const first = await service.start(user);
    const other = await service.start(user);
    const second = await service.refresh(first.refreshToken);
    await expect(service.refresh(first.refreshToken)).rejects.toBeInstanceOf(InvalidRefreshTokenError);
    // the newest token of that family stops working too, and so does its successor chain
    await expect(service.refresh(second.refreshToken)).rejects.toBeInstanceOf(InvalidRefreshTokenError);
    // another login of the same user is another family
    await expect(service.refresh(other.refreshToken)).resolves.toMatchObject({ expiresIn: 900 });
  });

  it("inside the grace window a duplicate gets the same pair; after it, the family dies", async () => {
    const service = sessions({ reuseGraceSeconds: 10 });
    const user = await newUser();
    const first = await service.start(user);
    const second = await service.refresh(first.refreshToken);
    time += 5_000;
    const again = await service.refresh(first.refreshToken);
    expect(again.accessToken).toBe(second.accessToken);
    expect(again.refreshToken).toBe(second.refreshToken);
    expect(again.expiresIn).toBe(895);
    time += 6_000;
    await expect(service.refresh(first.refreshToken)).rejects.toBeInstanceOf(InvalidRefreshTokenError);
    await expect(service.refresh(second.refreshToken)).rejects.toBeInstanceOf(InvalidRefreshTokenError);
    expect((await rowsOf(user.id)).every((row) => row.successorCiphertext === null)).toBe(true);
  });

  it("two concurrent refreshes with one token both succeed with the same new pair", async () => {
    const service = sessions({ reuseGraceSeconds: 10 });
    for (let round = 0; round < 5; round++) {
      const user = await newUser("race");
      const first = await service.start(user);
      const [a, b] = await Promise.all([
        service.refresh(first.refreshToken),
        service.refresh(first.refreshToken),
      ]);
      expect(a.refreshToken).toBe(b?.refreshToken);
      expect(a.accessToken).toBe(b?.accessToken);
      // exactly one successor was created, and it works
      expect(await rowsOf(user.id)).toHaveLength(2);
      await expect(service.refresh(a.refreshToken)).resolves.toMatchObject({ expiresIn: 900 });
    }
  });

  it("the grace-window copy is encrypted and cleared once the window has passed", async () => {
    const service = sessions({ reuseGraceSeconds: 10 });
    const user = await newUser();
    const first = await service.start(user);
    const second = await service.refresh(first.refreshToken);
    const [cached] = await t.database.db
      .select()
      .from(refreshTokens)
      .where(and(eq(refreshTokens.userId, user.id), isNotNull(refreshTokens.successorCiphertext)));
    expect(cached?.successorCiphertext).toBeTruthy();
    expect(cached?.successorCiphertext).not.toContain(second.refreshToken);
    expect(cached?.successorCiphertext).not.toContain(second.accessToken);
    time += 11_000;
    await service.refresh(second.refreshToken);
    const rows = await rowsOf(user.id);
    expect(rows.find((row) => row.id === cached?.id)?.successorCiphertext).toBeNull();
  });

  it("an expired refresh token is refused", async () => {
    const service = sessions({ refreshTokenTtlSeconds: 60 });
    const user = await newUser();
    const pair = await service.start(user);
    time += 61_000;
    await expect(service.refresh(pair.refreshToken)).rejects.toBeInstanceOf(InvalidRefreshTokenError);
  });

  it("unknown and garbage tokens are refused", async () => {
    const service = sessions();
    await expect(service.refresh("nope")).rejects.toBeInstanceOf(InvalidRefreshTokenError);
    await expect(service.refresh("A".repeat(43))).rejects.toBeInstanceOf(InvalidRefreshTokenError);
  });

  it("logout revokes that token's family only; unknown and spent tokens are ignored", async () => {
    const service = sessions({ reuseGraceSeconds: 0 });
    const user = await newUser();
    const first = await service.start(user);
    const second = await service.refresh(first.refreshToken);
    const other = await service.start(user);
    await service.logout(first.refreshToken); // a spent token still names its family
    await expect(service.refresh(second.refreshToken)).rejects.toBeInstanceOf(InvalidRefreshTokenError);
    await expect(service.logout("unknown")).resolves.toBeUndefined();
    await expect(service.logout(second.refreshToken)).resolves.toBeUndefined();
    await expect(service.refresh(other.refreshToken)).resolves.toMatchObject({ expiresIn: 900 });
  });

  it("logoutAll refuses every refresh and access token of the user, and not another user's", async () => {
    const service = sessions();
    const user = await newUser();
    const bystander = await newUser("bystander");
    const a = await service.start(user);
    const b = await service.start(user);
    const theirs = await service.start(bystander);
    const issuedAt = Math.max(Math.floor(time / 1000), tokensValidFrom(user));
    await service.logoutAll(user.id);
    await expect(service.refresh(a.refreshToken)).rejects.toBeInstanceOf(InvalidRefreshTokenError);
    await expect(service.refresh(b.refreshToken)).rejects.toBeInstanceOf(InvalidRefreshTokenError);
    await expect(users.getActiveUserForToken({ userId: user.id, issuedAt })).rejects.toBeInstanceOf(
      TokenRevokedError,
    );
    await expect(service.refresh(theirs.refreshToken)).resolves.toMatchObject({ expiresIn: 900 });
    // a new login afterwards works at once
    const fresh = await service.start(await users.getProfile(user.id));
    await expect(service.refresh(fresh.refreshToken)).resolves.toMatchObject({ expiresIn: 900 });
  });

  it("refresh is refused after a password change, a deactivation or a deletion", async () => {
    const service = sessions();
    const changed = await newUser("changed");
    const changedPair = await service.start(changed);
    await users.changePassword(changed.id, { currentPassword: PASSWORD, newPassword: "another long one" });
    await expect(service.refresh(changedPair.refreshToken)).rejects.toBeInstanceOf(InvalidRefreshTokenError);
    // a login right after the change is not caught by the boundary it just moved
    const after = await service.start(await users.getProfile(changed.id));
    await expect(service.refresh(after.refreshToken)).resolves.toMatchObject({ expiresIn: 900 });

    const deactivated = await newUser("deactivated");
    const deactivatedPair = await service.start(deactivated);
    await users.adminUpdateUser(deactivated.id, { isActive: false });
    // refused, and its holder is told why
    await expect(service.refresh(deactivatedPair.refreshToken)).rejects.toBeInstanceOf(
      AccountDeactivatedError,
    );

    const deleted = await newUser("deleted");
    const deletedPair = await service.start(deleted);
    await users.deleteAccount(deleted.id);
    await expect(service.refresh(deletedPair.refreshToken)).rejects.toBeInstanceOf(InvalidRefreshTokenError);
    expect(await rowsOf(deleted.id)).toHaveLength(0);
  });
});
