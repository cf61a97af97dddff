/**
 * Against the built server as a real process, on every runtime: graceful shutdown under load, and log
 * shipping to a Loki receiver (a real HTTP server speaking the push API), or to nothing at all.
 */
import { createServer, get, type Server } from "node:http";
import { getUserByEmail } from "@app/core";
import { openTestDatabase, type TestDatabase, uniqueEmail } from "@app/core/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freePort, runtimes, startServer } from "./support/server-process.js";
import { startSmtpServer } from "./support/smtp-server.js";
import { startTcpProxy } from "./support/tcp-proxy.js";

const PASSWORD = "correct horse battery";
const SECRET = "server-lifecycle-test-secret-0123456789abcdef";
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

let db: TestDatabase;
beforeAll(async () => {
  db = await openTestDatabase("postgres", { poolSize: 2 });
});
afterAll(async () => {
  await db?.dispose();
});

// Every runtime's servers share one database, and so one per-address registration budget.
const baseEnv = () => ({
  DATABASE_URL: db.url ?? "",
  JWT_SECRET: SECRET,
  LOG_LEVEL: "info",
  REGISTER_LIMIT_PER_ADDRESS: "1000000",
});

const statusOnNewConnection = (url: string) =>
  new Promise<number | "refused">((resolve) => {
    get(url, { agent: false }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    }).on("error", () => resolve("refused"));
  });

const register = (url: string, email: string) =>
  fetch(`${url}/v1/users/`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ email, password: PASSWORD }),
  });

describe.each(runtimes)("graceful shutdown on %s", (runtime) => {
  it("SIGTERM while slow requests are in flight: they complete, new connections are refused, exit 0", async () => {
    // bcrypt at cost 12 keeps each registration busy for a few hundred milliseconds.
    const server = await startServer({ ...baseEnv(), BCRYPT_COST: "12" }, { runtime });
    const emails = Array.from({ length: 4 }, () => uniqueEmail("inflight"));
    const inFlight = emails.map((email) => register(server.url, email));
    // Long enough for the four requests to reach the handler on a loaded machine (a request the server has
    // not read yet is an idle connection, which shutdown closes), short of the ~1 s four cost-12 hashes take.
    await sleep(250);
    const exited = server.stop("SIGTERM");
    // The listener is closed right after this line is logged; on a loaded machine that can take a while.
    while (!server.output().includes('"msg":"shutting down"')) await sleep(20);
    // On a new TCP connection: fetch could reuse a keep-alive connection whose registration has just been
    // answered, which the server still serves until its idle sweep closes it.
    const late = await statusOnNewConnection(`${server.url}/health`);
    const responses = await Promise.all(inFlight);
    expect(responses.map((r) => r.status)).toEqual([201, 201, 201, 201]);
    expect(late).toBe("refused");
    expect(await exited).toBe(0);
    for (const email of emails) expect(await getUserByEmail(db.database.db, email)).not.toBeNull();
    expect(server.output()).toContain('"msg":"shutting down"');
    expect(server.output()).toContain('"msg":"shut down cleanly"');
  });

  it("sends the mail still queued at SIGTERM before it exits", async () => {
    const smtp = await startSmtpServer({ acceptDelayMs: 1500 });
    try {
      const server = await startServer({ ...baseEnv(), BCRYPT_COST: "4", SMTP_URL: smtp.url }, { runtime });
      const email = uniqueEmail("queued-mail");
      // Registration answers 201 with the verification mail still in the queue (the relay is slow).
      expect((await register(server.url, email)).status).toBe(201);
      expect(smtp.messages).toHaveLength(0);
      expect(await server.stop("SIGTERM")).toBe(0);
      expect(smtp.messages.map((message) => message.to)).toEqual([expect.objectContaining({ text: email })]);
    } finally {
      await smtp.close();
    }
  });

  it("gives up after SHUTDOWN_TIMEOUT_MS when a request will not finish, and exits non-zero", async () => {
    // The database link stalls (through the fault proxy), so the registration cannot finish.
    const target = new URL(db.url ?? "");
    const proxy = await startTcpProxy({ host: target.hostname, port: Number(target.port || 5432) });
    try {
      const server = await startServer(
        {
          ...baseEnv(),
          DATABASE_URL: proxy.urlFor(db.url ?? ""),
          BCRYPT_COST: "4",
          REQUEST_TIMEOUT_MS: "60000",
          SHUTDOWN_TIMEOUT_MS: "300",
        },
        { runtime },
      );
      expect((await fetch(`${server.url}/ready`)).status).toBe(200);
      proxy.pause();
      const pending = register(server.url, uniqueEmail("too-slow")).catch(() => undefined);
      await sleep(200);
      const startedAt = Date.now();
      expect(await server.stop("SIGTERM")).toBe(1);
      expect(Date.now() - startedAt).toBeLessThan(5000);
      expect(server.output()).toContain("did not finish in time");
      await pending;
    } finally {
      await proxy.close();
    }
  });
});

interface LokiPush {
  streams: { stream: Record<string, string>; values: [string, string][] }[];
}

describe.each(runtimes)("shipping logs to Loki from %s", (runtime) => {
  let loki: Server;
  let lokiUrl: string;
  const pushes: LokiPush[] = [];

  beforeAll(async () => {
    loki = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on("data", (chunk: Buffer) => chunks.push(chunk));
      req.on("end", () => {
        if (req.method === "POST" && req.url === "/loki/api/v1/push") {
          pushes.push(JSON.parse(Buffer.concat(chunks).toString("utf8")) as LokiPush);
          res.writeHead(204).end();
        } else {
          res.writeHead(404).end();
        }
      });
    });
    await new Promise<void>((resolve) => loki.listen(0, "127.0.0.1", resolve));
    const address = loki.address();
    lokiUrl = `http://127.0.0.1:${typeof address === "object" && address ? address.port : 0}`;
  });
  afterAll(async () => {
    await new Promise((resolve) => loki.close(resolve));
  });

  it("pushes the log lines with service, env and level labels, secrets redacted", async () => {
    const server = await startServer(
      {
        ...baseEnv(),
        BCRYPT_COST: "4",
        LOKI_URL: lokiUrl,
        LOKI_BATCH_INTERVAL_SECONDS: "0.2",
      },
      { runtime },
    );
    try {
      const email = uniqueEmail("loki");
      expect((await register(server.url, email)).status).toBe(201);
      const login = await fetch(`${server.url}/v1/users/login`, {
        method: "POST",
        headers: { "content-type": "application/json", "x-request-id": `loki-check-${runtime}` },
        body: JSON.stringify({ email, password: PASSWORD }),
      });
      expect(login.status).toBe(200);
      const { access_token } = (await login.json()) as { access_token: string };

      const deadline = Date.now() + 10_000;
      const find = () =>
        pushes
          .flatMap((push) => push.streams)
          .find((stream) => stream.values.some(([, line]) => line.includes(`loki-check-${runtime}`)));
      while (!find() && Date.now() < deadline) await sleep(100);
      const stream = find();
      expect(stream?.stream).toMatchObject({ service: "user-management-api", env: "test", level: "info" });
      const line = JSON.parse(
        stream?.values.find(([, l]) => l.includes(`loki-check-${runtime}`))?.[1] ?? "{}",
      );
      expect(line).toMatchObject({
        requestId: `loki-check-${runtime}`,
        route: "/v1/users/login",
        status: 200,
      });
      expect(line.userId).toEqual(expect.any(String));
      const everything = JSON.stringify(pushes);
      expect(everything).not.toContain(PASSWORD);
      expect(everything).not.toContain(access_token);
    } finally {
      expect(await server.stop("SIGTERM")).toBe(0);
    }
    // The transport is closed at shutdown, so even the last line reaches Loki before the exit.
    expect(JSON.stringify(pushes)).toContain("shut down cleanly");
  });

  it("keeps serving when nothing listens at LOKI_URL", async () => {
    const deadPort = await freePort();
    const server = await startServer(
      {
        ...baseEnv(),
        BCRYPT_COST: "4",
        LOKI_URL: `http://127.0.0.1:${deadPort}`,
        LOKI_BATCH_INTERVAL_SECONDS: "0.1",
      },
      { runtime },
    );
    try {
      for (let i = 0; i < 5; i++) {
        expect((await fetch(`${server.url}/health`)).status).toBe(200);
        expect((await register(server.url, uniqueEmail("lokidown"))).status).toBe(201);
        await sleep(120); // let a few pushes fail meanwhile
      }
      expect((await fetch(`${server.url}/ready`)).status).toBe(200);
    } finally {
      const startedAt = Date.now();
      expect(await server.stop("SIGTERM")).toBe(0);
      expect(Date.now() - startedAt).toBeLessThan(8000);
    }
  });
});
