/**
 * Key rotation across real processes: two API servers on one PostgreSQL database, and `keys:rotate`
 * (the built CLI) forcing rotations. Both servers must pick up the new key, keep accepting tokens of the
 * old one until they expire, and refuse them once `--retire-old` has removed it.
 */
import { fileURLToPath } from "node:url";
import { signingKeys } from "@app/core";
import { openTestDatabase, type TestDatabase, uniqueEmail } from "@app/core/testing";
import { decodeProtectedHeader } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { eventually, runNodeScript } from "./support/node-script.js";
import { type RunningServer, startServer } from "./support/server-process.js";

const ROTATE_KEYS = fileURLToPath(new URL("../dist/cli/rotate-keys.js", import.meta.url));
const SECRET = "key-rotation-test-secret-0123456789abcdef";
const PASSWORD = "correct horse battery";

describe("keys:rotate with two servers on one PostgreSQL", () => {
  let database: TestDatabase;
  let a: RunningServer;
  let b: RunningServer;
  let env: Record<string, string>;
  const email = uniqueEmail("rotation");

  const login = async (server: RunningServer) => {
    const response = await fetch(`${server.url}/v1/users/login`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ email, password: PASSWORD }),
    });
    expect(response.status).toBe(200);
    return ((await response.json()) as { access_token: string }).access_token;
  };
  const meStatus = async (server: RunningServer, token: string) =>
    (await fetch(`${server.url}/v1/users/me`, { headers: { authorization: `Bearer ${token}` } })).status;
  const kidOf = (token: string) => decodeProtectedHeader(token).kid;
  /** Logs in on `server` until it signs with `kid`: it reloads the keys every second. */
  const tokenSignedWith = (server: RunningServer, kid: string) =>
    eventually(
      `${server.url} to sign with ${kid}`,
      async () => {
        const token = await login(server);
        return kidOf(token) === kid ? token : undefined;
      },
      { intervalMs: 200 },
    );

  beforeAll(async () => {
    database = await openTestDatabase("postgres");
    env = {
      DATABASE_URL: database.url ?? "",
      JWT_SECRET: SECRET,
      BCRYPT_COST: "4",
      JWT_KEY_RELOAD_SECONDS: "1",
      // The account-wide ceiling may not exceed 100 (NIST SP 800-63B); this test never fails a password.
      LOGIN_LIMIT_PER_ACCOUNT: "100",
      LOGIN_LIMIT_PER_ACCOUNT_AND_ADDRESS: "100000",
      LOGIN_LIMIT_PER_ADDRESS: "100000",
    };
    [a, b] = await Promise.all([startServer(env), startServer(env)]);
    const registered = await fetch(`${a.url}/v1/users/`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ email, password: PASSWORD }),
    });
    expect(registered.status).toBe(201);
  });
  afterAll(async () => {
    await Promise.all([a?.stop("SIGKILL"), b?.stop("SIGKILL")]);
    await database.dispose();
  });

  it("refuses to run without the servers' secret, and on bad arguments", async () => {
    const noSecret = await runNodeScript(ROTATE_KEYS, [], { DATABASE_URL: env.DATABASE_URL ?? "" });
    expect(noSecret.code).toBe(2);
    expect(noSecret.stderr).toMatch(/KEY_ENCRYPTION_SECRET/);
    expect((await runNodeScript(ROTATE_KEYS, ["--bogus"], env)).code).toBe(2);
    expect(await database.database.db.select().from(signingKeys)).toHaveLength(1);
  });

  it("both servers sign with the new key; the old key's tokens verify on both until --retire-old", async () => {
    const oldToken = await login(a);
    const oldKid = kidOf(oldToken);
    expect(kidOf(await login(b))).toBe(oldKid);

    const rotated = await runNodeScript(ROTATE_KEYS, [], env);
    expect(rotated).toMatchObject({ code: 0, stderr: "" });
    const newKid = /^new signing key (\S+)$/m.exec(rotated.stdout)?.[1] ?? "";
    expect(rotated.stdout).toContain(`retired ${oldKid} (published until its tokens expire)`);
    expect(newKid).not.toBe(oldKid);

    const fromA = await tokenSignedWith(a, newKid);
    const fromB = await tokenSignedWith(b, newKid);
    for (const server of [a, b]) {
      for (const token of [oldToken, fromA, fromB]) expect(await meStatus(server, token)).toBe(200);
      const jwks = (await (await fetch(`${server.url}/.well-known/jwks.json`)).json()) as {
        keys: { kid: string }[];
      };
      expect(jwks.keys.map((key) => key.kid).sort()).toEqual([newKid, oldKid].sort());
    }

    const retired = await runNodeScript(ROTATE_KEYS, ["--retire-old"], env);
    expect(retired.code).toBe(0);
    expect(retired.stdout).toContain(`removed ${oldKid}`);
    expect(retired.stdout).toContain(`removed ${newKid}`);
    const latestKid = /^new signing key (\S+)$/m.exec(retired.stdout)?.[1] ?? "";
    for (const server of [a, b]) {
      for (const token of [oldToken, fromA]) {
        await eventually(
          `${server.url} to refuse a token of a removed key`,
          async () => ((await meStatus(server, token)) === 401 ? true : undefined),
          { intervalMs: 200 },
        );
      }
      expect(await meStatus(server, await tokenSignedWith(server, latestKid))).toBe(200);
    }
    const rows = await database.database.db.select({ kid: signingKeys.kid }).from(signingKeys);
    expect(rows.map((row) => row.kid)).toEqual([latestKid]);
  });
});
