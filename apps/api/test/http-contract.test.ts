/**
 * The HTTP contract over real sockets, against the built server started as a process under each runtime
 * (the Node running the tests and Node 24: dist/server.js; Bun: dist/server-bun.js) on each database
 * (embedded PGlite and PostgreSQL).
 * In-process tests (`app.request`) cannot catch what differs between @hono/node-server and Bun.serve:
 * body streaming and limits, header handling, signals.
 */
import { createHmac } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { openTestDatabase, type TestDatabase, testDatabaseKinds, uniqueEmail } from "@app/core/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { expectProblem } from "./support/problem.js";
import {
  executableOf,
  type RunningServer,
  runningExecutable,
  runtimes,
  startServer,
} from "./support/server-process.js";

const SECRET = "http-contract-test-secret-0123456789abcdef";
const PASSWORD = "correct horse battery";

const combinations = runtimes.flatMap((runtime) => testDatabaseKinds.map((kind) => ({ runtime, kind })));

const base64url = (value: string | Buffer) => Buffer.from(value).toString("base64url");

describe.each(combinations)("the HTTP contract on $runtime with $kind", ({ runtime, kind }) => {
  let server: RunningServer;
  let database: TestDatabase | undefined;
  let dataDir: string | undefined;

  const post = (path: string, body: string, contentType: string | undefined, headers = {}) =>
    fetch(`${server.url}${path}`, {
      method: "POST",
      headers: { ...(contentType ? { "content-type": contentType } : {}), ...headers },
      body,
    });
  const postJson = (path: string, body: unknown) => post(path, JSON.stringify(body), "application/json");
  const me = (authorization?: string) =>
    fetch(`${server.url}/v1/users/me`, { headers: authorization ? { authorization } : {} });
  const login = async (email: string) => {
    const response = await postJson("/v1/users/login", { email, password: PASSWORD });
    expect(response.status).toBe(200);
    return ((await response.json()) as { access_token: string }).access_token;
  };

  beforeAll(async () => {
    const env: Record<string, string> = {
      JWT_SECRET: SECRET,
      BCRYPT_COST: "4",
      REFRESH_REUSE_GRACE_SECONDS: "0",
    };
    if (kind === "postgres") {
      database = await openTestDatabase("postgres", { poolSize: 1 });
      env.DATABASE_URL = database.url ?? "";
    } else {
      dataDir = await mkdtemp(join(tmpdir(), `um-contract-${runtime}-`));
      env.DATA_DIR = dataDir;
    }
    server = await startServer(env, { runtime });
  }, 120_000);

  afterAll(async () => {
    const code = await server?.stop("SIGTERM");
    await database?.dispose();
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
    expect(code).toBe(0);
    expect(server.output()).not.toContain(PASSWORD);
  }, 30_000);

  it("logs that it listens on the runtime it was started with", () => {
    expect(server.output()).toContain(kind === "postgres" ? '"database":"postgres"' : '"database":"pglite"');
    if (runtime === "bun") expect(server.output()).toContain('"runtime":"bun ');
    expect(runningExecutable(server.process.pid)).toBe(executableOf(runtime));
  });

  it("GET /health → 200 with the security headers and a request id", async () => {
    const response = await fetch(`${server.url}/health`, { headers: { "x-request-id": "contract-check-1" } });
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ status: "ok" });
    expect(response.headers.get("x-request-id")).toBe("contract-check-1");
    expect(response.headers.get("x-content-type-options")).toBe("nosniff");
    expect(response.headers.get("x-powered-by")).toBeNull();
  });

  it("an unknown route → 404 problem+json", async () => {
    await expectProblem(await fetch(`${server.url}/v1/nothing-here`), 404);
  });

  describe("POST /v1/users/", () => {
    it("→ 201 with Location and the resource, never a password or hash", async () => {
      const response = await postJson("/v1/users/", {
        email: `  ${uniqueEmail("Reg").toUpperCase()} `,
        password: PASSWORD,
        full_name: "Real Socket",
      });
      expect(response.status).toBe(201);
      const body = (await response.json()) as Record<string, unknown>;
      expect(Object.keys(body).sort()).toEqual(
        [
          "created_at",
          "email",
          "email_verified",
          "full_name",
          "id",
          "is_active",
          "is_superuser",
          "mfa_enabled",
          "updated_at",
        ].sort(),
      );
      expect(body.email).toMatch(/^reg-\d+-\d+@example\.com$/);
      expect(response.headers.get("location")).toBe(`/v1/users/${body.id}`);
      expect(JSON.stringify(body)).not.toMatch(/password|\$2[aby]\$/);
    });

    it("→ 409 for a taken email, compared case-insensitively", async () => {
      const email = uniqueEmail("dup");
      expect((await postJson("/v1/users", { email, password: PASSWORD })).status).toBe(201);
      await expectProblem(
        await postJson("/v1/users", { email: ` ${email.toUpperCase()}`, password: PASSWORD }),
        409,
      );
    });

    it("→ 422 for an invalid email, a short password and a password over 72 bytes", async () => {
      const bad = [
        { email: "not-an-email", password: PASSWORD },
        { email: uniqueEmail("short"), password: "short" },
        { email: uniqueEmail("long"), password: "é".repeat(37) },
        { password: PASSWORD },
      ];
      for (const body of bad) {
        const problem = await expectProblem(await postJson("/v1/users/", body), 422);
        expect(problem.errors).toEqual(expect.any(Array));
      }
    });

    it("→ 400 for malformed JSON, 415 for a body that is not JSON, 413 over 16 KiB", async () => {
      await expectProblem(await post("/v1/users/", '{"email":', "application/json"), 400);
      await expectProblem(await post("/v1/users/", "email=a@b.co", "text/plain"), 415);
      const huge = JSON.stringify({
        email: uniqueEmail("big"),
        password: PASSWORD,
        full_name: "x".repeat(17_000),
      });
      await expectProblem(await post("/v1/users/", huge, "application/json"), 413);
    });
  });

  describe("POST /v1/users/login", () => {
    it("→ 200 with JSON credentials and with the OAuth2 password form", async () => {
      const email = uniqueEmail("login");
      expect((await postJson("/v1/users/", { email, password: PASSWORD })).status).toBe(201);

      const json = await postJson("/v1/users/login", { email, password: PASSWORD });
      expect(json.status).toBe(200);
      expect(await json.json()).toMatchObject({
        access_token: expect.any(String),
        token_type: "bearer",
        expires_in: expect.any(Number),
      });

      const form = await post(
        "/v1/users/login",
        new URLSearchParams({ username: email, password: PASSWORD }).toString(),
        "application/x-www-form-urlencoded",
      );
      expect(form.status).toBe(200);
      expect(await form.json()).toMatchObject({ token_type: "bearer" });
    });

    it("→ 401 with the same body for a wrong password and an unknown email", async () => {
      const email = uniqueEmail("wrong");
      expect((await postJson("/v1/users/", { email, password: PASSWORD })).status).toBe(201);
      const wrong = await expectProblem(
        await postJson("/v1/users/login", { email, password: "not the password" }),
        401,
      );
      const unknown = await expectProblem(
        await postJson("/v1/users/login", { email: uniqueEmail("nobody"), password: PASSWORD }),
        401,
      );
      expect(unknown).toEqual(wrong);
    });
  });

  describe("sessions", () => {
    it("→ refresh rotates, a replay outside the grace window kills the family, logout and logout-all", async () => {
      const email = uniqueEmail("session");
      expect((await postJson("/v1/users/", { email, password: PASSWORD })).status).toBe(201);
      const loginResponse = await postJson("/v1/users/login", { email, password: PASSWORD });
      const first = (await loginResponse.json()) as Record<string, string>;
      expect(first).toMatchObject({ expires_in: 900, refresh_expires_in: 2_592_000 });

      const rotated = await postJson("/v1/users/token/refresh", { refresh_token: first.refresh_token });
      expect(rotated.status).toBe(200);
      expect(rotated.headers.get("cache-control")).toBe("no-store");
      const second = (await rotated.json()) as Record<string, string>;
      expect((await me(`Bearer ${second.access_token}`)).status).toBe(200);
      // the server runs with REFRESH_REUSE_GRACE_SECONDS=0: a replay is reuse at once
      await expectProblem(
        await postJson("/v1/users/token/refresh", { refresh_token: first.refresh_token }),
        401,
      );
      await expectProblem(
        await postJson("/v1/users/token/refresh", { refresh_token: second.refresh_token }),
        401,
      );

      const third = (await (
        await postJson("/v1/users/login", { email, password: PASSWORD })
      ).json()) as Record<string, string>;
      const loggedOut = await postJson("/v1/users/logout", { refresh_token: third.refresh_token });
      expect(loggedOut.status).toBe(204);
      await expectProblem(
        await postJson("/v1/users/token/refresh", { refresh_token: third.refresh_token }),
        401,
      );

      const fourth = (await (
        await postJson("/v1/users/login", { email, password: PASSWORD })
      ).json()) as Record<string, string>;
      const all = await fetch(`${server.url}/v1/users/logout-all`, {
        method: "POST",
        headers: { authorization: `Bearer ${fourth.access_token}` },
      });
      expect(all.status).toBe(204);
      await expectProblem(await me(`Bearer ${fourth.access_token}`), 401);
      await expectProblem(
        await postJson("/v1/users/token/refresh", { refresh_token: fourth.refresh_token }),
        401,
      );
      for (const token of [first, second, third, fourth])
        expect(server.output()).not.toContain(token.refresh_token);
    });
  });

  describe("GET /v1/users/me", () => {
    it("→ 200 the signed-in user", async () => {
      const email = uniqueEmail("me");
      expect((await postJson("/v1/users/", { email, password: PASSWORD, full_name: "Me" })).status).toBe(201);
      const response = await me(`Bearer ${await login(email)}`);
      expect(response.status).toBe(200);
      expect(await response.json()).toMatchObject({ email, full_name: "Me", is_active: true });
    });

    it("→ 401 + WWW-Authenticate: Bearer for no token, garbage, a tampered token and alg none", async () => {
      const email = uniqueEmail("bad-token");
      expect((await postJson("/v1/users/", { email, password: PASSWORD })).status).toBe(201);
      const token = await login(email);
      const [header, payload] = token.split(".") as [string, string, string];
      const claims = JSON.parse(Buffer.from(payload, "base64url").toString()) as Record<string, unknown>;
      const forgedPayload = base64url(
        JSON.stringify({ ...claims, sub: "00000000-0000-7000-8000-000000000000" }),
      );
      const tampered = `${header}.${forgedPayload}.${token.split(".")[2]}`;
      const algNone = `${base64url(JSON.stringify({ alg: "none", typ: "JWT" }))}.${payload}.`;
      const wrongKey = createHmac("sha256", "another-secret-another-secret-0123456789")
        .update(`${header}.${payload}`)
        .digest("base64url");

      for (const authorization of [
        undefined,
        "Bearer",
        "Bearer not.a.jwt",
        `Basic ${base64url("a:b")}`,
        `Bearer ${tampered}`,
        `Bearer ${algNone}`,
        `Bearer ${header}.${payload}.${wrongKey}`,
      ]) {
        const response = await me(authorization);
        await expectProblem(response, 401);
        expect(response.headers.get("www-authenticate")).toMatch(/^Bearer/);
      }
    });
  });
});
