import { eq, inArray, sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { recordAuditEvent } from "../audit/audit-log.js";
import { auditEvents, oneTimeTokens, outbox, refreshTokens, sessions } from "../db/schema.js";
import { issueOneTimeToken, redeemOneTimeToken } from "../one-time-tokens/one-time-token-repository.js";
import { markMailSent, queueMail } from "../outbox/outbox.js";
import { insertSession } from "../sessions/session-repository.js";
import { createSessionService, hashToken } from "../sessions/session-service.js";
import {
  createCountingHasher,
  openTestDatabase,
  type TestDatabase,
  testDatabaseKinds,
  uniqueEmail,
} from "../test-support/index.js";
import { createUserService, type UserService } from "../users/user-service.js";
import { sweepStaleRows } from "./sweep-stale-rows.js";

const HOUR = 3600_000;

describe.each(testDatabaseKinds)("sweepStaleRows on %s", (kind) => {
  let t: TestDatabase;
  let users: UserService;
  beforeAll(async () => {
    t = await openTestDatabase(kind);
    users = createUserService({ db: t.database.db, passwords: createCountingHasher().hasher });
  });
  afterAll(async () => {
    await t.dispose();
  });

  const newUser = () => users.register({ email: uniqueEmail("sweep"), password: "correct horse battery" });

  /** Tokens of one user: two expired, one spent, one live. */
  async function oneTimeTokensFor(userId: string, now: number) {
    const issue = (expiresAt: number) =>
      issueOneTimeToken(t.database.db, {
        purpose: "verify_email",
        userId,
        email: "x@example.com",
        expiresAt: new Date(expiresAt),
        now: new Date(now - 2 * HOUR),
      });
    await issue(now - HOUR);
    await issue(now - 1);
    const spent = await issue(now + HOUR);
    await redeemOneTimeToken(t.database.db, {
      purpose: "verify_email",
      token: spent,
      now: new Date(now - 1),
    });
    await issue(now + HOUR);
  }

  const countOneTimeTokens = async (userId: string) =>
    (await t.database.db.select().from(oneTimeTokens).where(eq(oneTimeTokens.userId, userId))).length;

  it("deletes expired and spent one-time tokens in bounded batches and keeps live ones", async () => {
    const now = Date.now();
    const user = await newUser();
    await oneTimeTokensFor(user.id, now);
    expect(await countOneTimeTokens(user.id)).toBe(4);

    const first = await sweepStaleRows(t.database.db, { before: new Date(now), batchSize: 1, maxBatches: 2 });
    expect(first).toMatchObject({ oneTimeTokens: 2, skipped: false });
    expect(await countOneTimeTokens(user.id)).toBe(2);

    const second = await sweepStaleRows(t.database.db, {
      before: new Date(now),
      batchSize: 10,
      maxBatches: 5,
    });
    expect(second.oneTimeTokens).toBe(1);
    const [live] = await t.database.db.select().from(oneTimeTokens).where(eq(oneTimeTokens.userId, user.id));
    expect(live).toMatchObject({ usedAt: null });
    expect(live?.expiresAt.getTime()).toBeGreaterThan(now);
  });

  it("deletes the refresh tokens of finished sessions and keeps every row of a live one", async () => {
    let time = Date.now() - 2 * HOUR;
    const sessions = createSessionService({
      db: t.database.db,
      secret: "sweep-test-secret-0123456789abcdef",
      accessTokens: { issue: async () => ({ token: "access", expiresIn: 900 }) },
      refreshTokenTtlSeconds: 3600,
      reuseGraceSeconds: 0,
      now: () => time,
    });
    const user = await newUser();
    // Expired an hour ago: a finished session of two rows.
    const expired = await sessions.start(user);
    await sessions.refresh(expired.refreshToken);
    // Logged out: a finished session too, though its rows have not expired.
    time = Date.now() - HOUR / 2;
    const loggedOut = await sessions.start(user);
    await sessions.logout(loggedOut.refreshToken);
    // Live: its first row is spent, and still needed to detect reuse.
    const live = await sessions.start(user);
    const rotated = await sessions.refresh(live.refreshToken);
    const familyOf = async (token: string) => {
      const rows = await t.database.db.select().from(refreshTokens).where(eq(refreshTokens.userId, user.id));
      return rows.find((row) => row.tokenHash === hashToken(token))?.familyId;
    };
    const liveFamily = await familyOf(live.refreshToken);
    expect(await familyOf(rotated.refreshToken)).toBe(liveFamily);

    const result = await sweepStaleRows(t.database.db, {
      before: new Date(),
      batchSize: 100,
      maxBatches: 10,
    });
    expect(result).toMatchObject({ skipped: false });
    const left = await t.database.db.select().from(refreshTokens).where(eq(refreshTokens.userId, user.id));
    expect(left.map((row) => row.familyId)).toEqual([liveFamily, liveFamily]);
    // The spent row still does its job: presenting it again revokes the live session.
    await expect(sessions.refresh(live.refreshToken)).rejects.toThrow();
    await expect(sessions.refresh(rotated.refreshToken)).rejects.toThrow();
  });

  it.runIf(kind === "postgres")("skips the run while another process holds the sweep lock", async () => {
    const now = Date.now();
    const user = await newUser();
    await oneTimeTokensFor(user.id, now);
    let release!: () => void;
    const released = new Promise<void>((resolve) => {
      release = resolve;
    });
    let locked!: () => void;
    const lockTaken = new Promise<void>((resolve) => {
      locked = resolve;
    });
    const holder = t.database.db.transaction(async (tx) => {
      await tx.execute(sql`select pg_advisory_xact_lock(7571032301)`);
      locked();
      await released;
    });
    await lockTaken;
    try {
      const result = await sweepStaleRows(t.database.db, {
        before: new Date(now),
        batchSize: 10,
        maxBatches: 5,
      });
      expect(result).toEqual({
        oneTimeTokens: 0,
        refreshTokens: 0,
        sessions: 0,
        auditEvents: 0,
        outbox: 0,
        skipped: true,
      });
      expect(await countOneTimeTokens(user.id)).toBe(4);
    } finally {
      release();
      await holder;
    }
    const after = await sweepStaleRows(t.database.db, {
      before: new Date(now),
      batchSize: 10,
      maxBatches: 5,
    });
    expect(after.skipped).toBe(false);
    expect(
      await t.database.db
        .select()
        .from(oneTimeTokens)
        .where(inArray(oneTimeTokens.userId, [user.id])),
    ).toHaveLength(1);
  });

  it("deletes sessions ended over 90 days ago, events past retention and mail sent a week ago; keeps the rest", async () => {
    const user = await newUser();
    const now = Date.now();
    const DAY = 24 * HOUR;
    const db = t.database.db;
    const session = (id: string, expiresAt: number, revokedAt: number | null) =>
      insertSession(db, {
        id,
        userId: user.id,
        at: new Date(expiresAt - 30 * DAY),
        expiresAt: new Date(expiresAt),
        ip: null,
        userAgent: null,
        device: "Firefox on Linux",
      }).then(() =>
        revokedAt === null
          ? undefined
          : db
              .update(sessions)
              .set({ revokedAt: new Date(revokedAt) })
              .where(eq(sessions.id, id)),
      );
    const ids = Array.from({ length: 4 }, () => crypto.randomUUID());
    await session(ids[0] ?? "", now - 91 * DAY, null); // expired long ago
    await session(ids[1] ?? "", now + 10 * DAY, now - 100 * DAY); // ended long ago
    await session(ids[2] ?? "", now - 10 * DAY, null); // expired recently: its device still counts
    await session(ids[3] ?? "", now + 10 * DAY, null); // live
    await recordAuditEvent(db, { type: "login.failed", userId: user.id }, {}, new Date(now - 40 * DAY));
    await recordAuditEvent(db, { type: "login.failed", userId: user.id }, {}, new Date(now - 20 * DAY));
    await queueMail(db, { kind: "password_changed", to: user.email, data: {} }, new Date(now - 9 * DAY));
    await queueMail(db, { kind: "password_changed", to: user.email, data: {} }, new Date(now - 9 * DAY));
    const [oldMail, pendingMail] = await db.select().from(outbox).where(eq(outbox.recipient, user.email));
    await markMailSent(db, oldMail?.id ?? "", new Date(now - 8 * DAY));

    const result = await sweepStaleRows(db, {
      before: new Date(now),
      batchSize: 1,
      maxBatches: 10,
      auditRetentionDays: 30,
    });
    expect(result).toMatchObject({ sessions: 2, auditEvents: 1, outbox: 1, skipped: false });
    const left = await db.select({ id: sessions.id }).from(sessions).where(eq(sessions.userId, user.id));
    expect(left.map((row) => row.id).sort()).toEqual([ids[2], ids[3]].sort());
    expect(await db.select().from(auditEvents).where(eq(auditEvents.userId, user.id))).toHaveLength(2);
    expect(
      (await db.select().from(outbox).where(eq(outbox.recipient, user.email))).map((row) => row.id),
    ).toEqual([pendingMail?.id]);
  });
});
