import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  EmailNotVerifiedError,
  InvalidCredentialsError,
  InvalidRefreshTokenError,
  InvalidResetTokenError,
  InvalidVerificationTokenError,
  TokenRevokedError,
} from "../errors.js";
import { issueOneTimeToken } from "../one-time-tokens/one-time-token-repository.js";
import type { AccessTokenIssuer } from "../ports.js";
import {
  createCountingHasher,
  uniqueEmail as email,
  openTestDatabase,
  type TestDatabase,
  testDatabaseKinds,
} from "../test-support/index.js";
import {
  type AccountRecoveryService,
  createAccountRecoveryService,
} from "../users/account-recovery-service.js";
import type { User } from "../users/user.js";
import { updateUser } from "../users/user-repository.js";
import { createUserService, type UserService } from "../users/user-service.js";
import { createSessionService, type SessionService } from "./session-service.js";

const PASSWORD = "correct horse battery";
const NEW_PASSWORD = "a fresh passphrase 42";
const SECRET = "token-boundary-test-secret-0123456789abcdef";

/** Records each access token's iat, as @app/auth stamps it (never before the user's boundary). */
const accessTokens: AccessTokenIssuer = {
  async issue({ subject, issuedAtFloor }) {
    const iat = Math.max(Math.floor(Date.now() / 1000), issuedAtFloor);
    return { token: `access.${subject}.${iat}`, expiresIn: 900 };
  },
};
const iatOf = (accessToken: string) => Number(accessToken.split(".")[2]);

describe.each(testDatabaseKinds)("token boundary on %s", (kind) => {
  let t: TestDatabase;
  let users: UserService;
  let sessions: SessionService;
  let recovery: AccountRecoveryService;
  const counting = createCountingHasher();
  beforeAll(async () => {
    t = await openTestDatabase(kind);
    users = createUserService({ db: t.database.db, passwords: counting.hasher });
    sessions = createSessionService({ db: t.database.db, secret: SECRET, accessTokens });
    recovery = createAccountRecoveryService({ db: t.database.db, passwords: counting.hasher });
  });
  afterAll(async () => {
    await t.dispose();
  });

  const newUser = (tag = "boundary") => users.register({ email: email(tag), password: PASSWORD });

  /** Every change that moves the boundary, applied to `user`. */
  const boundaryMoves: Record<string, (user: User) => Promise<unknown>> = {
    "a password change": (user) =>
      users.changePassword(user.id, { currentPassword: PASSWORD, newPassword: NEW_PASSWORD }),
    "an admin password set": (user) => users.adminUpdateUser(user.id, { password: NEW_PASSWORD }),
    "a reset": async (user) => {
      const sent = await recovery.requestPasswordReset(user.email);
      if (!sent) throw new Error("no reset token");
      return recovery.resetPassword({ token: sent.token, newPassword: NEW_PASSWORD });
    },
    "a deactivation": (user) => users.adminUpdateUser(user.id, { isActive: false }),
  };

  for (const [name, move] of Object.entries(boundaryMoves)) {
    it(`a login that authenticated before ${name} cannot start a session after it`, async () => {
      const user = await newUser();
      const authenticated = await users.authenticate({ email: user.email, password: PASSWORD });
      await move(user);
      await expect(sessions.start(authenticated)).rejects.toBeInstanceOf(InvalidCredentialsError);
    });
  }

  it("a login whose user was renamed meanwhile still starts its session", async () => {
    const user = await newUser();
    const authenticated = await users.authenticate({ email: user.email, password: PASSWORD });
    await users.updateProfile(user.id, { fullName: "Ada" });
    await expect(sessions.start(authenticated)).resolves.toHaveProperty("refreshToken");
  });

  it("deactivation ends every session: reactivating the user revives none of them", async () => {
    const user = await newUser();
    const pair = await sessions.start(user);
    await users.adminUpdateUser(user.id, { isActive: false });
    const reactivated = await users.adminUpdateUser(user.id, { isActive: true });
    await expect(sessions.refresh(pair.refreshToken)).rejects.toBeInstanceOf(InvalidRefreshTokenError);
    await expect(
      users.getActiveUserForToken({ userId: user.id, issuedAt: iatOf(pair.accessToken) }),
    ).rejects.toBeInstanceOf(TokenRevokedError);
    // A new login after reactivation works.
    const fresh = await sessions.start(reactivated);
    await expect(sessions.refresh(fresh.refreshToken)).resolves.toHaveProperty("refreshToken");
  });

  const linkSpenders: Record<string, (user: User) => Promise<unknown>> = {
    "a password change": boundaryMoves["a password change"] as (user: User) => Promise<unknown>,
    "an email change": (user) => users.updateProfile(user.id, { email: email("moved") }),
    "an admin email change": (user) => users.adminUpdateUser(user.id, { email: email("moved") }),
    "logout-all": (user) => sessions.logoutAll(user.id),
    "a deactivation then reactivation": async (user) => {
      await users.adminUpdateUser(user.id, { isActive: false });
      await users.adminUpdateUser(user.id, { isActive: true });
    },
  };

  for (const [name, spend] of Object.entries(linkSpenders)) {
    it(`${name} spends every outstanding reset and verification link`, async () => {
      const user = await newUser();
      const reset = await recovery.requestPasswordReset(user.email);
      const verify = await recovery.requestEmailVerification(user.id);
      if (!reset || !verify) throw new Error("no tokens issued");
      await spend(user);
      await expect(
        recovery.resetPassword({ token: reset.token, newPassword: NEW_PASSWORD }),
      ).rejects.toBeInstanceOf(InvalidResetTokenError);
      await expect(recovery.verifyEmail(verify.token)).rejects.toBeInstanceOf(InvalidVerificationTokenError);
    });
  }

  it("a reset link addressed to a former email is refused", async () => {
    const user = await newUser();
    const token = await issueOneTimeToken(t.database.db, {
      purpose: "password_reset",
      userId: user.id,
      email: email("former"),
      expiresAt: new Date(Date.now() + 60_000),
      now: new Date(),
    });
    await expect(recovery.resetPassword({ token, newPassword: NEW_PASSWORD })).rejects.toBeInstanceOf(
      InvalidResetTokenError,
    );
    await expect(users.authenticate({ email: user.email, password: PASSWORD })).resolves.toMatchObject({
      id: user.id,
    });
  });

  it("a bad reset token is refused before any password is hashed", async () => {
    const before = counting.calls.hash;
    await expect(
      recovery.resetPassword({ token: "not-a-token-at-all", newPassword: NEW_PASSWORD }),
    ).rejects.toBeInstanceOf(InvalidResetTokenError);
    expect(counting.calls.hash).toBe(before);
  });

  it("with requireVerifiedEmail, refresh refuses an unverified email and leaves the token unspent", async () => {
    const strict = createSessionService({
      db: t.database.db,
      secret: SECRET,
      accessTokens,
      requireVerifiedEmail: true,
    });
    const user = await newUser();
    const pair = await strict.start(user);
    await expect(strict.refresh(pair.refreshToken)).rejects.toBeInstanceOf(EmailNotVerifiedError);
    await updateUser(t.database.db, user.id, { emailVerifiedAt: new Date() });
    await expect(strict.refresh(pair.refreshToken)).resolves.toHaveProperty("refreshToken");
  });

  it("logout-all racing a refresh on another replica leaves no successor that refreshes (40 users)", async () => {
    // Two replicas whose clocks straddle a second boundary: the refreshing one reads 12:00:01.100 while
    // logout-all runs on one reading 12:00:00.900. Only the lock order can keep the successor from
    // escaping; timing cannot.
    const second = Math.floor(Date.now() / 1000) * 1000 + 10_000;
    const refreshing = createSessionService({
      db: t.database.db,
      secret: SECRET,
      accessTokens,
      now: () => second + 100,
    });
    const loggingOut = createSessionService({
      db: t.database.db,
      secret: SECRET,
      accessTokens,
      now: () => second - 100,
    });
    const victims = await Promise.all(Array.from({ length: 40 }, () => newUser("race")));
    const pairs = await Promise.all(victims.map((user) => refreshing.start(user)));
    const outcomes = await Promise.all(
      victims.map(async (user, i) => {
        const [rotated] = await Promise.allSettled([
          refreshing.refresh(pairs[i]?.refreshToken ?? ""),
          loggingOut.logoutAll(user.id),
        ]);
        if (rotated.status === "rejected") return "refused";
        const again = await refreshing.refresh(rotated.value.refreshToken).then(
          () => "survived",
          () => "refused",
        );
        return again;
      }),
    );
    expect(outcomes.filter((outcome) => outcome === "survived")).toEqual([]);
  });
});
