import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { getUserByEmail, listUsers } from "@app/core";
import { openTestDatabase, type TestDatabase } from "@app/core/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ConfigError, loadConfig } from "../src/config.js";
import { createDeps, ensureFirstSuperuser } from "../src/deps.js";
import { createLogger } from "../src/logger.js";
import {
  type NodeRuntime,
  nodeBinaryFor,
  nodeRuntimes,
  type RunningServer,
  runtimes,
  startServer,
} from "./support/server-process.js";
import { captureLogs } from "./support/test-app.js";

const PASSWORD = "correct horse battery";
const CLI_ENTRY = fileURLToPath(new URL("../dist/cli/create-superuser.js", import.meta.url));

describe("FIRST_SUPERUSER_* configuration", () => {
  it("is optional, and taken as a pair", () => {
    expect(loadConfig({}).firstSuperuser).toBeUndefined();
    expect(
      loadConfig({ FIRST_SUPERUSER_EMAIL: " Root@Example.com ", FIRST_SUPERUSER_PASSWORD: " spaced pass " })
        .firstSuperuser,
    ).toEqual({ email: "Root@Example.com", password: " spaced pass " });
  });

  it("refuses one without the other, an invalid email and a password registration would refuse", () => {
    const problems = (env: Record<string, string>) => {
      try {
        loadConfig(env);
      } catch (error) {
        if (error instanceof ConfigError) return error.problems.join("\n");
      }
      return "";
    };
    expect(problems({ FIRST_SUPERUSER_EMAIL: "root@example.com" })).toMatch(
      /FIRST_SUPERUSER_PASSWORD: .*together/,
    );
    expect(problems({ FIRST_SUPERUSER_PASSWORD: PASSWORD })).toMatch(/FIRST_SUPERUSER_EMAIL: .*together/);
    expect(problems({ FIRST_SUPERUSER_EMAIL: "not-an-email", FIRST_SUPERUSER_PASSWORD: PASSWORD })).toMatch(
      /FIRST_SUPERUSER_EMAIL: must be a valid email/,
    );
    expect(
      problems({ FIRST_SUPERUSER_EMAIL: "root@example.com", FIRST_SUPERUSER_PASSWORD: "short" }),
    ).toMatch(/FIRST_SUPERUSER_PASSWORD: must be at least 8/);
    expect(
      problems({ FIRST_SUPERUSER_EMAIL: "root@example.com", FIRST_SUPERUSER_PASSWORD: "é".repeat(37) }),
    ).toMatch(/FIRST_SUPERUSER_PASSWORD: must be at most 72 bytes/);
  });
});

describe("first superuser on one PostgreSQL database", () => {
  let t: TestDatabase;
  beforeAll(async () => {
    t = await openTestDatabase("postgres", { poolSize: 2 });
  });
  afterAll(async () => {
    await t?.dispose();
  });

  const rowsWithEmail = async (email: string) =>
    (await listUsers(t.database.db, { limit: 100, offset: 0 })).items.filter((u) => u.email === email).length;

  it("5 app instances starting at once create exactly one superuser, and restarts change nothing", async () => {
    const email = "first-root@example.com";
    const config = loadConfig({
      DATABASE_URL: t.url ?? "",
      DATABASE_POOL_SIZE: "2",
      BCRYPT_COST: "4",
      FIRST_SUPERUSER_EMAIL: email,
      FIRST_SUPERUSER_PASSWORD: PASSWORD,
    });
    const logs = captureLogs();
    const logger = createLogger({ env: "test", logLevel: "info" }, logs.stream);
    const instances = await Promise.all(Array.from({ length: 5 }, () => createDeps(config, logger)));
    try {
      await Promise.all(instances.map((deps) => ensureFirstSuperuser(deps, config)));
      expect(await rowsWithEmail(email)).toBe(1);
      expect(logs.lines.filter((line) => line.includes('"first superuser created"'))).toHaveLength(1);
      expect(logs.lines.filter((line) => line.includes("already exists; left unchanged"))).toHaveLength(4);
      expect(logs.lines.join("\n")).not.toContain(PASSWORD);

      const root = await getUserByEmail(t.database.db, email);
      expect(root).toMatchObject({ isSuperuser: true, isActive: true, emailVerifiedAt: expect.any(Date) });
      const changed = loadConfig({
        ...{ DATABASE_URL: t.url ?? "" },
        FIRST_SUPERUSER_EMAIL: email,
        FIRST_SUPERUSER_PASSWORD: "another password",
      });
      await ensureFirstSuperuser(instances[0] as NonNullable<(typeof instances)[0]>, changed);
      const after = await getUserByEmail(t.database.db, email);
      expect(after).toEqual(root);
    } finally {
      await Promise.all(instances.map((deps) => deps.database.close()));
    }
  });

  it("leaves an existing non-superuser with that email unchanged, with a warning", async () => {
    const email = "already-a-user@example.com";
    const config = loadConfig({
      DATABASE_URL: t.url ?? "",
      BCRYPT_COST: "4",
      FIRST_SUPERUSER_EMAIL: email,
      FIRST_SUPERUSER_PASSWORD: PASSWORD,
    });
    const logs = captureLogs();
    const deps = await createDeps(config, createLogger({ env: "test", logLevel: "info" }, logs.stream));
    try {
      await deps.users.register({ email, password: "their own password" });
      await ensureFirstSuperuser(deps, config);
      const row = await getUserByEmail(t.database.db, email);
      expect(row?.isSuperuser).toBe(false);
      expect(logs.lines.some((line) => line.includes('"level":40') && line.includes("not a superuser"))).toBe(
        true,
      );
    } finally {
      await deps.database.close();
    }
  });
});

/** Runs the built CLI under a Node runtime; resolves with its exit code and output. */
function runCliUnder(runtime: NodeRuntime, args: string[], env: Record<string, string>, input?: string) {
  if (!existsSync(CLI_ENTRY)) throw new Error(`${CLI_ENTRY} is missing: build @app/api first (turbo does)`);
  return new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
    const child = spawn(nodeBinaryFor(runtime), [CLI_ENTRY, ...args], {
      env: { PATH: process.env.PATH ?? "", NODE_ENV: "test", BCRYPT_COST: "4", ...env },
      stdio: ["pipe", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk: Buffer) => {
      stdout += chunk.toString();
    });
    child.stderr.on("data", (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    child.stdin.end(input ?? "");
    child.once("exit", (code) => resolve({ code, stdout, stderr }));
  });
}

describe.each(nodeRuntimes)("the built CLI on %s with PostgreSQL", (runtime) => {
  let t: TestDatabase;
  beforeAll(async () => {
    t = await openTestDatabase("postgres", { poolSize: 1 });
  });
  afterAll(async () => {
    await t?.dispose();
  });

  it("users:create-superuser creates from flags or stdin, is idempotent, and refuses bad input", async () => {
    const env = { DATABASE_URL: t.url ?? "" };
    const runCli = (args: string[], environment: Record<string, string>, input?: string) =>
      runCliUnder(runtime, args, environment, input);
    const created = await runCli(["--email", "Cli.Root@Example.com", "--password", PASSWORD], env);
    expect(created).toMatchObject({
      code: 0,
      stdout: expect.stringMatching(/^created superuser cli\.root@example\.com/),
    });
    const again = await runCli(["--email", "cli.root@example.com", "--password", "whatever else"], env);
    expect(again).toMatchObject({ code: 0, stdout: expect.stringMatching(/already exists.*left unchanged/) });
    const fromStdin = await runCli(
      ["--email", "stdin.root@example.com", "--password-stdin"],
      env,
      `${PASSWORD}\n`,
    );
    expect(fromStdin.code).toBe(0);
    expect((await runCli(["--email", "x@example.com", "--password", "short"], env)).code).toBe(2);
    expect((await runCli(["--email", "not-an-email", "--password", PASSWORD], env)).code).toBe(2);
    const noTty = await runCli([], env);
    expect(noTty.code).toBe(2);
    expect(noTty.stderr).toMatch(/required when stdin is not a terminal/);
    expect((await runCli(["--bogus"], env)).code).toBe(2);

    const rows = (await listUsers(t.database.db, { limit: 100, offset: 0 })).items;
    expect(rows.map((r) => [r.email, r.isSuperuser, r.emailVerifiedAt !== null]).sort()).toEqual([
      ["cli.root@example.com", true, true],
      ["stdin.root@example.com", true, true],
    ]);
  });
});

describe.each(runtimes)("the built %s server on PostgreSQL", (runtime) => {
  let t: TestDatabase;
  let server: RunningServer | undefined;
  beforeAll(async () => {
    t = await openTestDatabase("postgres", { poolSize: 1 });
  });
  afterAll(async () => {
    await server?.stop("SIGKILL");
    await t?.dispose();
  });

  it("the server creates FIRST_SUPERUSER at start-up, who can log in and list users; /docs works from dist", async () => {
    server = await startServer(
      {
        DATABASE_URL: t.url ?? "",
        BCRYPT_COST: "4",
        JWT_SECRET: "first-superuser-test-secret-0123456789abcdef",
        FIRST_SUPERUSER_EMAIL: "boot.root@example.com",
        FIRST_SUPERUSER_PASSWORD: PASSWORD,
      },
      { runtime },
    );
    expect(server.output()).toContain('"msg":"first superuser created"');
    expect(server.output()).not.toContain(PASSWORD);
    const login = await fetch(`${server.url}/v1/users/login`, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({
        username: "boot.root@example.com",
        password: PASSWORD,
        grant_type: "password",
      }),
    });
    expect(login.status).toBe(200);
    const { access_token } = (await login.json()) as { access_token: string };
    const list = await fetch(`${server.url}/v1/users`, {
      headers: { authorization: `Bearer ${access_token}` },
    });
    expect(list.status).toBe(200);
    expect(await list.json()).toMatchObject({ total: 1, limit: 20, offset: 0 });

    const docs = await fetch(`${server.url}/docs`);
    expect(docs.status).toBe(200);
    expect(await docs.text()).toContain('<script src="/docs/scalar.js"></script>');
    const bundle = await fetch(`${server.url}/docs/scalar.js`);
    expect(bundle.status).toBe(200);
    expect((await bundle.text()).length).toBeGreaterThan(1_000_000);
    const openapi = await fetch(`${server.url}/openapi.json`);
    expect(await openapi.json()).toMatchObject({ openapi: "3.1.0" });
  }, 90_000);
});
