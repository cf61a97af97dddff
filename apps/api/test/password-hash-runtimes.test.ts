/**
 * PASSWORD_HASH=argon2id through the built server on each runtime (Node, Node 24, Bun), where the
 * native @node-rs/argon2 binding is loaded for real: registration stores an Argon2id PHC string with
 * the configured parameters, and a login of an account with an older bcrypt hash replaces it, as the
 * database shows. PostgreSQL, so this process reads the rows the server writes.
 */
import { createPasswordHasher } from "@app/auth";
import { createUser, getUserByEmail } from "@app/core";
import { openTestDatabase, type TestDatabase, uniqueEmail } from "@app/core/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type RunningServer, runtimes, startServer } from "./support/server-process.js";

const PASSWORD = "correct horse battery";
const OWASP_PHC_PREFIX = "$argon2id$v=19$m=19456,t=2,p=1$";

describe.each(runtimes)("PASSWORD_HASH=argon2id on the built %s server", (runtime) => {
  let server: RunningServer;
  let database: TestDatabase;

  beforeAll(async () => {
    database = await openTestDatabase("postgres", { poolSize: 1 });
    server = await startServer(
      {
        DATABASE_URL: database.url ?? "",
        JWT_SECRET: "password-hash-runtimes-secret-0123456789abcdef",
        PASSWORD_HASH: "argon2id",
      },
      { runtime, timeoutMs: 90_000 },
    );
  }, 120_000);

  afterAll(async () => {
    await server?.stop("SIGKILL");
    await database?.dispose();
  });

  const stored = async (email: string) => {
    const row = await getUserByEmail(database.database.db, email);
    if (!row) throw new Error("user row missing");
    return row;
  };
  const login = (email: string, password: string) =>
    fetch(`${server.url}/v1/users/login`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ email, password }),
    });

  it("registers with an Argon2id PHC string of OWASP's parameters and signs in without rewriting it", async () => {
    const email = uniqueEmail(`argon-${runtime}`);
    const registered = await fetch(`${server.url}/v1/users/`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ email, password: PASSWORD }),
    });
    expect(registered.status).toBe(201);
    const { hashedPassword } = await stored(email);
    expect(hashedPassword.startsWith(OWASP_PHC_PREFIX)).toBe(true);
    expect((await login(email, PASSWORD)).status).toBe(200);
    expect((await stored(email)).hashedPassword).toBe(hashedPassword);
    expect((await login(email, "not the password")).status).toBe(401);
  });

  it("replaces an older bcrypt hash at login; the same password keeps working, tokens included", async () => {
    const email = uniqueEmail(`bcrypt-${runtime}`);
    await createUser(database.database.db, {
      email,
      hashedPassword: await createPasswordHasher({ cost: 4 }).hash(PASSWORD),
    });
    const before = await stored(email);
    expect(before.hashedPassword).toMatch(/^\$2b\$04\$/);

    const first = await login(email, PASSWORD);
    expect(first.status).toBe(200);
    const after = await stored(email);
    expect(after.hashedPassword.startsWith(OWASP_PHC_PREFIX)).toBe(true);
    expect(after.passwordChangedAt.getTime()).toBe(before.passwordChangedAt.getTime());

    // The token of the login that rehashed is good: the boundary did not move.
    const { access_token } = (await first.json()) as { access_token: string };
    const me = await fetch(`${server.url}/v1/users/me`, {
      headers: { authorization: `Bearer ${access_token}` },
    });
    expect(me.status).toBe(200);
    expect((await login(email, PASSWORD)).status).toBe(200);
    expect((await stored(email)).hashedPassword).toBe(after.hashedPassword);
  });
});
