/**
 * The service behind a real PgBouncer 1.18 in transaction pooling mode: each transaction may run on a
 * different server connection, so nothing may rely on session state (prepared statements, session-level
 * advisory locks, LISTEN). With DATABASE_PREPARED_STATEMENTS=false the HTTP flows, the migrator, the key
 * CLI, the outbox and the sweep all work through it; with prepared statements on, requests fail.
 */
import { randomBytes } from "node:crypto";
import { fileURLToPath } from "node:url";
import { createPasswordHasher } from "@app/auth";
import { createDatabase, createUser, type Database, issueOneTimeToken, oneTimeTokens } from "@app/core";
import { testDatabaseUrl, uniqueEmail, withDatabase } from "@app/core/testing";
import { decodeProtectedHeader } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { eventually, runNodeScript } from "./support/node-script.js";
import { type RunningPgBouncer, startPgBouncer } from "./support/pgbouncer.js";
import { type RunningServer, startServer } from "./support/server-process.js";
import { startSmtpServer } from "./support/smtp-server.js";
import { totpCode } from "./support/totp.js";

const MIGRATE = fileURLToPath(new URL("../dist/migrate.js", import.meta.url));
const ROTATE_KEYS = fileURLToPath(new URL("../dist/cli/rotate-keys.js", import.meta.url));
const PASSWORD = "correct horse battery";
const NEW_PASSWORD = "battery staple horse";
const SECRET = "pgbouncer-test-secret-0123456789abcdef";

/**
 * 24 clients at once, each registering and signing in, each request with a deadline (a pooled
 * connection confused by prepared statements may never answer): "201 200" per client when all is well.
 */
async function registerAndLoginConcurrently(
  server: RunningServer,
  tag: string,
  deadlineMs: number,
): Promise<string[]> {
  const attempt = async (path: string, body: unknown) => {
    try {
      const response = await fetch(`${server.url}${path}`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify(body),
        signal: AbortSignal.timeout(deadlineMs),
      });
      return String(response.status);
    } catch {
      return "no-answer";
    }
  };
  return Promise.all(
    Array.from({ length: 24 }, async () => {
      const email = uniqueEmail(tag);
      const registered = await attempt("/v1/users", { email, password: PASSWORD });
      return `${registered} ${await attempt("/v1/users/login", { email, password: PASSWORD })}`;
    }),
  );
}

function client(server: RunningServer) {
  const call = async (method: string, path: string, body?: unknown, token?: string) => {
    const response = await fetch(`${server.url}${path}`, {
      method,
      headers: {
        ...(body === undefined ? {} : { "content-type": "application/json" }),
        ...(token ? { authorization: `Bearer ${token}` } : {}),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await response.text();
    return { status: response.status, body: (text ? JSON.parse(text) : {}) as Record<string, unknown> };
  };
  return {
    post: (path: string, body: unknown, token?: string) => call("POST", path, body, token),
    get: (path: string, token?: string) => call("GET", path, undefined, token),
  };
}

describe("through PgBouncer 1.18 in transaction pooling mode", () => {
  const name = `um_bouncer_${randomBytes(6).toString("hex")}`;
  let admin: Database;
  const directUrl = withDatabase(testDatabaseUrl(), name);
  let direct: Database;
  let bouncer: RunningPgBouncer;
  let smtp: Awaited<ReturnType<typeof startSmtpServer>>;
  let env: Record<string, string>;

  beforeAll(async () => {
    admin = await createDatabase({ url: testDatabaseUrl(), poolSize: 1 });
    await admin.db.execute(`create database ${name}`);
    // Three server connections for every client of the test: transactions of one client keep landing on
    // connections another client used just before.
    bouncer = await startPgBouncer(directUrl, { serverPoolSize: 3 });
    smtp = await startSmtpServer();
    env = {
      DATABASE_URL: bouncer.url,
      DATABASE_PREPARED_STATEMENTS: "false",
      DATABASE_POOL_SIZE: "8",
      JWT_SECRET: SECRET,
      BCRYPT_COST: "4",
      // 24 clients hash at once: on a loaded machine the default queue (16) answers some of them 503,
      // which is the hash queue's rule, not the pooler's.
      PASSWORD_HASH_MAX_QUEUE: "64",
      JWT_KEY_RELOAD_SECONDS: "1",
      REFRESH_REUSE_GRACE_SECONDS: "0",
      SMTP_URL: smtp.url,
      OUTBOX_POLL_INTERVAL_MS: "200",
      MAINTENANCE_INTERVAL_SECONDS: "1",
      LOGIN_LIMIT_PER_ACCOUNT_AND_ADDRESS: "100000",
      LOGIN_LIMIT_PER_ADDRESS: "100000",
      REGISTER_LIMIT_PER_ADDRESS: "100000",
      REFRESH_LIMIT_PER_ADDRESS: "100000",
    };
    direct = await createDatabase({ url: directUrl, poolSize: 2 });
  }, 60_000);

  afterAll(async () => {
    await direct?.close();
    await bouncer?.stop();
    await smtp?.close();
    await admin?.db.execute(`drop database if exists ${name} with (force)`);
    await admin?.close();
  });

  it("migrates through the pooler, two migrators at once, each migration once", async () => {
    const runs = await Promise.all(Array.from({ length: 2 }, () => runNodeScript(MIGRATE, [], env)));
    for (const run of runs) expect(run).toMatchObject({ code: 0, stdout: "migrations applied (postgres)\n" });
    const applied = (await direct.db.execute("select hash from drizzle.__drizzle_migrations")) as unknown as {
      hash: string;
    }[];
    const hashes = applied.map((row) => row.hash);
    expect(hashes.length).toBeGreaterThan(0);
    expect(new Set(hashes).size).toBe(hashes.length);
    // No advisory lock outlives its transaction on a pooled server connection.
    const held = (await admin.db.execute(
      `select count(*)::int as n from pg_locks l join pg_database d on d.oid = l.database
       where l.locktype = 'advisory' and d.datname = '${name}'`,
    )) as unknown as { n: number }[];
    expect(held[0]?.n).toBe(0);
  }, 60_000);

  describe.each(["node", "bun"] as const)("the %s server, prepared statements off", (runtime) => {
    let server: RunningServer;
    let api: ReturnType<typeof client>;

    beforeAll(async () => {
      server = await startServer(env, { runtime, timeoutMs: 60_000 });
      api = client(server);
    }, 90_000);
    afterAll(async () => {
      if (server) expect(await server.stop("SIGTERM")).toBe(0);
    });

    const signUp = async (tag: string) => {
      const email = uniqueEmail(`${tag}-${runtime}`);
      expect((await api.post("/v1/users", { email, password: PASSWORD })).status).toBe(201);
      const login = await api.post("/v1/users/login", { email, password: PASSWORD });
      expect(login.status).toBe(200);
      return {
        email,
        access: String(login.body.access_token),
        refresh: String(login.body.refresh_token),
      };
    };

    it("register, login, me; refresh rotates and a reused token revokes the session", async () => {
      const { access, refresh } = await signUp("rotate");
      expect((await api.get("/v1/users/me", access)).status).toBe(200);
      const renewed = await api.post("/v1/users/token/refresh", { refresh_token: refresh });
      expect(renewed.status).toBe(200);
      const next = String(renewed.body.refresh_token);
      expect(next).not.toBe(refresh);
      expect((await api.post("/v1/users/token/refresh", { refresh_token: refresh })).status).toBe(401);
      // Reuse revoked the whole family, the pair handed out a moment ago included.
      expect((await api.post("/v1/users/token/refresh", { refresh_token: next })).status).toBe(401);
    });

    it("logout-all refuses every earlier access and refresh token", async () => {
      const { access, refresh } = await signUp("logout-all");
      const other = await api.post("/v1/users/login", {
        email: (await api.get("/v1/users/me", access)).body.email,
        password: PASSWORD,
      });
      expect((await api.post("/v1/users/logout-all", {}, access)).status).toBe(204);
      expect((await api.get("/v1/users/me", access)).status).toBe(401);
      expect((await api.get("/v1/users/me", String(other.body.access_token))).status).toBe(401);
      expect((await api.post("/v1/users/token/refresh", { refresh_token: refresh })).status).toBe(401);
    });

    it("a password change racing logins: old tokens die, the new password works, the notice is mailed", async () => {
      const { email, access } = await signUp("race");
      const [change, ...logins] = await Promise.all([
        api.post("/v1/users/me/password", { current_password: PASSWORD, new_password: NEW_PASSWORD }, access),
        ...Array.from({ length: 12 }, () => api.post("/v1/users/login", { email, password: PASSWORD })),
      ]);
      expect(change?.status).toBe(204);
      for (const login of logins) {
        expect([200, 401]).toContain(login.status);
        // A login that won the race got a token from before the change: refused now.
        if (login.status === 200)
          expect((await api.get("/v1/users/me", String(login.body.access_token))).status).toBe(401);
      }
      expect((await api.get("/v1/users/me", access)).status).toBe(401);
      expect((await api.post("/v1/users/login", { email, password: PASSWORD })).status).toBe(401);
      expect((await api.post("/v1/users/login", { email, password: NEW_PASSWORD })).status).toBe(200);
      await eventually("the password-changed notice", async () =>
        smtp.messages.some(
          (message) =>
            message.subject === "Your password was changed" && JSON.stringify(message.to).includes(email),
        )
          ? true
          : undefined,
      );
    });

    it("enrols TOTP and finishes a login with a code", async () => {
      const { email, access } = await signUp("totp");
      const setup = await api.post("/v1/users/me/mfa/totp/setup", { current_password: PASSWORD }, access);
      expect(setup.status).toBe(200);
      const secret = String(setup.body.secret);
      const confirm = await api.post(
        "/v1/users/me/mfa/totp/confirm",
        { code: totpCode(secret, Date.now()) },
        access,
      );
      expect(confirm.status).toBe(200);
      const login = await api.post("/v1/users/login", { email, password: PASSWORD });
      expect(login).toMatchObject({ status: 403, body: { type: "/problems/mfa-required" } });
      // The confirm code is spent; the next step's code is accepted (±1 step).
      const done = await api.post("/v1/users/login/mfa", {
        mfa_token: login.body.mfa_token,
        code: totpCode(secret, Date.now(), 1),
      });
      expect(done.status).toBe(200);
    });

    it("keys:rotate through the pooler: the server signs with the new key, the old token still verifies", async () => {
      const { email, access } = await signUp("keys");
      const rotated = await runNodeScript(ROTATE_KEYS, [], env);
      expect(rotated).toMatchObject({ code: 0, stderr: "" });
      const newKid = /^new signing key (\S+)$/m.exec(rotated.stdout)?.[1] ?? "";
      expect(newKid).not.toBe("");
      expect(decodeProtectedHeader(access).kid).not.toBe(newKid);
      const fresh = await eventually("a token of the new key", async () => {
        const login = await api.post("/v1/users/login", { email, password: PASSWORD });
        const token = String(login.body.access_token);
        return decodeProtectedHeader(token).kid === newKid ? token : undefined;
      });
      expect((await api.get("/v1/users/me", fresh)).status).toBe(200);
      expect((await api.get("/v1/users/me", access)).status).toBe(200);
    });

    it("the maintenance sweep runs and deletes spent tokens", async () => {
      const user = await createUser(direct.db, {
        email: uniqueEmail(`sweep-${runtime}`),
        hashedPassword: await createPasswordHasher({ cost: 4 }).hash(PASSWORD),
        fullName: null,
      });
      for (let i = 0; i < 3; i++)
        await issueOneTimeToken(direct.db, {
          purpose: "password_reset",
          userId: user.id,
          email: user.email,
          expiresAt: new Date(Date.now() - 3600_000),
          now: new Date(Date.now() - 7200_000),
        });
      await eventually("the sweep to delete the expired tokens", async () => {
        const rows = (await direct.db.select().from(oneTimeTokens)).filter((row) => row.userId === user.id);
        return rows.length === 0 ? true : undefined;
      });
      expect(server.output()).toContain('"msg":"swept stale tokens"');
    });

    it("24 clients registering and signing in at once all succeed", async () => {
      const outcomes = await registerAndLoginConcurrently(server, `load-${runtime}`, 15_000);
      expect(outcomes).toEqual(outcomes.map(() => "201 200"));
    });

    it("served everything without a database error", () => {
      expect(server.output()).not.toMatch(/prepared statement|"level":50|"level":"error"/);
    });
  });

  it("with prepared statements on, the same load goes wrong through the same pooler", async () => {
    const server = await startServer({ ...env, DATABASE_PREPARED_STATEMENTS: "true" }, { timeoutMs: 60_000 });
    try {
      // A statement prepared on one server connection is unknown on the next one PgBouncer hands out, or
      // its name there belongs to another client's statement: queries fail, stall, or run the wrong SQL.
      const outcomes = await registerAndLoginConcurrently(server, "prepared-on", 4000);
      expect(outcomes.filter((pair) => pair !== "201 200").length).toBeGreaterThan(0);
    } finally {
      await server.stop("SIGKILL");
    }
  }, 60_000);
});
