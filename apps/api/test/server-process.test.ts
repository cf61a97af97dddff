import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type RunningServer, runtimes, startServer } from "./support/server-process.js";

describe.each(runtimes)("the built %s server on the embedded database", (runtime) => {
  let dataDir: string;
  let server: RunningServer;

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), "um-server-"));
    server = await startServer(
      {
        DATA_DIR: dataDir,
        BCRYPT_COST: "4",
        JWT_SECRET: "server-process-test-secret-0123456789abcdef",
      },
      { runtime },
    );
  }, 90_000);

  afterAll(async () => {
    await server?.stop("SIGKILL");
    await rm(dataDir, { recursive: true, force: true });
  });

  it("registers, logs in and reads /me over real HTTP, then exits 0 on SIGTERM", async () => {
    const email = `process-${Date.now()}@example.com`;
    const registered = await fetch(`${server.url}/v1/users/`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ email, password: "correct horse battery", full_name: "Real Process" }),
    });
    expect(registered.status).toBe(201);

    const login = await fetch(`${server.url}/v1/users/login`, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ username: email, password: "correct horse battery" }),
    });
    expect(login.status).toBe(200);
    const { access_token } = (await login.json()) as { access_token: string };

    const me = await fetch(`${server.url}/v1/users/me`, {
      headers: { authorization: `Bearer ${access_token}` },
    });
    expect(me.status).toBe(200);
    expect(await me.json()).toMatchObject({ email, full_name: "Real Process" });

    expect(await server.stop("SIGTERM")).toBe(0);
    expect(server.output()).toContain('"msg":"shutting down"');
    expect(server.output()).not.toContain("correct horse battery");
  });
});
