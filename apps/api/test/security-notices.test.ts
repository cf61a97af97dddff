import { outbox, recordMfaDisabled } from "@app/core";
import { testDatabaseKinds, uniqueEmail } from "@app/core/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createLogger } from "../src/logger.js";
import { createSmtpTransport } from "../src/mail/mail-queue.js";
import { type OutboxSender, startOutboxSender } from "../src/mail/outbox-sender.js";
import { closedPort, startSmtpServer } from "./support/smtp-server.js";
import { captureLogs, createTestApp, type TestApp, type TokenBody } from "./support/test-app.js";

const PASSWORD = "correct horse battery";
const FIREFOX = "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0";
const SAFARI_IPHONE =
  "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1";

describe.each(testDatabaseKinds)("security notices by mail on %s", (kind) => {
  let t: TestApp;
  let smtp: Awaited<ReturnType<typeof startSmtpServer>>;
  let sender: OutboxSender;
  beforeAll(async () => {
    [t, smtp] = await Promise.all([
      createTestApp(kind, {}, { sessions: { reuseGraceSeconds: 0 } }),
      startSmtpServer(),
    ]);
    sender = startOutboxSender({
      database: t.database,
      transport: createSmtpTransport({ url: smtp.url, from: "Security <security@app.test>" }),
      logger: t.deps.logger,
      env: "test",
      publicUrl: "http://app.test",
      pollIntervalMs: 0,
    });
  });
  afterAll(async () => {
    await sender.stop();
    await Promise.all([t.dispose(), smtp.close()]);
  });

  const loginFrom = async (email: string, userAgent: string) => {
    const response = await t.postJson(
      "/v1/users/login",
      { email, password: PASSWORD },
      { "user-agent": userAgent },
    );
    expect(response.status).toBe(200);
    return (await response.json()) as TokenBody;
  };
  const noticesTo = async (to: string) => {
    await sender.runOnce();
    return smtp.messages.filter(
      (message) => JSON.stringify(message.to).includes(to) && !/verify/i.test(message.subject ?? ""),
    );
  };

  it("a sign-in from a browser not seen in 90 days is announced; the first sign-in and known ones are not", async () => {
    const email = uniqueEmail("device");
    await t.register(email, PASSWORD);
    await loginFrom(email, FIREFOX);
    await loginFrom(email, FIREFOX);
    expect(await noticesTo(email)).toEqual([]);
    await loginFrom(email, SAFARI_IPHONE);
    const [notice, ...more] = await noticesTo(email);
    expect(more).toEqual([]);
    expect(notice?.subject).toBe("New sign-in to your account");
    expect(notice?.text).toContain("Safari on iOS");
    await loginFrom(email, SAFARI_IPHONE);
    expect(await noticesTo(email)).toHaveLength(1);
  });

  it("an email change is announced to the old address, with what to do if it was not you", async () => {
    const email = uniqueEmail("old");
    const moved = uniqueEmail("new");
    await t.register(email, PASSWORD);
    const { access_token } = await loginFrom(email, FIREFOX);
    const response = await t.request("/v1/users/me", {
      method: "PATCH",
      headers: { authorization: `Bearer ${access_token}`, "content-type": "application/json" },
      body: JSON.stringify({ email: moved, current_password: PASSWORD }),
    });
    expect(response.status).toBe(200);
    const [notice] = await noticesTo(email);
    expect(notice?.subject).toBe("The email address of your account was changed");
    expect(notice?.text).toContain(moved);
    expect(notice?.text).toMatch(/If this was not you/);
  });

  it("refresh-token reuse and a second factor turned off are announced", async () => {
    const email = uniqueEmail("reuse");
    const user = await t.register(email, PASSWORD);
    const pair = await loginFrom(email, FIREFOX);
    expect((await t.postJson("/v1/users/token/refresh", { refresh_token: pair.refresh_token })).status).toBe(
      200,
    );
    expect((await t.postJson("/v1/users/token/refresh", { refresh_token: pair.refresh_token })).status).toBe(
      401,
    );
    await t.database.db.transaction((tx) => recordMfaDisabled(tx, { id: user.id, email }));
    const subjects = (await noticesTo(email)).map((message) => message.subject).sort();
    expect(subjects).toEqual([
      "Two-factor authentication was turned off",
      "We signed out a session that looked copied",
    ]);
  });

  it("a failed send is retried later with backoff, not lost and not sent twice", async () => {
    const email = uniqueEmail("retry");
    await t.register(email, PASSWORD);
    const { access_token } = await loginFrom(email, FIREFOX);
    const changed = await t.postJson(
      "/v1/users/me/password",
      { current_password: PASSWORD, new_password: "another horse battery" },
      { authorization: `Bearer ${access_token}` },
    );
    expect(changed.status).toBe(204);
    const logs = captureLogs();
    const down = startOutboxSender({
      database: t.database,
      transport: createSmtpTransport({ url: `smtp://127.0.0.1:${await closedPort()}`, from: "x@app.test" }),
      logger: createLogger({ env: "test", logLevel: "info" }, logs.stream),
      env: "test",
      publicUrl: "http://app.test",
      pollIntervalMs: 0,
    });
    expect(await down.runOnce()).toBe(0);
    await down.stop();
    const [row] = (await t.database.db.select().from(outbox)).filter((r) => r.recipient === email);
    expect(row).toMatchObject({ attempts: 1, sentAt: null, failedAt: null });
    expect(row?.availableAt.getTime()).toBeGreaterThan(Date.now() + 10_000);
    expect(logs.lines.join("\n")).toContain("mail send failed; will retry");
    // not due yet: the working sender leaves it alone until its time comes
    expect(await noticesTo(email)).toEqual([]);
  });
});
