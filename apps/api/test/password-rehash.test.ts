/**
 * Rehash on login with the real hashers (@app/auth's bcrypt and Argon2id) behind the real services, on
 * PostgreSQL and PGlite: what PASSWORD_HASH, BCRYPT_COST and ARGON2_* do to stored hashes at login, the
 * race of logins with the old password against a password change, and the unknown-email path costing
 * what a known account's costs under each algorithm (measured).
 */
import { setTimeout as sleep } from "node:timers/promises";
import { createPasswordHasher, type PasswordHashingOptions } from "@app/auth";
import {
  createSessionService,
  createSignIn,
  createUser,
  createUserService,
  getUserByEmail,
  InvalidCredentialsError,
  type PasswordGuessBudget,
  type PasswordHasher,
  type SignIn,
} from "@app/core";
import { openTestDatabase, type TestDatabase, testDatabaseKinds, uniqueEmail } from "@app/core/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TEST_SECRET } from "./support/test-app.js";

const OLD_PASSWORD = "correct horse battery";
const NEW_PASSWORD = "another staple entirely";
const noBudget: PasswordGuessBudget = { spend: async () => {}, clearAfterSuccess: async () => {} };
/** PASSWORD_HASH=argon2id with the default ARGON2_* (OWASP's m=19456 KiB, t=2, p=1). */
const ARGON2ID: PasswordHashingOptions = { algorithm: "argon2id" };
const OWASP_PHC_PREFIX = "$argon2id$v=19$m=19456,t=2,p=1$";

describe.each(testDatabaseKinds)("password rehash with the real hashers on %s", (kind) => {
  let t: TestDatabase;
  beforeAll(async () => {
    t = await openTestDatabase(kind, { poolSize: 8 });
  });
  afterAll(async () => {
    await t.dispose();
  });

  const sessions = () =>
    createSessionService({
      db: t.database.db,
      secret: TEST_SECRET,
      accessTokens: { issue: async ({ subject }) => ({ token: `access.${subject}`, expiresIn: 900 }) },
    });
  const serviceWith = (passwords: PasswordHasher) => {
    const service = createUserService({ db: t.database.db, passwords });
    const signIn: SignIn = createSignIn({
      users: service,
      sessions: sessions(),
      requireVerifiedEmail: false,
    });
    return { users: service, signIn };
  };
  const storedRow = async (email: string) => {
    const row = await getUserByEmail(t.database.db, email);
    if (!row) throw new Error("user row missing");
    return { hash: row.hashedPassword, passwordChangedAt: row.passwordChangedAt.getTime() };
  };
  /** A user whose hash was made under another configuration (an older deployment). */
  const legacyUser = async (options: PasswordHashingOptions) => {
    const email = uniqueEmail("legacy");
    const hashedPassword = await createPasswordHasher(options).hash(OLD_PASSWORD);
    const user = await createUser(t.database.db, { email, hashedPassword });
    return { email, user };
  };

  it("a bcrypt hash under PASSWORD_HASH=argon2id becomes an Argon2id PHC string at login", async () => {
    const { email } = await legacyUser({ cost: 4 });
    const before = await storedRow(email);
    expect(before.hash).toMatch(/^\$2b\$04\$/);
    const { signIn } = serviceWith(createPasswordHasher(ARGON2ID));
    await signIn({ email, password: OLD_PASSWORD }, noBudget);
    const after = await storedRow(email);
    expect(after.hash.startsWith(OWASP_PHC_PREFIX)).toBe(true);
    expect(after.passwordChangedAt).toBe(before.passwordChangedAt);
    // The same password signs in against the new hash, and nothing is rewritten a second time.
    await signIn({ email, password: OLD_PASSWORD }, noBudget);
    expect((await storedRow(email)).hash).toBe(after.hash);
    await expect(signIn({ email, password: NEW_PASSWORD }, noBudget)).rejects.toBeInstanceOf(
      InvalidCredentialsError,
    );
  });

  it("a lower BCRYPT_COST is raised at login; an Argon2id hash goes back to bcrypt under PASSWORD_HASH=bcrypt", async () => {
    const { email } = await legacyUser({ cost: 4 });
    const { signIn } = serviceWith(createPasswordHasher({ cost: 5 }));
    await signIn({ email, password: OLD_PASSWORD }, noBudget);
    expect((await storedRow(email)).hash).toMatch(/^\$2b\$05\$/);

    const argon = await legacyUser({
      algorithm: "argon2id",
      argon2: { memoryKib: 1024, iterations: 1, parallelism: 1 },
    });
    await signIn({ email: argon.email, password: OLD_PASSWORD }, noBudget);
    expect((await storedRow(argon.email)).hash).toMatch(/^\$2b\$05\$/);
  });

  it("lower ARGON2_* parameters are raised at login; the configured ones are left alone", async () => {
    const weak = {
      algorithm: "argon2id",
      argon2: { memoryKib: 1024, iterations: 1, parallelism: 1 },
    } as const;
    const { email } = await legacyUser(weak);
    const { signIn } = serviceWith(createPasswordHasher(ARGON2ID));
    await signIn({ email, password: OLD_PASSWORD }, noBudget);
    const raised = await storedRow(email);
    expect(raised.hash.startsWith(OWASP_PHC_PREFIX)).toBe(true);

    const same = await legacyUser(ARGON2ID);
    const stored = await storedRow(same.email);
    await signIn({ email: same.email, password: OLD_PASSWORD }, noBudget);
    expect(await storedRow(same.email)).toEqual(stored);
  });

  it("logins with the old password racing a password change never undo it (5 rounds)", async () => {
    for (let round = 0; round < 5; round++) {
      const { email, user } = await legacyUser({ cost: 4 });
      const { users: service, signIn } = serviceWith(createPasswordHasher(ARGON2ID));
      const logins = Array.from({ length: 3 }, (_, i) =>
        sleep(i * 10).then(() => signIn({ email, password: OLD_PASSWORD }, noBudget)),
      );
      // The change starts at a different point of the logins' verify → rehash → session start each round.
      const change = sleep(round * 15).then(() =>
        service.changePassword(user.id, { currentPassword: OLD_PASSWORD, newPassword: NEW_PASSWORD }),
      );
      const [changed] = await Promise.allSettled([change, ...logins]);
      expect(changed?.status).toBe("fulfilled");
      await expect(signIn({ email, password: NEW_PASSWORD }, noBudget)).resolves.toMatchObject({
        user: { id: user.id },
      });
      await expect(signIn({ email, password: OLD_PASSWORD }, noBudget)).rejects.toBeInstanceOf(
        InvalidCredentialsError,
      );
      expect((await storedRow(email)).hash.startsWith(OWASP_PHC_PREFIX)).toBe(true);
    }
  });

  it.each([
    ["argon2id (OWASP defaults)", ARGON2ID],
    ["bcrypt cost 10", { cost: 10 }],
  ] as const)(
    "an unknown email costs what a known account's wrong password costs under %s",
    async (_name, options) => {
      const passwords = createPasswordHasher(options);
      const { users: service } = serviceWith(passwords);
      const email = uniqueEmail("timing");
      await service.register({ email, password: OLD_PASSWORD });
      const time = async (attempt: () => Promise<unknown>) => {
        const started = performance.now();
        await attempt().catch(() => undefined);
        return performance.now() - started;
      };
      // The dummy hash is made once per process, on the first unknown email: not part of what is measured.
      await service
        .authenticate({ email: uniqueEmail("warm-up"), password: "wrong password" })
        .catch(() => {});
      const known: number[] = [];
      const unknown: number[] = [];
      for (let i = 0; i < 7; i++) {
        known.push(await time(() => service.authenticate({ email, password: "wrong password" })));
        unknown.push(
          await time(() =>
            service.authenticate({ email: uniqueEmail("nobody"), password: "wrong password" }),
          ),
        );
      }
      const median = (values: number[]) =>
        [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? 0;
      const ratio = median(unknown) / median(known);
      expect(ratio).toBeGreaterThan(0.5);
      expect(ratio).toBeLessThan(2);
    },
  );
});
