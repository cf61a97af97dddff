/**
 * Horizontal scale: two API processes on different ports against one PostgreSQL database with the same
 * JWT_SECRET behave as one service, which is what Traefik in front of `api` replicas relies on. One runs on
 * the Node that runs the tests, the other on Node 24, as replicas do during a rolling Node upgrade.
 */
import { openTestDatabase, type TestDatabase, uniqueEmail } from "@app/core/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type RunningServer, startServer } from "./support/server-process.js";

const SECRET = "horizontal-scale-test-secret-0123456789abcdef";
const PASSWORD = "correct horse battery";
/** Small, so the shared-budget test reaches it quickly; the other tests use one login per account. */
const ACCOUNT_LIMIT = 5;

describe("two API processes on one PostgreSQL", () => {
  let database: TestDatabase;
  let a: RunningServer;
  let b: RunningServer;

  const register = (server: RunningServer, email: string) =>
    fetch(`${server.url}/v1/users/`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ email, password: PASSWORD }),
    });
  const login = (server: RunningServer, email: string) =>
    fetch(`${server.url}/v1/users/login`, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ username: email, password: PASSWORD }),
    });
  const me = (server: RunningServer, token: string) =>
    fetch(`${server.url}/v1/users/me`, { headers: { authorization: `Bearer ${token}` } });

  beforeAll(async () => {
    database = await openTestDatabase("postgres", { poolSize: 1 });
    const env = {
      DATABASE_URL: database.url ?? "",
      JWT_SECRET: SECRET,
      BCRYPT_COST: "4",
      LOGIN_LIMIT_PER_ACCOUNT: String(ACCOUNT_LIMIT),
    };
    [a, b] = await Promise.all([
      startServer(env, { runtime: "node" }),
      startServer(env, { runtime: "node24" }),
    ]);
  }, 120_000);

  afterAll(async () => {
    const codes = await Promise.all([a?.stop("SIGTERM"), b?.stop("SIGTERM")]);
    await database?.dispose();
    expect(codes).toEqual([0, 0]);
  }, 30_000);

  it("runs two separate processes on two ports", () => {
    expect(a.url).not.toBe(b.url);
    expect(a.process.pid).not.toBe(b.process.pid);
  });

  it("a user registered on one process logs in on the other", async () => {
    const email = uniqueEmail("visible");
    expect((await register(a, email)).status).toBe(201);
    expect((await login(b, email)).status).toBe(200);
    // and the other way round
    const other = uniqueEmail("visible-back");
    expect((await register(b, other)).status).toBe(201);
    expect((await login(a, other)).status).toBe(200);
  });

  it("a token issued by one process is accepted by the other", async () => {
    const email = uniqueEmail("token");
    expect((await register(a, email)).status).toBe(201);
    const { access_token } = (await (await login(a, email)).json()) as { access_token: string };
    const onB = await me(b, access_token);
    expect(onB.status).toBe(200);
    expect(await onB.json()).toMatchObject({ email });
    expect((await me(a, access_token)).status).toBe(200);
  });

  it("one refresh token sent to both processes at once: both answer 200 with the same new pair", async () => {
    const refresh = (server: RunningServer, refreshToken: string) =>
      fetch(`${server.url}/v1/users/token/refresh`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ refresh_token: refreshToken }),
      });
    for (let round = 0; round < 3; round++) {
      const email = uniqueEmail("refresh-race");
      expect((await register(a, email)).status).toBe(201);
      const { refresh_token } = (await (await login(a, email)).json()) as { refresh_token: string };
      const responses = await Promise.all([refresh(a, refresh_token), refresh(b, refresh_token)]);
      expect(responses.map((r) => r.status)).toEqual([200, 200]);
      const [onA, onB] = (await Promise.all(responses.map((r) => r.json()))) as {
        access_token: string;
        refresh_token: string;
      }[];
      expect(onB?.refresh_token).toBe(onA?.refresh_token);
      expect(onB?.access_token).toBe(onA?.access_token);
      // the successor rotates on either process
      expect((await refresh(b, onA?.refresh_token ?? "")).status).toBe(200);
    }
  });

  it("the same email registered concurrently on both gives exactly one 201 and 409 for the rest", async () => {
    const email = uniqueEmail("race");
    const responses = await Promise.all(
      Array.from({ length: 10 }, (_, i) => register(i % 2 === 0 ? a : b, email)),
    );
    const statuses = responses.map((response) => response.status).sort();
    expect(statuses).toEqual([201, ...Array(9).fill(409)]);
    // the one 201 came from either process; each process refused at least four of its five
    const refusedBy = (parity: number) =>
      responses.filter((response, i) => i % 2 === parity && response.status === 409).length;
    expect(refusedBy(0)).toBeGreaterThanOrEqual(4);
    expect(refusedBy(1)).toBeGreaterThanOrEqual(4);
  });

  /** Limits live in the database, so every replica spends the same budget. */
  it("shares the login rate limit: once one process answers 429 for an account, the other does too", async () => {
    const email = uniqueEmail("limited");
    expect((await register(a, email)).status).toBe(201);
    const wrongLogin = (server: RunningServer) =>
      fetch(`${server.url}/v1/users/login`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ email, password: "not the password" }),
      });
    // Spend the budget alternately on both processes.
    const statuses: number[] = [];
    for (let attempt = 0; attempt < ACCOUNT_LIMIT; attempt += 1) {
      statuses.push((await wrongLogin(attempt % 2 === 0 ? a : b)).status);
    }
    expect(statuses).toEqual(Array(ACCOUNT_LIMIT).fill(401));
    for (const server of [a, b]) {
      const limited = await wrongLogin(server);
      expect(limited.status).toBe(429);
      expect(limited.headers.get("content-type")).toBe("application/problem+json");
      expect(Number(limited.headers.get("retry-after"))).toBeGreaterThan(0);
      // While the account is limited, even the right password waits.
      expect((await login(server, email)).status).toBe(429);
    }
  });
});
