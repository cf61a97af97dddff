/**
 * Cluster mode of both entries: WEB_CONCURRENCY workers sharing one port on PostgreSQL (node:cluster on
 * Node, reusePort under Bun), a single process on the embedded database.
 */

import { readFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { request } from "node:http";
import { availableParallelism, tmpdir } from "node:os";
import { join } from "node:path";
import { openTestDatabase, type TestDatabase } from "@app/core/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { processRole, WORKER_SEMI_SPACE_MIB, workerExecArgv } from "../src/cluster.js";
import { ConfigError, loadConfig } from "../src/config.js";
import { type RunningServer, runtimes, startServer } from "./support/server-process.js";

const PASSWORD = "correct horse battery";

/** One request on a fresh connection, so the cluster's round-robin spreads requests over workers. */
function freshRequest(
  url: string,
  options: { method?: string; headers?: Record<string, string>; body?: string } = {},
): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      { method: options.method ?? "GET", headers: options.headers, agent: false },
      (res) => {
        let body = "";
        res.on("data", (chunk: Buffer) => {
          body += chunk.toString();
        });
        res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
      },
    );
    req.on("error", reject);
    req.end(options.body);
  });
}

function waitFor(predicate: () => boolean, timeoutMs = 20_000): Promise<void> {
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const timer = setInterval(() => {
      if (predicate()) {
        clearInterval(timer);
        resolve();
      } else if (Date.now() - started > timeoutMs) {
        clearInterval(timer);
        reject(new Error("condition not met in time"));
      }
    }, 50);
  });
}

const count = (text: string, needle: string) => text.split(needle).length - 1;

describe("WEB_CONCURRENCY", () => {
  it("defaults to the available cores, reads an explicit value and refuses nonsense", () => {
    expect(loadConfig({}).webConcurrency).toEqual({ workers: availableParallelism(), explicit: false });
    expect(loadConfig({ WEB_CONCURRENCY: "" }).webConcurrency.explicit).toBe(false);
    expect(loadConfig({ WEB_CONCURRENCY: "4" }).webConcurrency).toEqual({ workers: 4, explicit: true });
    for (const bad of ["0", "-1", "two", "1.5", "1000"]) {
      expect(() => loadConfig({ WEB_CONCURRENCY: bad })).toThrow(ConfigError);
    }
  });

  it("clusters only with PostgreSQL and more than one worker", () => {
    const postgres = { url: "postgres://db/app", poolSize: 10, dataDir: "./.data" };
    const embedded = { url: undefined, poolSize: 10, dataDir: "./.data" };
    const workers = (n: number) => ({ workers: n, explicit: true });
    expect(processRole({ database: postgres, webConcurrency: workers(4) }, true)).toBe("primary");
    expect(processRole({ database: postgres, webConcurrency: workers(1) }, true)).toBe("single");
    expect(processRole({ database: embedded, webConcurrency: workers(4) }, true)).toBe("single");
    expect(processRole({ database: postgres, webConcurrency: workers(4) }, false)).toBe("worker");
  });

  it("caps each Node worker's young generation unless the operator chose a size", () => {
    const cap = `--max-semi-space-size=${WORKER_SEMI_SPACE_MIB}`;
    expect(workerExecArgv(["--enable-source-maps"], "", false)).toEqual(["--enable-source-maps", cap]);
    expect(workerExecArgv(["--max-semi-space-size=32"], "", false)).toEqual(["--max-semi-space-size=32"]);
    expect(workerExecArgv([], "--max_semi_space_size=2 --max-old-space-size=256", false)).toEqual([]);
    expect(workerExecArgv(["--inspect"], "", true)).toEqual(["--inspect"]);
  });
});

describe.each(runtimes)("the %s entry in cluster mode on PostgreSQL", (runtime) => {
  let database: TestDatabase;
  let server: RunningServer;

  beforeAll(async () => {
    database = await openTestDatabase("postgres", { poolSize: 1 });
    // No JWT_SECRET: the primary's generated secret must reach every worker.
    server = await startServer(
      { DATABASE_URL: database.url ?? "", BCRYPT_COST: "12", WEB_CONCURRENCY: "2" },
      { runtime, listeners: 2 },
    );
  }, 120_000);

  afterAll(async () => {
    await server?.stop("SIGKILL");
    await database?.dispose();
  });

  // Both workers listening is itself the proof that they share the port: under Bun the second bind
  // succeeds only through reusePort.
  it("forks two workers that share the port and one secret, restarts a dead one, drains and exits 0 on SIGTERM", async () => {
    expect(server.output()).toContain("cluster primary: forking 2 workers");

    const email = `cluster-${runtime}-${Date.now()}@example.com`;
    const registered = await freshRequest(`${server.url}/v1/users/`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ email, password: PASSWORD }),
    });
    expect(registered.status).toBe(201);
    const login = await freshRequest(`${server.url}/v1/users/login`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ email, password: PASSWORD }),
    });
    const { access_token } = JSON.parse(login.body) as { access_token: string };
    // Round-robin over fresh connections reaches both workers; a per-worker secret would fail half.
    for (let i = 0; i < 6; i += 1) {
      const response = await freshRequest(`${server.url}/v1/users/me`, {
        headers: { authorization: `Bearer ${access_token}` },
      });
      expect(response.status).toBe(200);
    }

    const workerPids = [...server.output().matchAll(/"pid":(\d+),"msg":"worker listening"/g)].map((m) =>
      Number(m[1]),
    );
    expect(workerPids).toHaveLength(2);
    expect(workerPids).not.toContain(server.process.pid);
    // What each worker was really started with (Bun workers take no V8 flags).
    for (const pid of workerPids) {
      const argv = readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0");
      expect(argv.includes(`--max-semi-space-size=${WORKER_SEMI_SPACE_MIB}`)).toBe(runtime !== "bun");
    }
    const [victim] = workerPids;
    if (victim === undefined) throw new Error("no worker pid");
    process.kill(victim, "SIGKILL");
    await waitFor(() => count(server.output(), '"msg":"worker listening"') === 3);
    expect(server.output()).toContain('"msg":"worker died; restarting it"');
    expect((await freshRequest(`${server.url}/health`)).status).toBe(200);

    // Registrations in flight on both workers (bcrypt at cost 12 keeps each busy for a while) complete
    // before the workers exit.
    const inFlight = Array.from({ length: 4 }, (_, i) =>
      freshRequest(`${server.url}/v1/users/`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ email: `draining-${i}-${Date.now()}@example.com`, password: PASSWORD }),
      }),
    );
    await new Promise((resolve) => setTimeout(resolve, 100));
    const exited = server.stop("SIGTERM");
    expect((await Promise.all(inFlight)).map((response) => response.status)).toEqual([201, 201, 201, 201]);
    expect(await exited).toBe(0);
    expect(count(server.output(), '"msg":"shutting down"')).toBe(2);
    expect(count(server.output(), '"msg":"shut down cleanly"')).toBe(2);
    expect(server.output()).toContain('"msg":"every worker has exited"');
  });
});

describe.each(runtimes)("the %s entry on the embedded database with WEB_CONCURRENCY=3", (runtime) => {
  let dataDir: string;
  let server: RunningServer;

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), "um-cluster-embedded-"));
    server = await startServer(
      {
        DATA_DIR: dataDir,
        BCRYPT_COST: "4",
        JWT_SECRET: "cluster-test-secret-0123456789abcdef0123",
        WEB_CONCURRENCY: "3",
      },
      { runtime },
    );
  }, 120_000);

  afterAll(async () => {
    await server?.stop("SIGKILL");
    await rm(dataDir, { recursive: true, force: true });
  });

  it("stays one process and says so", async () => {
    expect((await freshRequest(`${server.url}/health`)).status).toBe(200);
    expect(server.output()).toContain("WEB_CONCURRENCY is ignored with the embedded database");
    expect(server.output()).not.toContain("cluster primary");
    expect(count(server.output(), '"msg":"listening')).toBe(1);
    expect(await server.stop("SIGTERM")).toBe(0);
  });
});

describe.each(runtimes)("the %s entry in cluster mode on Ctrl-C", (runtime) => {
  let database: TestDatabase;
  afterAll(async () => {
    await database?.dispose();
  });

  it("drains each worker once, though it hears SIGINT from the terminal and again from its primary", async () => {
    database = await openTestDatabase("postgres", { poolSize: 1 });
    const server = await startServer(
      { DATABASE_URL: database.url ?? "", BCRYPT_COST: "4", WEB_CONCURRENCY: "2" },
      { runtime, listeners: 2 },
    );
    try {
      await waitFor(() => count(server.output(), '"msg":"worker listening"') === 2);
      const workerPids = [...server.output().matchAll(/"pid":(\d+),"msg":"worker listening"/g)].map((m) =>
        Number(m[1]),
      );
      expect(workerPids).toHaveLength(2);
      // A terminal signals the whole process group; the primary then forwards the signal to each worker.
      for (const pid of workerPids) process.kill(pid, "SIGINT");
      expect(await server.stop("SIGINT")).toBe(0);
      expect(count(server.output(), '"msg":"shut down cleanly"')).toBe(2);
    } finally {
      await server.stop("SIGKILL");
    }
  });
});
