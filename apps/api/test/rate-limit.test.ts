import { createPasswordHasher } from "@app/auth";
import { createDatabase, createUserService, rateLimits } from "@app/core";
import { openTestDatabase, type TestDatabase, uniqueEmail } from "@app/core/testing";
import { Hono } from "hono";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createApp } from "../src/app.js";
import { addressBucket, createClientAddressResolver } from "../src/client-address.js";
import type { RateLimitSettings } from "../src/config.js";
import { runtimes, startServer } from "./support/server-process.js";
import { createTestApp, type TestApp } from "./support/test-app.js";

const PASSWORD = "correct horse battery";
const LIMITS: RateLimitSettings = {
  loginPerAccountAndAddress: 3,
  loginPerAccount: 3,
  loginPerAddress: 1000,
  registerPerAddress: 1000,
  refreshPerAddress: 2,
  recoveryPerAccount: 1000,
  recoveryPerAddress: 1000,
  emailChangePerUser: 1000,
  emailChangePerNewEmail: 1000,
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

  it("refuses the account after LOGIN_LIMIT_PER_ACCOUNT failures from any addresses, even with the right password, in any letter case", async () => {
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

describe.each(["postgres", "pglite"] as const)("password-guessing budgets on %s", (kind) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp(kind, {
      rateLimits: { ...LIMITS, loginPerAccountAndAddress: 3, loginPerAccount: 5 },
      clientAddress: createClientAddressResolver({ trustProxyHops: 1 }),
    });
  });
  afterAll(async () => {
    await t.dispose();
  });

  const login = (email: string, password: string, address: string) =>
    t.postJson("/v1/users/login", { email, password }, from(address));

  it("an attacker's address spends only its own budget on the account: the owner signs in from another", async () => {
    const email = uniqueEmail("targeted");
    await t.register(email);
    for (let i = 0; i < 3; i++) expect((await login(email, "wrong password", "10.3.0.1")).status).toBe(401);
    await expectRateLimited(await login(email, PASSWORD, "10.3.0.1"));
    expect((await login(email, PASSWORD, "10.3.0.2")).status).toBe(200);
    const metrics = await (await t.request("/metrics")).text();
    expect(metrics).toMatch(/rate_limit_refusals_total\{limit="login_account_address"[^}]*\} 1/);
  });

  it("holds the account-wide ceiling across addresses, and a password reset clears every lock", async () => {
    const email = uniqueEmail("ceiling");
    await t.register(email);
    for (let i = 0; i < 3; i++) expect((await login(email, "wrong password", "10.4.0.1")).status).toBe(401);
    for (let i = 0; i < 2; i++) expect((await login(email, "wrong password", "10.4.0.2")).status).toBe(401);
    // Five failures from two addresses: a third, fresh address meets the account-wide ceiling.
    await expectRateLimited(await login(email, PASSWORD, "10.4.0.3"));
    await expectRateLimited(await login(email, PASSWORD, "10.4.0.1"));

    const issued = await t.deps.recovery.requestPasswordReset(email);
    if (!issued) throw new Error("no reset token issued");
    const newPassword = "a brand new passphrase";
    const reset = await t.postJson(
      "/v1/users/password-reset/confirm",
      { token: issued.token, new_password: newPassword },
      from("10.4.0.9"),
    );
    expect(reset.status).toBe(204);
    // Both the address that had spent its own budget and a fresh one are let in again.
    expect((await login(email, newPassword, "10.4.0.1")).status).toBe(200);
    expect((await login(email, newPassword, "10.4.0.3")).status).toBe(200);
  });

  it("counts wrong current passwords on /me/password against the account: 429 with Retry-After", async () => {
    const email = uniqueEmail("stolen-token");
    await t.register(email);
    const token = await t.login(email);
    const change = (current: string, address: string) =>
      t.postJson(
        "/v1/users/me/password",
        { current_password: current, new_password: "another good passphrase" },
        { authorization: `Bearer ${token}`, ...from(address) },
      );
    for (let i = 0; i < 3; i++) expect((await change(`guess number ${i}`, "10.5.0.1")).status).toBe(401);
    await expectRateLimited(await change(PASSWORD, "10.5.0.1"));
    // The guesses count towards the account-wide ceiling that login shares.
    for (let i = 0; i < 2; i++) expect((await login(email, "wrong password", "10.5.0.2")).status).toBe(401);
    await expectRateLimited(await login(email, PASSWORD, "10.5.0.3"));
  });

  it("lets a correct current password through and clears the count it had", async () => {
    const email = uniqueEmail("honest-change");
    await t.register(email);
    const token = await t.login(email);
    const change = (current: string, next: string) =>
      t.postJson(
        "/v1/users/me/password",
        { current_password: current, new_password: next },
        { authorization: `Bearer ${token}`, ...from("10.5.1.1") },
      );
    for (let i = 0; i < 2; i++)
      expect((await change("not my password", "whatever passphrase")).status).toBe(401);
    expect((await change(PASSWORD, "my next passphrase")).status).toBe(204);
    for (let i = 0; i < 3; i++) {
      expect((await login(email, "still wrong password", "10.5.1.1")).status).toBe(401);
    }
  });
});

describe("bcrypt work in flight per process (PASSWORD_HASH_MAX_QUEUE)", () => {
  it("answers password checks beyond the queue 503 problem+json with Retry-After, at once", async () => {
    const t = await createTestApp("postgres");
    try {
      // Real cost-12 hashes, one bcrypt at a time and one waiting: a burst of logins must overflow.
      const users = createUserService({
        db: t.database.db,
        passwords: createPasswordHasher({ cost: 12, concurrency: 1, maxQueue: 1 }),
      });
      const app = createApp({ ...t.deps, users });
      const email = uniqueEmail("busy");
      await users.register({ email, password: PASSWORD });
      const started = performance.now();
      const answers = await Promise.all(
        Array.from({ length: 8 }, async (_, i) => {
          const response = await app.request("/v1/users/login", {
            method: "POST",
            headers: { "content-type": "application/json" },
            body: JSON.stringify({ email, password: i === 0 ? PASSWORD : `guess ${i} wrong` }),
          });
          return { response, at: performance.now() - started };
        }),
      );
      const busy = answers.filter((a) => a.response.status === 503);
      const checked = answers.filter((a) => a.response.status !== 503);
      expect(busy.length).toBeGreaterThanOrEqual(1);
      expect(checked.length).toBeGreaterThanOrEqual(1);
      expect(answers.map((a) => a.response.status).every((s) => [200, 401, 503].includes(s))).toBe(true);
      for (const { response } of busy) {
        expect(response.headers.get("content-type")).toBe("application/problem+json");
        expect(response.headers.get("retry-after")).toBe("1");
        expect(await response.json()).toMatchObject({ status: 503, type: "/problems/server-busy" });
      }
      // Told no before the bcrypt work that was let in had finished.
      const slowestChecked = Math.max(...checked.map((a) => a.at));
      for (const { at } of busy) expect(at).toBeLessThan(slowestChecked);
    } finally {
      await t.dispose();
    }
  }, 60_000);
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
    expect(await addressOf(app, "2001:DB8::1")).toBe("2001:db8:0:0::/64");
  });

  it("buckets IPv6 by its /64 and IPv4-mapped IPv6 as IPv4", () => {
    expect(addressBucket("2001:db8:1:2:3:4:5:6")).toBe("2001:db8:1:2::/64");
    expect(addressBucket("2001:db8:1:2:ffff:ffff:ffff:ffff")).toBe("2001:db8:1:2::/64");
    expect(addressBucket("2001:db8:1:3::1")).toBe("2001:db8:1:3::/64");
    expect(addressBucket("2001:0DB8:0001:0002::")).toBe("2001:db8:1:2::/64");
    expect(addressBucket("::1")).toBe("0:0:0:0::/64");
    expect(addressBucket("fe80::1%eth0")).toBe("fe80:0:0:0::/64");
    expect(addressBucket("::ffff:198.51.100.4")).toBe("198.51.100.4");
    expect(addressBucket("::ffff:c633:6404")).toBe("198.51.100.4");
    expect(addressBucket("64:ff9b::198.51.100.4")).toBe("64:ff9b:0:0::/64");
    expect(addressBucket("203.0.113.7")).toBe("203.0.113.7");
    for (const bad of [undefined, "", "unknown", "2001:db8::g", "1.2.3.256", "::ffff:1.2.3"]) {
      expect(addressBucket(bad)).toBeUndefined();
    }
  });

  it("over HTTP, every address of one IPv6 /64 spends one per-address budget", async () => {
    const t = await createTestApp("pglite", {
      rateLimits: { ...LIMITS, loginPerAddress: 2 },
      clientAddress: createClientAddressResolver({ trustProxyHops: 1 }),
    });
    try {
      const attempt = (address: string) =>
        t.postJson("/v1/users/login", { email: uniqueEmail("v6"), password: PASSWORD }, from(address));
      expect((await attempt("2001:db8:7:7::1")).status).toBe(401);
      expect((await attempt("2001:db8:7:7:abcd::2")).status).toBe(401);
      await expectRateLimited(await attempt("2001:db8:7:7:ffff:ffff:ffff:ffff"));
      // The neighbouring /64 is another subscriber.
      expect((await attempt("2001:db8:7:8::1")).status).toBe(401);
    } finally {
      await t.dispose();
    }
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
