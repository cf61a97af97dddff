import { uniqueEmail } from "@app/core/testing";
import type { ParsedMail } from "mailparser";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import {
  closedPort,
  createTestApp,
  expectProblem,
  GENEROUS_RATE_LIMITS,
  startSmtpServer,
  type TestApp,
} from "#test-support";
import { createSmtpTransport, type MailTransport } from "../../../mail/mail-queue.js";

const PASSWORD = "correct horse battery";
const NEW_PASSWORD = "a fresh passphrase 42";
const PUBLIC_URL = "http://app.test";
const MINUTE = 60_000;
const RESET_BODY = {
  detail: "If an account with this email exists, a link to reset its password has been sent to it.",
};

/** The one link in a message, checked in both bodies, and its token. */
function linkIn(message: ParsedMail, page: "reset-password" | "verify-email") {
  const match = message.text?.match(new RegExp(`${PUBLIC_URL}/${page}\\?token=([A-Za-z0-9_-]+)`));
  if (!match?.[1]) throw new Error(`no ${page} link in: ${message.text}`);
  expect(String(message.html)).toContain(`href="${match[0]}"`);
  return { link: match[0], token: match[1] };
}

const recipient = (message: ParsedMail) =>
  (Array.isArray(message.to) ? message.to[0] : message.to)?.value[0]?.address;

describe("password reset and email verification over real SMTP", () => {
  let smtp: Awaited<ReturnType<typeof startSmtpServer>>;
  let t: TestApp;
  let clockOffsetMs = 0;
  const now = () => new Date(Date.now() + clockOffsetMs);
  beforeAll(async () => {
    smtp = await startSmtpServer();
    t = await createTestApp(
      "pglite",
      {},
      {
        mail: {
          transport: createSmtpTransport({ url: smtp.url, from: "Accounts <accounts@example.com>" }),
          now,
          publicUrl: PUBLIC_URL,
        },
      },
    );
  });
  afterAll(async () => {
    await t.deps.mail.idle();
    await t.dispose();
    await smtp.close();
  });
  afterEach(() => {
    clockOffsetMs = 0;
  });

  /** Waits for the queue, then the newest message to `to` with this subject. */
  async function mailTo(to: string, subject: RegExp) {
    await t.deps.mail.idle();
    const found = smtp.messages.filter((m) => recipient(m) === to && subject.test(m.subject ?? ""));
    const last = found.at(-1);
    if (!last) throw new Error(`no mail "${subject}" to ${to}`);
    return { message: last, count: found.length };
  }
  const confirm = (token: string, newPassword = NEW_PASSWORD) =>
    t.postJson("/v1/users/password-reset/confirm", { token, new_password: newPassword });

  it("mails a reset link that works once: the password changes and earlier tokens are refused", async () => {
    const email = uniqueEmail("reset");
    await t.register(email);
    const before = await t.login(email);
    const response = await t.postJson("/v1/users/password-reset", { email: email.toUpperCase() });
    expect(response.status).toBe(202);
    expect(await response.json()).toEqual(RESET_BODY);

    const { message } = await mailTo(email, /reset your password/i);
    expect(message.from?.value[0]?.address).toBe("accounts@example.com");
    const { token } = linkIn(message, "reset-password");
    expect(Buffer.from(token, "base64url")).toHaveLength(32);

    expect((await confirm(token)).status).toBe(204);
    expect((await t.me(before)).status).toBe(401);
    await expect(t.login(email, PASSWORD)).rejects.toThrow(/401/);
    expect((await t.me(await t.login(email, NEW_PASSWORD))).status).toBe(200);

    const again = await expectProblem(await confirm(token, "another fresh passphrase"), 400);
    expect(again.type).toBe("/problems/invalid-reset-token");
    expect(JSON.stringify(t.logs.lines)).not.toContain(token);
  });

  it("refuses a reset link after 30 minutes, a made-up token, and a common new password", async () => {
    const email = uniqueEmail("expired");
    await t.register(email);
    await t.postJson("/v1/users/password-reset", { email });
    const { token } = linkIn((await mailTo(email, /reset/i)).message, "reset-password");

    const common = await expectProblem(await confirm(token, "password123"), 422);
    expect(common.errors).toEqual([{ path: "new_password", message: "is too common; choose another" }]);
    expect((await expectProblem(await confirm("made-up"), 400)).type).toBe("/problems/invalid-reset-token");
    clockOffsetMs = 30 * MINUTE + 1000;
    expect((await expectProblem(await confirm(token), 400)).type).toBe("/problems/invalid-reset-token");
    expect((await t.me(await t.login(email, PASSWORD))).status).toBe(200);
  });

  it("answers an unknown email exactly like a known one, in about the same time, and mails nobody", async () => {
    const known = uniqueEmail("known");
    await t.register(known);
    await t.deps.mail.idle();
    const sentBefore = smtp.messages.length;
    const timings = { known: [] as number[], unknown: [] as number[] };
    const bodies = new Set<string>();
    for (let i = 0; i < 10; i++) {
      for (const kind of ["known", "unknown"] as const) {
        const email = kind === "known" ? known : uniqueEmail("nobody");
        const started = performance.now();
        const response = await t.postJson("/v1/users/password-reset", { email });
        timings[kind].push(performance.now() - started);
        expect(response.status).toBe(202);
        bodies.add(await response.text());
      }
    }
    expect([...bodies]).toEqual([JSON.stringify(RESET_BODY)]);
    const median = (values: number[]) =>
      [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? 0;
    const [k, u] = [median(timings.known), median(timings.unknown)];
    console.info(`password-reset median: known ${k.toFixed(2)} ms, unknown ${u.toFixed(2)} ms`);
    expect(k).toBeLessThan(250);
    expect(u).toBeLessThan(250);
    expect(Math.max(k, u) / Math.max(Math.min(k, u), 0.5)).toBeLessThan(4);
    await t.deps.mail.idle();
    expect(smtp.messages.length - sentBefore).toBe(10);
    expect(smtp.messages.slice(sentBefore).every((m) => recipient(m) === known)).toBe(true);
  });

  it("mails a verification link on registration that verifies once; an email change needs a new one", async () => {
    const email = uniqueEmail("verify");
    await t.register(email);
    const token = await t.login(email);
    const me = async () => (await (await t.me(token)).json()) as { email: string; email_verified: boolean };
    expect((await me()).email_verified).toBe(false);

    const { token: verifyToken } = linkIn(
      (await mailTo(email, /confirm your email/i)).message,
      "verify-email",
    );
    expect((await t.postJson("/v1/users/verify-email", { token: verifyToken })).status).toBe(204);
    expect((await me()).email_verified).toBe(true);
    const reused = await expectProblem(
      await t.postJson("/v1/users/verify-email", { token: verifyToken }),
      400,
    );
    expect(reused.type).toBe("/problems/invalid-verification-token");

    // Resending for a verified address sends nothing.
    const resend = () =>
      t.request("/v1/users/verify-email/resend", {
        method: "POST",
        headers: { authorization: `Bearer ${token}` },
      });
    expect((await resend()).status).toBe(202);
    expect((await mailTo(email, /confirm your email/i)).count).toBe(1);

    const moved = uniqueEmail("moved");
    const patched = await t.request("/v1/users/me", {
      method: "PATCH",
      headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
      body: JSON.stringify({ email: moved, current_password: PASSWORD }),
    });
    expect(((await patched.json()) as { email_verified: boolean }).email_verified).toBe(false);
    const first = linkIn((await mailTo(moved, /confirm your email/i)).message, "verify-email");
    expect((await resend()).status).toBe(202);
    const second = await mailTo(moved, /confirm your email/i);
    expect(second.count).toBe(2);
    expect(linkIn(second.message, "verify-email").token).not.toBe(first.token);

    clockOffsetMs = 24 * 60 * MINUTE + 1000;
    const expired = await t.postJson("/v1/users/verify-email", { token: first.token });
    expect((await expectProblem(expired, 400)).type).toBe("/problems/invalid-verification-token");
    clockOffsetMs = 0;
    expect((await t.postJson("/v1/users/verify-email", { token: first.token })).status).toBe(204);
    expect(await me()).toMatchObject({ email: moved, email_verified: true });
  });

  it("an admin's email change also resets verification and mails the new address", async () => {
    const root = uniqueEmail("root");
    await t.deps.users.ensureSuperuser({ email: root, password: PASSWORD });
    const admin = await t.login(root);
    const { id } = await t.register(uniqueEmail("managed"));
    const moved = uniqueEmail("managed-moved");
    const response = await t.request(`/v1/users/${id}`, {
      method: "PATCH",
      headers: { authorization: `Bearer ${admin}`, "content-type": "application/json" },
      body: JSON.stringify({ email: moved }),
    });
    expect(await response.json()).toMatchObject({ email: moved, email_verified: false });
    linkIn((await mailTo(moved, /confirm your email/i)).message, "verify-email");
  });
});

describe("REQUIRE_VERIFIED_EMAIL", () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp("pglite", { requireVerifiedEmail: true });
  });
  afterAll(async () => {
    await t.dispose();
  });

  it("login of an unverified account → 403 /problems/email-not-verified (after the password check); verified → 200", async () => {
    const email = uniqueEmail("unverified");
    const { id } = await t.register(email);
    const wrong = await t.postJson("/v1/users/login", { email, password: "not the password" });
    expect((await expectProblem(wrong, 401)).type).toBe("/problems/invalid-credentials");
    const refused = await expectProblem(
      await t.postJson("/v1/users/login", { email, password: PASSWORD }),
      403,
    );
    expect(refused.type).toBe("/problems/email-not-verified");

    const sent = await t.deps.recovery.requestEmailVerification(id);
    if (!sent) throw new Error("no token issued");
    expect((await t.postJson("/v1/users/verify-email", { token: sent.token })).status).toBe(204);
    expect((await t.me(await t.login(email))).status).toBe(200);
  });
});

describe("when mail cannot be delivered", () => {
  it("SMTP down: the reset still answers 202, the send is tried 3 times with backoff, the failure is logged without the token", async () => {
    const port = await closedPort();
    let attempts = 0;
    const smtp = createSmtpTransport({ url: `smtp://127.0.0.1:${port}`, from: "a@example.com" });
    const counting: MailTransport = {
      send: (message) => {
        attempts++;
        return smtp.send(message);
      },
    };
    const t = await createTestApp("pglite", {}, { mail: { transport: counting, backoffMs: 10 } });
    try {
      const email = uniqueEmail("down");
      await t.deps.users.register({ email, password: PASSWORD });
      const started = performance.now();
      const response = await t.postJson("/v1/users/password-reset", { email });
      expect(response.status).toBe(202);
      expect(await response.json()).toEqual(RESET_BODY);
      await t.deps.mail.idle();
      expect(performance.now() - started).toBeGreaterThanOrEqual(30); // 10 ms + 20 ms of backoff
      expect(attempts).toBe(3);
      const lines = t.logs.lines.map(
        (line) => JSON.parse(line) as { msg: string; attempt?: number; level: number },
      );
      expect(lines.filter((l) => l.msg === "mail send failed; will retry").map((l) => l.attempt)).toEqual([
        1, 2,
      ]);
      expect(lines.filter((l) => l.msg === "mail could not be sent; giving up")).toEqual([
        expect.objectContaining({ attempt: 3, level: 50 }),
      ]);
      expect(t.logs.lines.join("\n")).not.toMatch(/token=/);
    } finally {
      await t.dispose();
    }
  });

  it("per-account and per-address budgets apply to reset requests and resends (429)", async () => {
    const t = await createTestApp("pglite", {
      rateLimits: { ...GENEROUS_RATE_LIMITS, recoveryPerAccount: 2, recoveryPerAddress: 5 },
    });
    try {
      const email = uniqueEmail("limited");
      await t.register(email);
      const statuses = [];
      for (let i = 0; i < 3; i++)
        statuses.push((await t.postJson("/v1/users/password-reset", { email })).status);
      expect(statuses).toEqual([202, 202, 429]);
      // Unknown addresses count too, so the budget says nothing about which accounts exist.
      const other = uniqueEmail("unknown");
      for (let i = 0; i < 2; i++) await t.postJson("/v1/users/password-reset", { email: other });
      const limited = await t.postJson("/v1/users/password-reset", { email: uniqueEmail("third") });
      expect(limited.status).toBe(429);
      expect(limited.headers.get("retry-after")).toMatch(/^\d+$/);
    } finally {
      await t.dispose();
    }
  });
});
