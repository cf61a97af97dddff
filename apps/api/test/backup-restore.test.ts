/**
 * The README's backup procedure, for real: pg_dump a database with users, sessions, a TOTP factor and
 * signing keys, pg_restore it into a new database, start the built server on the copy, and sign in with
 * the old password and the old authenticator. Restoring with another key-encryption secret must fail
 * clearly, never with a 500 that says why.
 */
import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { createDatabase, type Database } from "@app/core";
import {
  openTestDatabase,
  type TestDatabase,
  testDatabaseUrl,
  uniqueEmail,
  withDatabase,
} from "@app/core/testing";
import { createLocalJWKSet, jwtVerify } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type RunningServer, startServer } from "./support/server-process.js";
import { totpCode } from "./support/totp.js";

const run = promisify(execFile);
const PASSWORD = "correct horse battery";
const SECRETS = {
  JWT_SECRET: "backup-test-jwt-secret-0123456789abcdef",
  KEY_ENCRYPTION_SECRET: "backup-test-key-encryption-secret-0123456789",
};
const ISSUER = "http://localhost:3000";

/** pg_dump and pg_restore of the server's own major version (Debian installs each under its version). */
async function postgresTools(admin: Database): Promise<{ pgDump: string; pgRestore: string }> {
  const [row] = (await admin.db.execute("show server_version_num")) as unknown as {
    server_version_num: string;
  }[];
  const major = Math.floor(Number(row?.server_version_num) / 10_000);
  const installed = await readdir("/usr/lib/postgresql").catch(() => [] as string[]);
  const bin = `/usr/lib/postgresql/${major}/bin`;
  if (!installed.includes(String(major)) || !existsSync(join(bin, "pg_dump")))
    throw new Error(
      `pg_dump for PostgreSQL ${major} is missing under ${bin} (apt-get install postgresql-client-${major})`,
    );
  return { pgDump: join(bin, "pg_dump"), pgRestore: join(bin, "pg_restore") };
}

async function post(server: RunningServer, path: string, body: unknown, token?: string) {
  const response = await fetch(`${server.url}${path}`, {
    method: "POST",
    headers: { "content-type": "application/json", ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify(body),
  });
  const text = await response.text();
  return {
    status: response.status,
    type: response.headers.get("content-type") ?? "",
    text,
    body: (text ? JSON.parse(text) : {}) as Record<string, unknown>,
  };
}

describe("pg_dump, then pg_restore into a new database", () => {
  let source: TestDatabase;
  let admin: Database;
  let dir: string;
  const restoredName = `um_restored_${Date.now()}`;
  const restoredUrl = withDatabase(testDatabaseUrl(), restoredName);
  const email = uniqueEmail("backup");
  let totpSecret = "";
  let oldAccessToken = "";
  let oldRefreshToken = "";
  let recoveryCodes: string[] = [];

  beforeAll(async () => {
    source = await openTestDatabase("postgres", { poolSize: 1 });
    admin = await createDatabase({ url: testDatabaseUrl(), poolSize: 1 });
    dir = await mkdtemp(join(tmpdir(), "backup-"));
    const server = await startServer({ DATABASE_URL: source.url ?? "", BCRYPT_COST: "4", ...SECRETS });
    try {
      expect((await post(server, "/v1/users", { email, password: PASSWORD })).status).toBe(201);
      const login = await post(server, "/v1/users/login", { email, password: PASSWORD });
      const token = String(login.body.access_token);
      const setup = await post(server, "/v1/users/me/mfa/totp/setup", { current_password: PASSWORD }, token);
      totpSecret = String(setup.body.secret);
      const confirm = await post(
        server,
        "/v1/users/me/mfa/totp/confirm",
        { code: totpCode(totpSecret, Date.now()) },
        token,
      );
      expect(confirm.status).toBe(200);
      recoveryCodes = confirm.body.recovery_codes as string[];
      // A session started with both factors (a recovery code: the next TOTP step is left for after the
      // restore, since a step once used is refused); its tokens must outlive the restore.
      const again = await post(server, "/v1/users/login", { email, password: PASSWORD });
      const done = await post(server, "/v1/users/login/mfa", {
        mfa_token: again.body.mfa_token,
        recovery_code: recoveryCodes[0],
      });
      expect(done.status).toBe(200);
      oldAccessToken = String(done.body.access_token);
      oldRefreshToken = String(done.body.refresh_token);
    } finally {
      await server.stop("SIGKILL");
    }

    // The README's procedure: a custom-format dump while the service may run, restored into an empty database.
    const { pgDump, pgRestore } = await postgresTools(admin);
    const dump = join(dir, "backup.dump");
    await run(pgDump, ["--format=custom", "--no-owner", "--file", dump, "--dbname", source.url ?? ""]);
    await admin.db.execute(`create database ${restoredName}`);
    await run(pgRestore, ["--no-owner", "--exit-on-error", "--dbname", restoredUrl, dump]);
  }, 120_000);

  afterAll(async () => {
    await admin?.db.execute(`drop database if exists ${restoredName} with (force)`);
    await admin?.close();
    await source?.dispose();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it("the restored service signs in with the old password and TOTP, and old tokens still verify", async () => {
    const server = await startServer({ DATABASE_URL: restoredUrl, BCRYPT_COST: "4", ...SECRETS });
    try {
      // The access token issued before the dump verifies against the restored service's JWKS.
      const jwks = (await (await fetch(`${server.url}/.well-known/jwks.json`)).json()) as Parameters<
        typeof createLocalJWKSet
      >[0];
      const { payload } = await jwtVerify(oldAccessToken, createLocalJWKSet(jwks), {
        issuer: ISSUER,
        audience: "user-management",
      });
      expect(payload.amr).toEqual(["pwd", "otp", "mfa"]);
      const me = await fetch(`${server.url}/v1/users/me`, {
        headers: { authorization: `Bearer ${oldAccessToken}` },
      });
      expect(me.status).toBe(200);
      expect(((await me.json()) as { email: string }).email).toBe(email);
      expect((await post(server, "/v1/users/token/refresh", { refresh_token: oldRefreshToken })).status).toBe(
        200,
      );

      const login = await post(server, "/v1/users/login", { email, password: PASSWORD });
      expect(login).toMatchObject({ status: 403, body: { type: "/problems/mfa-required" } });
      const done = await post(server, "/v1/users/login/mfa", {
        mfa_token: login.body.mfa_token,
        code: totpCode(totpSecret, Date.now(), 1),
      });
      expect(done.status).toBe(200);
      expect((await post(server, "/v1/users/login", { email, password: "not the password" })).status).toBe(
        401,
      );
    } finally {
      await server.stop("SIGKILL");
    }
  }, 90_000);

  it("restored with another KEY_ENCRYPTION_SECRET, production refuses to start and says which secret", async () => {
    const wrong = "a-different-key-encryption-secret-0123456789";
    const started = startServer(
      {
        DATABASE_URL: restoredUrl,
        NODE_ENV: "production",
        BCRYPT_COST: "10",
        ...SECRETS,
        KEY_ENCRYPTION_SECRET: wrong,
      },
      { timeoutMs: 30_000 },
    );
    const error = await started.then(
      async (server) => {
        await server.stop("SIGKILL");
        return new Error("started");
      },
      (failure: unknown) => failure as Error,
    );
    expect(error.message).toMatch(/server exited with 1 before listening/);
    expect(error.message).toMatch(/signing keys cannot be decrypted with KEY_ENCRYPTION_SECRET/);
    for (const secret of [wrong, ...Object.values(SECRETS)]) expect(error.message).not.toContain(secret);
  }, 60_000);

  it("outside production, a wrong secret costs the old tokens and the TOTP factor, with 401s and no 500", async () => {
    const server = await startServer({
      DATABASE_URL: restoredUrl,
      BCRYPT_COST: "4",
      ...SECRETS,
      KEY_ENCRYPTION_SECRET: "a-different-key-encryption-secret-0123456789",
    });
    try {
      expect(server.output()).toContain("the stored signing keys cannot be decrypted with this secret");
      const me = await fetch(`${server.url}/v1/users/me`, {
        headers: { authorization: `Bearer ${oldAccessToken}` },
      });
      expect(me.status).toBe(401);
      const login = await post(server, "/v1/users/login", { email, password: PASSWORD });
      expect(login).toMatchObject({ status: 403, body: { type: "/problems/mfa-required" } });
      const totp = await post(server, "/v1/users/login/mfa", {
        mfa_token: login.body.mfa_token,
        code: totpCode(totpSecret, Date.now()),
      });
      // The sealed TOTP secret does not open: refused as a wrong code; a recovery code still works.
      expect(totp).toMatchObject({ status: 401, body: { type: "/problems/invalid-mfa-code" } });
      expect(totp.type).toContain("application/problem+json");
      const recovered = await post(server, "/v1/users/login/mfa", {
        mfa_token: login.body.mfa_token,
        recovery_code: recoveryCodes[1],
      });
      expect(recovered.status).toBe(200);
      for (const secret of Object.values(SECRETS)) expect(totp.text).not.toContain(secret);
    } finally {
      await server.stop("SIGKILL");
    }
  }, 60_000);
});
