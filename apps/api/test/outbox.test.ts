import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { outbox } from "@app/core";
import { openTestDatabase, type TestDatabase, uniqueEmail } from "@app/core/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type RunningServer, startServer } from "./support/server-process.js";
import { startSmtpServer } from "./support/smtp-server.js";

const PASSWORD = "correct horse battery";
const NEW_PASSWORD = "another horse battery";
const SECRET = "outbox-test-secret-0123456789abcdefghijkl";

async function waitFor(check: () => Promise<boolean> | boolean, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return true;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return check();
}

async function post(server: RunningServer, path: string, body: unknown, token?: string): Promise<Response> {
  return fetch(`${server.url}${path}`, {
    method: "POST",
    headers: { "content-type": "application/json", ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify(body),
  });
}

/** Registers, signs in and changes the password: the change queues one "password changed" notice. */
async function changePassword(server: RunningServer, email: string): Promise<void> {
  expect((await post(server, "/v1/users", { email, password: PASSWORD })).status).toBe(201);
  const login = await post(server, "/v1/users/login", { email, password: PASSWORD });
  const { access_token } = (await login.json()) as { access_token: string };
  const changed = await post(
    server,
    "/v1/users/me/password",
    { current_password: PASSWORD, new_password: NEW_PASSWORD },
    access_token,
  );
  expect(changed.status).toBe(204);
}

describe("outbox: security notices survive a crash and go out once across processes (PostgreSQL)", () => {
  let t: TestDatabase;
  let smtp: Awaited<ReturnType<typeof startSmtpServer>>;
  beforeAll(async () => {
    [t, smtp] = await Promise.all([openTestDatabase("postgres"), startSmtpServer()]);
  });
  afterAll(async () => {
    await Promise.all([t.dispose(), smtp.close()]);
  });

  const env = (extra: Record<string, string>) => ({
    DATABASE_URL: t.url ?? "",
    BCRYPT_COST: "4",
    JWT_SECRET: SECRET,
    MAINTENANCE_INTERVAL_SECONDS: "0",
    ...extra,
  });
  const outboxRowsTo = async (to: string) =>
    (await t.database.db.select().from(outbox)).filter((row) => row.recipient === to);
  // Only the notice: registration also mails a verification link (through the in-process queue).
  const received = (to: string) =>
    smtp.messages.filter(
      (message) => message.subject === "Your password was changed" && JSON.stringify(message.to).includes(to),
    );

  it("killed with -9 right after the commit: the next process sends the mail, once", async () => {
    const email = uniqueEmail("crash");
    // This process never sends (no SMTP, no polling): the change commits and the process dies.
    const doomed = await startServer(env({ OUTBOX_POLL_INTERVAL_MS: "0" }));
    try {
      await changePassword(doomed, email);
    } finally {
      await doomed.stop("SIGKILL");
    }
    const [queued] = await outboxRowsTo(email);
    expect(queued).toMatchObject({ kind: "password_changed", sentAt: null });
    expect(received(email)).toHaveLength(0);

    const next = await startServer(env({ SMTP_URL: smtp.url, OUTBOX_POLL_INTERVAL_MS: "100" }));
    try {
      expect(await waitFor(() => received(email).length > 0, 20_000)).toBe(true);
      // a few more polls: nothing is sent twice
      await new Promise((resolve) => setTimeout(resolve, 1000));
      expect(received(email)).toHaveLength(1);
      const [row] = await outboxRowsTo(email);
      expect(row?.sentAt).toBeInstanceOf(Date);
      expect(row?.attempts).toBe(1);
    } finally {
      expect(await next.stop("SIGTERM")).toBe(0);
    }
  }, 120_000);

  it("two processes polling the same outbox send each mail exactly once", async () => {
    const [a, b] = await Promise.all([
      startServer(env({ SMTP_URL: smtp.url, OUTBOX_POLL_INTERVAL_MS: "20" })),
      startServer(env({ SMTP_URL: smtp.url, OUTBOX_POLL_INTERVAL_MS: "20" })),
    ]);
    try {
      const emails = Array.from({ length: 12 }, () => uniqueEmail("twice"));
      await Promise.all(emails.map((email, i) => changePassword(i % 2 === 0 ? a : b, email)));
      expect(await waitFor(() => emails.every((email) => received(email).length > 0), 30_000)).toBe(true);
      await new Promise((resolve) => setTimeout(resolve, 1000));
      for (const email of emails) expect(received(email), email).toHaveLength(1);
      // both processes took part, or the test would prove nothing about replicas
      const senders = [a, b].filter((server) => server.output().includes('"msg":"mail sent"'));
      expect(senders.length).toBeGreaterThanOrEqual(1);
    } finally {
      await Promise.all([a.stop("SIGTERM"), b.stop("SIGTERM")]);
    }
  }, 120_000);
});

describe("outbox on the embedded database (PGlite, one process at a time)", () => {
  it("killed with -9 right after the commit: the restarted process sends the mail, once", async () => {
    const smtp = await startSmtpServer();
    const dataDir = await mkdtemp(join(tmpdir(), "um-outbox-"));
    const env = (extra: Record<string, string>) => ({
      DATA_DIR: dataDir,
      BCRYPT_COST: "4",
      JWT_SECRET: SECRET,
      MAINTENANCE_INTERVAL_SECONDS: "0",
      ...extra,
    });
    const email = uniqueEmail("pglite-crash");
    const received = () =>
      smtp.messages.filter(
        (message) =>
          message.subject === "Your password was changed" && JSON.stringify(message.to).includes(email),
      );
    try {
      const doomed = await startServer(env({ OUTBOX_POLL_INTERVAL_MS: "0" }), 120_000);
      try {
        await changePassword(doomed, email);
      } finally {
        await doomed.stop("SIGKILL");
      }
      const next = await startServer(env({ SMTP_URL: smtp.url, OUTBOX_POLL_INTERVAL_MS: "100" }), 120_000);
      try {
        expect(await waitFor(() => received().length > 0, 30_000)).toBe(true);
        await new Promise((resolve) => setTimeout(resolve, 1000));
        expect(received()).toHaveLength(1);
      } finally {
        expect(await next.stop("SIGTERM")).toBe(0);
      }
    } finally {
      await smtp.close();
      await rm(dataDir, { recursive: true, force: true });
    }
  }, 240_000);
});
