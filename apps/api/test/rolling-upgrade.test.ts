/**
 * A rolling upgrade on one PostgreSQL database: the previous release serves while this release's
 * migrations are applied, then the new release starts beside it, and both serve register, login and
 * /me throughout, each accepting the other's users and tokens. Migrations are expand-then-contract
 * (see the README's "Upgrades"): what this release adds must not break the release before it.
 */
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { createDatabase, type Database } from "@app/core";
import { testDatabaseUrl, uniqueEmail, withDatabase } from "@app/core/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildPreviousRelease, type PreviousRelease } from "./support/previous-release.js";
import { type RunningServer, startServer } from "./support/server-process.js";

const MIGRATE = fileURLToPath(new URL("../dist/migrate.js", import.meta.url));
const PASSWORD = "correct horse battery";

function migrate(entry: string, url: string) {
  return new Promise<{ code: number | null; output: string }>((resolve) => {
    const child = spawn(process.execPath, [entry], {
      env: { PATH: process.env.PATH ?? "", NODE_ENV: "test", DATABASE_URL: url },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let output = "";
    child.stdout.on("data", (chunk: Buffer) => {
      output += chunk.toString();
    });
    child.stderr.on("data", (chunk: Buffer) => {
      output += chunk.toString();
    });
    child.once("exit", (code) => resolve({ code, output }));
  });
}

async function call(server: RunningServer, method: string, path: string, body?: unknown, token?: string) {
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
}

/** Register on one server, sign in on the other, /me on both: a list of what went wrong (empty when all is well). */
async function roundTrip(registerOn: RunningServer, loginOn: RunningServer, tag: string): Promise<string[]> {
  const email = uniqueEmail(tag);
  const problems: string[] = [];
  const registered = await call(registerOn, "POST", "/v1/users", { email, password: PASSWORD });
  if (registered.status !== 201) problems.push(`register ${registered.status}`);
  const login = await call(loginOn, "POST", "/v1/users/login", { email, password: PASSWORD });
  if (login.status !== 200) problems.push(`login ${login.status}`);
  for (const server of [registerOn, loginOn]) {
    const me = await call(server, "GET", "/v1/users/me", undefined, String(login.body.access_token));
    if (me.status !== 200 || me.body.email !== email) problems.push(`me ${me.status}`);
  }
  return problems;
}

describe("rolling upgrade from the previous release", () => {
  const name = `um_upgrade_${Date.now()}`;
  const url = withDatabase(testDatabaseUrl(), name);
  const env = {
    DATABASE_URL: url,
    BCRYPT_COST: "4",
    JWT_SECRET: "rolling-upgrade-test-secret-0123456789abcdef",
    JWT_KEY_RELOAD_SECONDS: "1",
    REGISTER_LIMIT_PER_ADDRESS: "100000",
    LOGIN_LIMIT_PER_ADDRESS: "100000",
    LOGIN_LIMIT_PER_ACCOUNT_AND_ADDRESS: "100000",
  };
  let admin: Database;
  let previous: PreviousRelease;
  const servers: RunningServer[] = [];

  beforeAll(async () => {
    admin = await createDatabase({ url: testDatabaseUrl(), poolSize: 1 });
    await admin.db.execute(`create database ${name}`);
    previous = await buildPreviousRelease();
  }, 300_000);

  afterAll(async () => {
    await Promise.all(servers.map((server) => server.stop("SIGKILL")));
    await admin?.db.execute(`drop database if exists ${name} with (force)`);
    await admin?.close();
  });

  it("both releases serve register, login and /me while this release's migrations apply", async () => {
    expect(await migrate(previous.migrateEntry, url)).toMatchObject({ code: 0 });
    const old = await startServer(env, { entry: previous.serverEntry });
    servers.push(old);
    expect(await roundTrip(old, old, "before")).toEqual([]);

    // Traffic on the old release for as long as the upgrade takes.
    let upgrading = true;
    const during: string[] = [];
    let rounds = 0;
    const traffic = (async () => {
      for (let i = 0; upgrading; i++) {
        during.push(...(await roundTrip(old, old, `during-${i}`)));
        rounds = i + 1;
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    })();
    const migrated = await migrate(MIGRATE, url);
    expect(migrated, migrated.output).toMatchObject({ code: 0 });
    const current = await startServer(env);
    servers.push(current);
    upgrading = false;
    await traffic;
    expect(during).toEqual([]);
    expect(rounds).toBeGreaterThan(0);

    // Mixed versions: users and tokens cross between them in both directions.
    const mixed = await Promise.all(
      Array.from({ length: 4 }, (_, i) =>
        i % 2 === 0 ? roundTrip(old, current, `old-new-${i}`) : roundTrip(current, old, `new-old-${i}`),
      ),
    );
    expect(mixed.flat()).toEqual([]);
    expect(old.output()).not.toMatch(/"level":50/);
  }, 180_000);
});
