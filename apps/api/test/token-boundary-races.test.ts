/**
 * Token boundary under real concurrency, through a real server process on PostgreSQL and on PGlite.
 *
 * A login reads the user, spends a bcrypt run, then mints tokens; a password change or reset that
 * commits in between must still kill what that login mints. Whole-second `iat`s make the old failure
 * show only when the mint lands in the second after the change, so each round fires the change at a
 * different phase of the wall-clock second (the server shares this machine's clock). That steering only
 * makes a broken ordering visible; the assertion (nothing survives) holds at every phase because the
 * database serialises minting and boundary moves on the user row.
 *
 * BCRYPT_COST is 10 (~65 ms here), a realistic cost: the race window is the bcrypt run, so a toy cost
 * would shrink the window the attack needs, and 10 keeps six rounds per scenario within the time budget.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { openTestDatabase, type TestDatabase, testDatabaseKinds, uniqueEmail } from "@app/core/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type RunningServer, startServer } from "./support/server-process.js";
import { startSmtpServer } from "./support/smtp-server.js";

const SECRET = "token-boundary-races-secret-0123456789abcdef";
const PASSWORD = "correct horse battery";
const PUBLIC_URL = "http://app.test";
const HUGE = "1000000000";
/** Concurrent login loops with the old password while the password moves. */
const ATTACKERS = 6;
/** Where in the wall-clock second each round fires the change (ms before the next second starts). */
const PHASES_MS = [60, 140, 220, 300, 380, 460];

interface TokenBody {
  access_token: string;
  refresh_token: string;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
/** Waits until `msBefore` ms before the next wall-clock second. */
async function untilPhase(msBefore: number): Promise<void> {
  const target = 1000 - msBefore;
  const wait = (target - (Date.now() % 1000) + 1000) % 1000;
  await sleep(wait);
}

describe.each(testDatabaseKinds)("token boundary races through a real server on %s", (kind) => {
  let server: RunningServer;
  let database: TestDatabase | undefined;
  let dataDir: string | undefined;
  let smtp: Awaited<ReturnType<typeof startSmtpServer>>;

  beforeAll(async () => {
    smtp = await startSmtpServer();
    const env: Record<string, string> = {
      JWT_SECRET: SECRET,
      BCRYPT_COST: "10",
      // The account-wide ceiling may not exceed 100 (NIST SP 800-63B); the races never fail a password.
      LOGIN_LIMIT_PER_ACCOUNT: "100",
      LOGIN_LIMIT_PER_ACCOUNT_AND_ADDRESS: HUGE,
      LOGIN_LIMIT_PER_ADDRESS: HUGE,
      PASSWORD_HASH_MAX_QUEUE: "1000",
      REGISTER_LIMIT_PER_ADDRESS: HUGE,
      REFRESH_LIMIT_PER_ADDRESS: HUGE,
      RECOVERY_LIMIT_PER_ACCOUNT: HUGE,
      RECOVERY_LIMIT_PER_ADDRESS: HUGE,
      SMTP_URL: smtp.url,
      PUBLIC_URL,
    };
    if (kind === "postgres") {
      database = await openTestDatabase("postgres", { poolSize: 1 });
      env.DATABASE_URL = database.url ?? "";
      env.DATABASE_POOL_SIZE = "10";
    } else {
      dataDir = await mkdtemp(join(tmpdir(), "boundary-races-"));
      env.DATA_DIR = dataDir;
    }
    server = await startServer(env, { timeoutMs: 120_000 });
  }, 180_000);

  afterAll(async () => {
    await server?.stop("SIGTERM");
    await database?.dispose();
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
    await smtp?.close();
  }, 30_000);

  const post = (path: string, body: unknown, token?: string) =>
    fetch(`${server.url}${path}`, {
      method: "POST",
      headers: { "content-type": "application/json", ...(token ? { authorization: `Bearer ${token}` } : {}) },
      body: JSON.stringify(body),
    });
  const login = (email: string, password: string) =>
    fetch(`${server.url}/v1/users/login`, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ username: email, password }),
    });
  const me = (token: string) =>
    fetch(`${server.url}/v1/users/me`, { headers: { authorization: `Bearer ${token}` } });
  const refresh = (refreshToken: string) => post("/v1/users/token/refresh", { refresh_token: refreshToken });

  async function signedUp(): Promise<{ email: string; pair: TokenBody }> {
    const email = uniqueEmail("race");
    expect((await post("/v1/users/", { email, password: PASSWORD })).status).toBe(201);
    const response = await login(email, PASSWORD);
    expect(response.status).toBe(200);
    return { email, pair: (await response.json()) as TokenBody };
  }

  /** Asks for a reset link and reads its token out of the email the server sent. */
  async function resetToken(email: string): Promise<string> {
    expect((await post("/v1/users/password-reset", { email })).status).toBe(202);
    for (let i = 0; i < 200; i++) {
      for (const message of smtp.messages) {
        const to = (Array.isArray(message.to) ? message.to[0] : message.to)?.value[0]?.address;
        const token = message.text?.match(/reset-password\?token=([A-Za-z0-9_-]+)/)?.[1];
        if (to === email && token) return token;
      }
      await sleep(50);
    }
    throw new Error(`no reset email for ${email}`);
  }

  /**
   * Keeps ATTACKERS logins with the old password in flight, fires `change` at the given phase, keeps the
   * logins going until shortly after it answered, then tries every token obtained.
   * @returns how many tokens still worked afterwards, and how many logins succeeded.
   */
  async function raceLogins(email: string, phaseMs: number, change: () => Promise<Response>) {
    const pairs: TokenBody[] = [];
    let stop = false;
    const attackers = Array.from({ length: ATTACKERS }, async () => {
      while (!stop) {
        const response = await login(email, PASSWORD);
        if (response.status === 200) pairs.push((await response.json()) as TokenBody);
        else await response.body?.cancel();
      }
    });
    await untilPhase(phaseMs);
    const changed = await change();
    expect([200, 204]).toContain(changed.status);
    await sleep(400);
    stop = true;
    await Promise.all(attackers);
    let survivors = 0;
    for (const pair of pairs) {
      if ((await me(pair.access_token)).status !== 401) survivors++;
      if ((await refresh(pair.refresh_token)).status !== 401) survivors++;
    }
    return { survivors, logins: pairs.length };
  }

  it("logins in flight with the old password never outlive a password change (6 rounds)", async () => {
    const outcomes = [];
    for (const phase of PHASES_MS) {
      const { email, pair } = await signedUp();
      outcomes.push(
        await raceLogins(email, phase, () =>
          post(
            "/v1/users/me/password",
            { current_password: PASSWORD, new_password: `${PASSWORD} changed` },
            pair.access_token,
          ),
        ),
      );
    }
    expect(outcomes.every((outcome) => outcome.logins > 0)).toBe(true);
    expect(outcomes.map((outcome) => outcome.survivors)).toEqual(PHASES_MS.map(() => 0));
  }, 180_000);

  it("logins in flight with the old password never outlive a password reset (6 rounds)", async () => {
    const outcomes = [];
    for (const phase of PHASES_MS) {
      const { email } = await signedUp();
      const token = await resetToken(email);
      outcomes.push(
        await raceLogins(email, phase, () =>
          post("/v1/users/password-reset/confirm", { token, new_password: `${PASSWORD} reset` }),
        ),
      );
    }
    expect(outcomes.every((outcome) => outcome.logins > 0)).toBe(true);
    expect(outcomes.map((outcome) => outcome.survivors)).toEqual(PHASES_MS.map(() => 0));
  }, 180_000);

  it("logout-all fired while stolen refresh tokens rotate in a loop leaves nothing that refreshes", async () => {
    const USERS = 12;
    for (const phase of [20, 60, 120, 200, 300]) {
      const victims = await Promise.all(Array.from({ length: USERS }, () => signedUp()));
      const rounds = victims.map(async ({ pair }) => {
        let latest = pair.refresh_token;
        let stop = false;
        const thief = (async () => {
          while (!stop) {
            const response = await refresh(latest);
            if (response.status !== 200) break;
            latest = ((await response.json()) as TokenBody).refresh_token;
          }
        })();
        await untilPhase(phase);
        expect((await post("/v1/users/logout-all", {}, pair.access_token)).status).toBe(204);
        await sleep(300);
        stop = true;
        await thief;
        return (await refresh(latest)).status;
      });
      expect(await Promise.all(rounds)).toEqual(victims.map(() => 401));
    }
  }, 180_000);
});
