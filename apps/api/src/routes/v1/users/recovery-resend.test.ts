import { tokensValidFrom } from "@app/core";
import { testDatabaseKinds, uniqueEmail } from "@app/core/testing";
import type { ParsedMail } from "mailparser";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  createTestApp,
  expectProblem,
  GENEROUS_RATE_LIMITS,
  startSmtpServer,
  type TestApp,
} from "#test-support";
import { createSmtpTransport } from "../../../mail/mail-queue.js";

const PASSWORD = "correct horse battery";
const RESEND_BODY = {
  detail:
    "If an account with this email exists and is not verified yet, a new verification link has been sent to it.",
};

const recipient = (message: ParsedMail) =>
  (Array.isArray(message.to) ? message.to[0] : message.to)?.value[0]?.address;

/** Someone who lost the verification mail and cannot sign in asks for a new one by address. */
describe.each(testDatabaseKinds)("POST /v1/users/verify-email/resend by email on %s", (kind) => {
  let smtp: Awaited<ReturnType<typeof startSmtpServer>>;
  let t: TestApp;
  beforeAll(async () => {
    smtp = await startSmtpServer();
    t = await createTestApp(
      kind,
      { requireVerifiedEmail: true, rateLimits: { ...GENEROUS_RATE_LIMITS, recoveryPerAccount: 3 } },
      { mail: { transport: createSmtpTransport({ url: smtp.url, from: "accounts@example.com" }) } },
    );
  });
  afterAll(async () => {
    await t.deps.mail.idle();
    await t.dispose();
    await smtp.close();
  });

  const resend = (body: unknown, headers: Record<string, string> = {}) =>
    t.postJson("/v1/users/verify-email/resend", body, headers);
  const mailsTo = async (email: string) => {
    await t.deps.mail.idle();
    return smtp.messages.filter((m) => recipient(m) === email && /confirm your email/i.test(m.subject ?? ""));
  };
  const tokenIn = (message: ParsedMail | undefined) =>
    message?.text?.match(/verify-email\?token=([A-Za-z0-9_-]+)/)?.[1] ?? "";

  it("mails a fresh link to an unverified account, signed out, and the link verifies it", async () => {
    const email = uniqueEmail("lost-mail");
    await t.register(email);
    expect(await mailsTo(email)).toHaveLength(1);
    // Signed out for good: REQUIRE_VERIFIED_EMAIL refuses the login.
    await expectProblem(await t.postJson("/v1/users/login", { email, password: PASSWORD }), 403);

    const response = await resend({ email: ` ${email.toUpperCase()}` });
    expect(response.status).toBe(202);
    expect(await response.json()).toEqual(RESEND_BODY);
    const mails = await mailsTo(email);
    expect(mails).toHaveLength(2);
    const token = tokenIn(mails[1]);
    expect(token).not.toBe(tokenIn(mails[0]));
    expect((await t.postJson("/v1/users/verify-email", { token })).status).toBe(204);
    expect((await t.me(await t.login(email))).status).toBe(200);
  });

  it("answers an unknown and a verified address exactly the same, and mails neither", async () => {
    const verified = uniqueEmail("verified");
    const { id } = await t.register(verified);
    const sent = await t.deps.recovery.requestEmailVerification(id);
    await t.postJson("/v1/users/verify-email", { token: sent?.token });
    const before = (await mailsTo(verified)).length;
    const unknown = uniqueEmail("nobody");
    for (const email of [unknown, verified]) {
      const response = await resend({ email });
      expect(response.status).toBe(202);
      expect(await response.json()).toEqual(RESEND_BODY);
    }
    expect(await mailsTo(unknown)).toHaveLength(0);
    expect(await mailsTo(verified)).toHaveLength(before);
  });

  it("is budgeted per address like password reset (429 + Retry-After), unknown addresses included", async () => {
    const known = uniqueEmail("budget");
    await t.register(known);
    for (const email of [known, uniqueEmail("budget-nobody")]) {
      const statuses = [];
      for (let i = 0; i < 4; i++) statuses.push((await resend({ email })).status);
      expect(statuses).toEqual([202, 202, 202, 429]);
    }
    const limited = await resend({ email: known });
    expect(limited.headers.get("retry-after")).toMatch(/^\d+$/);
    // Three resends and the registration mail: the fourth request sent nothing.
    expect(await mailsTo(known)).toHaveLength(4);
    expect((await resend({ email: uniqueEmail("budget-other") })).status).toBe(202);
  });

  it("keeps the Bearer form; without a token an email is required (422), and a bad token is 401", async () => {
    const email = uniqueEmail("bearer");
    await t.register(email);
    // No login while unverified: a token straight from the token service.
    const user = await t.deps.users.authenticate({ email, password: PASSWORD });
    const token = await t.deps.tokens.issue({ subject: user.id, issuedAtFloor: tokensValidFrom(user) });
    const bearer = await t.request("/v1/users/verify-email/resend", {
      method: "POST",
      headers: { authorization: `Bearer ${token.token}` },
    });
    expect(bearer.status).toBe(202);
    expect(await mailsTo(email)).toHaveLength(2);
    const missing = await expectProblem(await resend({}), 422);
    expect(missing.errors).toEqual([{ path: "email", message: "is required without a Bearer token" }]);
    await expectProblem(await t.request("/v1/users/verify-email/resend", { method: "POST" }), 422);
    await expectProblem(await resend({ email: "not an email" }), 422);
    await expectProblem(await resend({ email }, { authorization: "Bearer nope" }), 401);
  });

  it("refuses the Bearer token of an ended session with 401, as every signed-in route does", async () => {
    const email = uniqueEmail("ended-session");
    await t.register(email);
    const user = await t.deps.users.authenticate({ email, password: PASSWORD });
    const session = await t.deps.sessions.start(user);
    const resendAs = (accessToken: string) =>
      t.request("/v1/users/verify-email/resend", {
        method: "POST",
        headers: { authorization: `Bearer ${accessToken}` },
      });
    expect((await resendAs(session.accessToken)).status).toBe(202);
    await t.deps.sessions.logout(session.refreshToken);
    await expectProblem(await resendAs(session.accessToken), 401);
    expect(await mailsTo(email)).toHaveLength(2);
  });
});
