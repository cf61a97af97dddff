import { createDatabase, rateLimits } from "@app/core";
import { openTestDatabase, type TestDatabase, uniqueEmail } from "@app/core/testing";
import { Hono } from "hono";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createClientAddressResolver } from "../src/client-address.js";
import type { RateLimitSettings } from "../src/config.js";
import { runtimes, startServer } from "./support/server-process.js";
import { createTestApp, type TestApp } from "./support/test-app.js";

const PASSWORD = "correct horse battery";
const LIMITS: RateLimitSettings = {
  loginPerAccount: 3,
  loginPerAddress: 1000,
  registerPerAddress: 1000,
  refreshPerAddress: 2,
  recoveryPerAccount: 1000,
  recoveryPerAddress: 1000,
  windowSeconds: 900,
};

async function expectRateLimited(response: Response) {
  expect(response.status).toBe(429);
  expect(response.headers.get("content-type")).toBe("application/problem+json");
  const retryAfter = response.headers.get("retry-after");
  expect(retryAfter).toMatch(/^\d+$/);
  expect(Number(retryAfter)).toBeGreaterThanOrEqual(1);
  expect(Number(retryAfter)).toBeLessThanOrEqual(900);
  const body = (await response.json()) as { status: number; type: string; detail: string };
  expect(body).toMatchObject({ status: 429, type: "/problems/rate-limited" });
}

/** Each test gets its own address, so budgets never leak between tests. */
const from = (address: string) => ({ "x-forwarded-for": address });

describe("rate limiting on PostgreSQL", () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp("postgres", {
      rateLimits: LIMITS,
      clientAddress: createClientAddressResolver({ trustProxyHops: 1 }),
    });
  });
  afterAll(async () => {
    await t.dispose();
  });

  it("refuses the account after LOGIN_LIMIT_PER_ACCOUNT failures, even with the right password, in any letter case", async () => {
    const email = uniqueEmail("victim");
    await t.register(email);
    for (let i = 0; i < 3; i++) {
      const failed = await t.postJson(
        "/v1/users/login",
        { email, password: "wrong password" },
        from("10.0.0.1"),
      );
      expect(failed.status).toBe(401);
    }
    // Another address, another letter case, the right password: the account's budget is spent.
    await expectRateLimited(
      await t.postJson(
        "/v1/users/login",
        { email: ` ${email.toUpperCase()}`, password: PASSWORD },
        from("10.0.0.2"),
      ),
    );
    const metrics = await (await t.request("/metrics")).text();
    expect(metrics).toMatch(/rate_limit_refusals_total\{limit="login_account"[^}]*\} 1/);
    expect(metrics).toMatch(/login_attempts_total\{outcome="rate_limited"[^}]*\} 1/);
    expect(metrics).toMatch(/login_attempts_total\{outcome="invalid_credentials"[^}]*\} 3/);
  });

  it("lets a successful login clear the account's failures", async () => {
    const email = uniqueEmail("forgetful");
    await t.register(email);
    for (let round = 0; round < 3; round++) {
      for (let i = 0; i < 2; i++) {
        expect(
          (await t.postJson("/v1/users/login", { email, password: "nope nope" }, from("10.0.1.1"))).status,
        ).toBe(401);
      }
      expect(
        (await t.postJson("/v1/users/login", { email, password: PASSWORD }, from("10.0.1.1"))).status,
      ).toBe(200);
    }
  });

  it("counts concurrent guesses too: of 12 at once, at most the budget get an answer other than 429", async () => {
    const email = uniqueEmail("burst");
    await t.register(email);
    const responses = await Promise.all(
      Array.from({ length: 12 }, (_, i) =>
        t.postJson("/v1/users/login", { email, password: `guess number ${i}` }, from(`10.0.2.${i}`)),
      ),
    );
    const statuses = responses.map((r) => r.status);
    expect(statuses.filter((s) => s !== 429)).toHaveLength(3);
    expect(statuses.filter((s) => s === 429)).toHaveLength(9);
  });

  it("limits login attempts per client address across accounts, and registrations per address", async () => {
    const limited = await createTestApp("postgres", {
      rateLimits: { ...LIMITS, loginPerAddress: 4, registerPerAddress: 2 },
      clientAddress: createClientAddressResolver({ trustProxyHops: 1 }),
    });
    try {
      for (let i = 0; i < 4; i++) {
        const r = await limited.postJson(
          "/v1/users/login",
          { email: uniqueEmail("spray"), password: PASSWORD },
          from("10.1.0.1"),
        );
        expect(r.status).toBe(401);
      }
      await expectRateLimited(
        await limited.postJson(
          "/v1/users/login",
          { email: uniqueEmail("spray"), password: PASSWORD },
          from("10.1.0.1"),
        ),
      );
      // Malformed attempts count as well: the budget is spent before the body is read.
      await expectRateLimited(
        await limited.request("/v1/users/login", { method: "POST", headers: from("10.1.0.1"), body: "{" }),
      );
      // Another address is unaffected.
      expect(
        (
          await limited.postJson(
            "/v1/users/login",
            { email: uniqueEmail("x"), password: PASSWORD },
            from("10.1.0.2"),
          )
        ).status,
      ).toBe(401);

      const register = () =>
        limited.postJson("/v1/users/", { email: uniqueEmail("reg"), password: PASSWORD }, from("10.1.0.3"));
      expect((await register()).status).toBe(201);
      expect((await register()).status).toBe(201);
      await expectRateLimited(await register());
    } finally {
      await limited.dispose();
    }
  });

  it("limits refresh attempts per client address (REFRESH_LIMIT_PER_ADDRESS), valid or not", async () => {
    const email = uniqueEmail("refresher");
    await t.register(email);
    const { refresh_token } = await t.loginPair(email);
    const refresh = (token: string, address: string) =>
      t.postJson("/v1/users/token/refresh", { refresh_token: token }, from(address));
    expect((await refresh("guess", "10.2.0.1")).status).toBe(401);
    const renewed = await refresh(refresh_token, "10.2.0.1");
    expect(renewed.status).toBe(200);
    const next = ((await renewed.json()) as { refresh_token: string }).refresh_token;
    await expectRateLimited(await refresh(next, "10.2.0.1"));
    // the refused attempt did not spend the token: another address may still use it
    expect((await refresh(next, "10.2.0.2")).status).toBe(200);
    const metrics = await (await t.request("/metrics")).text();
    expect(metrics).toMatch(/rate_limit_refusals_total\{limit="refresh_address"[^}]*\} 1/);
  });

  it("shares one budget between two app instances (two connection pools) on one database", async () => {
    const url = t.url;
    if (!url) throw new Error("no url");
    const database = await createDatabase({ url, poolSize: 2 });
    const second = await createTestApp(
      "postgres",
      { rateLimits: LIMITS, clientAddress: createClientAddressResolver({ trustProxyHops: 1 }) },
      { database: { database, url, dispose: () => database.close() } as TestDatabase },
    );
    try {
      const email = uniqueEmail("shared");
      await t.register(email);
      const apps = [t, second, t];
      for (const app of apps) {
        expect(
          (await app.postJson("/v1/users/login", { email, password: "bad guess!" }, from("10.2.0.1"))).status,
        ).toBe(401);
      }
      await expectRateLimited(
        await second.postJson("/v1/users/login", { email, password: PASSWORD }, from("10.2.0.1")),
      );
      await expectRateLimited(
        await t.postJson("/v1/users/login", { email, password: PASSWORD }, from("10.2.0.1")),
      );
    } finally {
      await second.dispose();
    }
  });
});

describe("rate limiting on the embedded database", () => {
  it("works the same way on PGlite", async () => {
    const t = await createTestApp("pglite", { rateLimits: { ...LIMITS, registerPerAddress: 1 } });
    try {
      expect((await t.postJson("/v1/users/", { email: uniqueEmail("p"), password: PASSWORD })).status).toBe(
        201,
      );
      await expectRateLimited(
        await t.postJson("/v1/users/", { email: uniqueEmail("p"), password: PASSWORD }),
      );
    } finally {
      await t.dispose();
    }
  });
});

describe("the client address", () => {
  /** A tiny app that answers with the address the resolver picked; the socket address is injected. */
  const appWith = (trustProxyHops: number, socket = "192.0.2.10") => {
    const resolve = createClientAddressResolver({ trustProxyHops, socketAddress: () => socket });
    return new Hono().get("/", (c) => c.text(resolve(c)));
  };
  const addressOf = async (app: Hono, forwarded?: string) =>
    (await app.request("/", { headers: forwarded ? { "x-forwarded-for": forwarded } : {} })).text();

  it("without TRUST_PROXY is the socket's peer, whatever X-Forwarded-For claims", async () => {
    const app = appWith(0);
    expect(await addressOf(app)).toBe("192.0.2.10");
    expect(await addressOf(app, "203.0.113.7")).toBe("192.0.2.10");
  });

  it("with TRUST_PROXY=true (Traefik alone in front) is the right-most X-Forwarded-For entry", async () => {
    const app = appWith(1);
    expect(await addressOf(app, "203.0.113.7")).toBe("203.0.113.7");
    // A client that writes its own header cannot choose its bucket: Traefik appended the real peer.
    expect(await addressOf(app, "1.1.1.1, 2.2.2.2, 203.0.113.7")).toBe("203.0.113.7");
    expect(await addressOf(app)).toBe("192.0.2.10");
    expect(await addressOf(app, "not-an-ip")).toBe("192.0.2.10");
    expect(await addressOf(app, "::ffff:198.51.100.4")).toBe("198.51.100.4");
    expect(await addressOf(app, "2001:DB8::1")).toBe("2001:db8::1");
  });

  it("with two trusted hops is the second entry from the right", async () => {
    expect(await addressOf(appWith(2), "1.1.1.1, 203.0.113.7, 10.0.0.5")).toBe("203.0.113.7");
    expect(await addressOf(appWith(2), "203.0.113.7")).toBe("203.0.113.7");
  });

  it("in-process requests without a socket share one 'unknown' bucket", async () => {
    const resolve = createClientAddressResolver({ trustProxyHops: 0 });
    const app = new Hono().get("/", (c) => c.text(resolve(c)));
    expect(await (await app.request("/")).text()).toBe("unknown");
  });
});

describe.each(runtimes)("per-address budgets in the built %s server", (runtime) => {
  let t: TestDatabase;
  beforeAll(async () => {
    t = await openTestDatabase("postgres", { poolSize: 1 });
  });
  afterAll(async () => {
    await t?.dispose();
  });

  it("count the socket's peer (read the runtime's way), not an X-Forwarded-For the client wrote", async () => {
    const server = await startServer(
      {
        DATABASE_URL: t.url ?? "",
        BCRYPT_COST: "4",
        JWT_SECRET: "rate-limit-process-secret-0123456789abcdef",
        REGISTER_LIMIT_PER_ADDRESS: "1",
      },
      { runtime },
    );
    try {
      const register = (forwardedFor: string) =>
        fetch(`${server.url}/v1/users/`, {
          method: "POST",
          headers: { "content-type": "application/json", ...from(forwardedFor) },
          body: JSON.stringify({ email: uniqueEmail("socket"), password: PASSWORD }),
        });
      expect((await register("203.0.113.7")).status).toBe(201);
      await expectRateLimited(await register("198.51.100.9"));
      const keys = (await t.database.db.select({ key: rateLimits.key }).from(rateLimits)).map((r) => r.key);
      expect(keys).toEqual([expect.stringMatching(/:127\.0\.0\.1$/)]);
    } finally {
      expect(await server.stop("SIGTERM")).toBe(0);
    }
  });
});
