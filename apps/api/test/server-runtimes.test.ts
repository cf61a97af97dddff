import { mkdtemp, rm } from "node:fs/promises";
import { request } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { openTestDatabase, type TestDatabase, uniqueEmail } from "@app/core/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type RunningServer, runtimes, startServer } from "./support/server-process.js";

const ROOT_EMAIL = "operator.root@example.com";
const ROOT_PASSWORD = "correct horse battery";

/**
 * A login over a real socket bound to `localAddress`: every 127.x.y.z is loopback on Linux, so each
 * one is a distinct client address to the server without any header.
 */
function loginFrom(
  baseUrl: string,
  localAddress: string,
  email: string,
  password: string,
): Promise<{ status: number; body: Record<string, unknown> }> {
  const url = new URL("/v1/users/login", baseUrl);
  const payload = JSON.stringify({ email, password });
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: url.hostname,
        port: url.port,
        path: url.pathname,
        method: "POST",
        localAddress,
        agent: false,
        headers: { "content-type": "application/json", "content-length": Buffer.byteLength(payload) },
      },
      (res) => {
        let text = "";
        res.setEncoding("utf8");
        res.on("data", (chunk: string) => {
          text += chunk;
        });
        res.on("end", () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(text || "{}") }));
      },
    );
    req.on("error", reject);
    req.end(payload);
  });
}

const databases = ["pglite", "postgres"] as const;
const cases = runtimes.flatMap((runtime) => databases.map((database) => [runtime, database] as const));

describe.each(cases)("the built %s server on %s", (runtime, database) => {
  let server: RunningServer;
  let dataDir: string | undefined;
  let postgres: TestDatabase | undefined;

  beforeAll(async () => {
    let storage: Record<string, string>;
    if (database === "postgres") {
      postgres = await openTestDatabase("postgres", { poolSize: 1 });
      storage = { DATABASE_URL: postgres.url ?? "" };
    } else {
      dataDir = await mkdtemp(join(tmpdir(), "um-runtimes-"));
      storage = { DATA_DIR: dataDir };
    }
    server = await startServer(
      {
        ...storage,
        BCRYPT_COST: "4",
        JWT_SECRET: "server-runtimes-test-secret-0123456789abcdef",
        REQUIRE_VERIFIED_EMAIL: "true",
        FIRST_SUPERUSER_EMAIL: ROOT_EMAIL,
        FIRST_SUPERUSER_PASSWORD: ROOT_PASSWORD,
        LOGIN_LIMIT_PER_ACCOUNT_AND_ADDRESS: "2",
        LOGIN_LIMIT_PER_ADDRESS: "5",
      },
      { runtime, timeoutMs: 90_000 },
    );
  }, 120_000);

  afterAll(async () => {
    await server?.stop("SIGKILL");
    await postgres?.dispose();
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  it("creates FIRST_SUPERUSER verified, so it signs in while REQUIRE_VERIFIED_EMAIL is on", async () => {
    expect(server.output()).toContain('"msg":"first superuser created"');
    const login = await loginFrom(server.url, "127.0.0.3", ROOT_EMAIL, ROOT_PASSWORD);
    expect(login.status).toBe(200);
    const list = await fetch(`${server.url}/v1/users`, {
      headers: { authorization: `Bearer ${String(login.body.access_token)}` },
    });
    expect(list.status).toBe(200);
  });

  it("keeps the web app's cookie session: login, refresh and logout through the cookie, CSRF refused", async () => {
    const origin = new URL(server.url).origin;
    const web = { "x-token-delivery": "cookie", origin };
    const login = await fetch(`${server.url}/v1/users/login`, {
      method: "POST",
      headers: { ...web, "content-type": "application/json" },
      body: JSON.stringify({ email: ROOT_EMAIL, password: ROOT_PASSWORD }),
    });
    expect(login.status).toBe(200);
    expect(((await login.json()) as Record<string, unknown>)["refresh_token"]).toBeUndefined();
    const setCookies = login.headers.getSetCookie();
    expect(setCookies.map((line) => /Path=([^;]+)/.exec(line)?.[1]).sort()).toEqual([
      "/v1/users/logout",
      "/v1/users/token/refresh",
    ]);
    for (const line of setCookies)
      expect(line).toMatch(/HttpOnly.*SameSite=Strict|SameSite=Strict.*HttpOnly/);
    const cookie = setCookies[0]?.split(";")[0] ?? "";

    const forged = await fetch(`${server.url}/v1/users/token/refresh`, {
      method: "POST",
      headers: { cookie, origin: "https://evil.example", "x-token-delivery": "cookie" },
    });
    expect(forged.status).toBe(403);
    expect(((await forged.json()) as { type: string }).type).toBe("/problems/cross-site-request");

    const refreshed = await fetch(`${server.url}/v1/users/token/refresh`, {
      method: "POST",
      headers: { ...web, cookie },
    });
    expect(refreshed.status).toBe(200);
    const rotated = refreshed.headers.getSetCookie()[0]?.split(";")[0] ?? "";
    expect(rotated).not.toBe(cookie);

    const logout = await fetch(`${server.url}/v1/users/logout`, {
      method: "POST",
      headers: { ...web, cookie: rotated },
    });
    expect(logout.status).toBe(204);
    expect(logout.headers.getSetCookie().every((line) => /Max-Age=0/.test(line))).toBe(true);
    const after = await fetch(`${server.url}/v1/users/token/refresh`, {
      method: "POST",
      headers: { ...web, cookie: rotated },
    });
    expect(after.status).toBe(401);
  });

  it("gives each client address its own per-address budget", async () => {
    for (let i = 0; i < 5; i++) {
      const attempt = await loginFrom(server.url, "127.0.0.2", uniqueEmail("spray"), "wrong guess");
      expect(attempt.status).toBe(401);
    }
    expect((await loginFrom(server.url, "127.0.0.2", uniqueEmail("spray"), "wrong guess")).status).toBe(429);
    expect((await loginFrom(server.url, "127.0.0.3", uniqueEmail("other"), "wrong guess")).status).toBe(401);
  });

  it("lets a guesser spend only its own address's budget on an account: the owner still signs in", async () => {
    for (let i = 0; i < 2; i++) {
      expect((await loginFrom(server.url, "127.0.0.4", ROOT_EMAIL, `wrong guess ${i}`)).status).toBe(401);
    }
    const locked = await loginFrom(server.url, "127.0.0.4", ROOT_EMAIL, ROOT_PASSWORD);
    expect(locked).toMatchObject({ status: 429, body: { type: "/problems/rate-limited" } });
    expect((await loginFrom(server.url, "127.0.0.3", ROOT_EMAIL, ROOT_PASSWORD)).status).toBe(200);
  });
});
