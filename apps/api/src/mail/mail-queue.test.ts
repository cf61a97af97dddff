import { describe, expect, it } from "vitest";
import { captureLogs } from "#test-support";
import { createLogger } from "../logger.js";
import { createMailQueue, type MailMessage, type MailTransport } from "./mail-queue.js";

const LINK = "http://app.test/reset-password?token=SECRET-TOKEN-VALUE";
const message: MailMessage = {
  to: "ada@example.com",
  subject: "Reset your password",
  text: LINK,
  html: LINK,
};

function queueFor(env: "development" | "production", transport?: MailTransport) {
  const logs = captureLogs();
  const logger = createLogger({ env: "test", logLevel: "info" }, logs.stream);
  const queue = createMailQueue({ transport, logger, env, backoffMs: 1 });
  const lines = () => logs.lines.map((line) => JSON.parse(line) as Record<string, unknown>);
  return { queue, logs, lines };
}

describe("mail queue", () => {
  it("without SMTP in development, logs subject, recipient and link at info", async () => {
    const { queue, lines } = queueFor("development");
    queue.enqueue(message, { kind: "password_reset", link: LINK });
    await queue.idle();
    expect(lines()).toEqual([
      expect.objectContaining({
        level: 30,
        to: "ada@example.com",
        subject: "Reset your password",
        link: LINK,
      }),
    ]);
  });

  it("without SMTP in production, logs that mail is not configured and never the token", async () => {
    const { queue, logs, lines } = queueFor("production");
    queue.enqueue(message, { kind: "password_reset", link: LINK });
    await queue.idle();
    expect(lines()).toEqual([expect.objectContaining({ level: 40, mail: "password_reset" })]);
    expect(logs.lines.join("\n")).not.toContain("SECRET-TOKEN-VALUE");
  });

  it("returns from enqueue at once, retries a failing send, and stops at the first success", async () => {
    let calls = 0;
    const flaky: MailTransport = {
      async send() {
        calls++;
        if (calls < 2) throw Object.assign(new Error("ECONNREFUSED"), { code: "ECONNECTION" });
      },
    };
    const { queue, lines } = queueFor("production", flaky);
    queue.enqueue(message, { kind: "verify_email", link: LINK });
    expect(calls).toBeLessThanOrEqual(1);
    await queue.idle();
    expect(calls).toBe(2);
    expect(lines().map((l) => l.msg)).toEqual(["mail send failed; will retry", "mail sent"]);
  });
});
