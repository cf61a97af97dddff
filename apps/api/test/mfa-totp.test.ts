import { MAX_MFA_ATTEMPTS, outbox, totpFactors } from "@app/core";
import { testDatabaseKinds, uniqueEmail } from "@app/core/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { expectProblem } from "./support/problem.js";
import { createTestApp, type TestApp, type TokenBody } from "./support/test-app.js";
import { decodeBase32, jwtClaims, manualClock, totpCode } from "./support/totp.js";

const PASSWORD = "correct horse battery";
const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

interface MfaRequired {
  type: string;
  status: number;
  mfa_token: string;
  methods: string[];
}

describe.each(testDatabaseKinds)("TOTP and recovery codes over HTTP on %s", (kind) => {
  let t: TestApp;
  const clock = manualClock();
  beforeAll(async () => {
    t = await createTestApp(kind, {}, { mfaNow: clock.now });
  });
  afterAll(async () => {
    await t.dispose();
  });

  const post = (path: string, body: unknown, token?: string) =>
    t.postJson(path, body, token ? bearer(token) : {});

  /** A user with TOTP enabled: their email, base32 secret, recovery codes and a signed-in token. */
  async function userWithTotp() {
    const email = uniqueEmail("mfa");
    const { id } = await t.register(email, PASSWORD);
    const token = await t.login(email);
    const setup = await post("/v1/users/me/mfa/totp/setup", { current_password: PASSWORD }, token);
    expect(setup.status).toBe(200);
    const { secret, otpauth_uri } = (await setup.json()) as { secret: string; otpauth_uri: string };
    expect(otpauth_uri).toMatch(/^otpauth:\/\/totp\//);
    const confirm = await post(
      "/v1/users/me/mfa/totp/confirm",
      { code: totpCode(secret, clock.now()) },
      token,
    );
    expect(confirm.status).toBe(200);
    const { recovery_codes } = (await confirm.json()) as { recovery_codes: string[] };
    // The confirming code is used: the next login needs the next step's code.
    clock.advanceSteps(1);
    return { id, email, secret, recoveryCodes: recovery_codes, token };
  }

  async function passwordStep(email: string): Promise<MfaRequired> {
    const response = await post("/v1/users/login", { email, password: PASSWORD });
    const body = (await response.json()) as MfaRequired;
    expect(response.status, JSON.stringify(body)).toBe(403);
    return body;
  }

  it("sets up TOTP with the password and a code, and then login asks for it", async () => {
    const email = uniqueEmail("setup");
    await t.register(email, PASSWORD);
    const token = await t.login(email);
    expect(await (await t.me(token)).json()).toMatchObject({ mfa_enabled: false });

    const wrongPassword = await post("/v1/users/me/mfa/totp/setup", { current_password: "nope nope" }, token);
    expect((await expectProblem(wrongPassword, 401)).type).toBe("/problems/incorrect-password");
    const setup = await post("/v1/users/me/mfa/totp/setup", { current_password: PASSWORD }, token);
    const { secret } = (await setup.json()) as { secret: string };
    expect(secret).toMatch(/^[A-Z2-7]{32}$/);
    // Pending: login still needs only the password.
    expect((await post("/v1/users/login", { email, password: PASSWORD })).status).toBe(200);

    const wrongCode = await post(
      "/v1/users/me/mfa/totp/confirm",
      { code: totpCode(secret, clock.now(), 5) },
      token,
    );
    expect((await expectProblem(wrongCode, 422)).type).toBe("/problems/invalid-mfa-code");
    const confirm = await post(
      "/v1/users/me/mfa/totp/confirm",
      { code: totpCode(secret, clock.now()) },
      token,
    );
    expect(confirm.status).toBe(200);
    const { recovery_codes } = (await confirm.json()) as { recovery_codes: string[] };
    expect(recovery_codes).toHaveLength(10);
    expect(new Set(recovery_codes).size).toBe(10);

    expect(await (await t.me(token)).json()).toMatchObject({ mfa_enabled: true });
    const status = await t.request("/v1/users/me/mfa", { headers: bearer(token) });
    expect(await status.json()).toMatchObject({
      totp: { enabled: true, confirmed_at: expect.any(String) },
      recovery_codes_remaining: 10,
      passkeys: [],
    });
    const again = await post("/v1/users/me/mfa/totp/setup", { current_password: PASSWORD }, token);
    expect((await expectProblem(again, 409)).type).toBe("/problems/mfa-conflict");

    // At rest the secret is only ciphertext.
    const { id } = (await (await t.me(token)).json()) as { id: string };
    const row = (await t.database.db.select().from(totpFactors)).find((factor) => factor.userId === id);
    expect(row?.secretCiphertext).toMatch(/^v1\./);
    expect(row?.secretCiphertext).not.toContain(secret);
    expect(Buffer.from(row?.secretCiphertext.slice(3) ?? "", "base64url").toString("hex")).not.toContain(
      Buffer.from(decodeBase32(secret)).toString("hex"),
    );
  });

  it("answers 403 mfa-required only after the right password, then issues tokens for the code", async () => {
    const { email, secret } = await userWithTotp();
    const wrong = await expectProblem(
      await post("/v1/users/login", { email, password: "wrong password" }),
      401,
    );
    expect(wrong).not.toHaveProperty("mfa_token");

    const passwordAnswer = await post("/v1/users/login", { email, password: PASSWORD });
    expect(passwordAnswer.status).toBe(403);
    expect(passwordAnswer.headers.get("content-type")).toMatch(/^application\/problem\+json/);
    // The ticket for the second step must be kept by no cache, like a token response.
    expect(passwordAnswer.headers.get("cache-control")).toBe("no-store");
    const required = (await passwordAnswer.json()) as MfaRequired & { mfa_token_expires_in: number };
    expect(required).toMatchObject({
      type: "/problems/mfa-required",
      status: 403,
      title: expect.any(String),
    });
    expect(required.mfa_token_expires_in).toBeGreaterThan(0);
    expect(required.methods).toEqual(["totp", "recovery_code"]);
    expect(required).not.toHaveProperty("access_token");
    expect(required.mfa_token).toMatch(/^[A-Za-z0-9_-]{43}$/);

    const done = await post("/v1/users/login/mfa", {
      mfa_token: required.mfa_token,
      code: totpCode(secret, clock.now()),
    });
    expect(done.status).toBe(200);
    const tokens = (await done.json()) as TokenBody;
    expect(jwtClaims(tokens.access_token).amr).toEqual(["pwd", "otp", "mfa"]);
    expect((await t.me(tokens.access_token)).status).toBe(200);
    // The mfa_token is spent by the success.
    clock.advanceSteps(1);
    const reuse = await post("/v1/users/login/mfa", {
      mfa_token: required.mfa_token,
      code: totpCode(secret, clock.now()),
    });
    expect((await expectProblem(reuse, 401)).type).toBe("/problems/invalid-mfa-token");
  });

  it("stamps amr pwd on a login without a second factor", async () => {
    const email = uniqueEmail("plain");
    await t.register(email, PASSWORD);
    expect(jwtClaims(await t.login(email)).amr).toEqual(["pwd"]);
  });

  it("accepts a TOTP code once: the same code in a second login is refused, the next step's works", async () => {
    const { email, secret } = await userWithTotp();
    const code = totpCode(secret, clock.now());
    const first = await passwordStep(email);
    expect((await post("/v1/users/login/mfa", { mfa_token: first.mfa_token, code })).status).toBe(200);

    const second = await passwordStep(email);
    const replay = await post("/v1/users/login/mfa", { mfa_token: second.mfa_token, code });
    expect((await expectProblem(replay, 401)).type).toBe("/problems/invalid-mfa-code");
    // An older step's code (within the window, but before the accepted one) is refused too.
    const older = await post("/v1/users/login/mfa", {
      mfa_token: second.mfa_token,
      code: totpCode(secret, clock.now(), -1),
    });
    expect((await expectProblem(older, 401)).type).toBe("/problems/invalid-mfa-code");
    clock.advanceSteps(1);
    const next = await post("/v1/users/login/mfa", {
      mfa_token: second.mfa_token,
      code: totpCode(secret, clock.now()),
    });
    expect(next.status).toBe(200);
  });

  it(`kills the mfa_token after ${MAX_MFA_ATTEMPTS} wrong codes, even for the right one next`, async () => {
    const { email, secret } = await userWithTotp();
    const { mfa_token } = await passwordStep(email);
    for (let attempt = 0; attempt < MAX_MFA_ATTEMPTS; attempt++) {
      const wrong = await post("/v1/users/login/mfa", { mfa_token, code: totpCode(secret, clock.now(), 7) });
      expect((await expectProblem(wrong, 401)).type).toBe("/problems/invalid-mfa-code");
    }
    const right = await post("/v1/users/login/mfa", { mfa_token, code: totpCode(secret, clock.now()) });
    expect((await expectProblem(right, 401)).type).toBe("/problems/invalid-mfa-token");
    // Dead for passkey options too.
    const options = await post("/v1/users/login/mfa/webauthn/options", { mfa_token });
    expect((await expectProblem(options, 401)).type).toBe("/problems/invalid-mfa-token");
  });

  it("kills the mfa_token after 5 minutes", async () => {
    const { email, secret } = await userWithTotp();
    const { mfa_token } = await passwordStep(email);
    clock.advanceSteps(11);
    const late = await post("/v1/users/login/mfa", { mfa_token, code: totpCode(secret, clock.now()) });
    expect((await expectProblem(late, 401)).type).toBe("/problems/invalid-mfa-token");
  });

  it("spends a recovery code once; a new set voids the old one", async () => {
    const { email, recoveryCodes, token } = await userWithTotp();
    const [first, second] = recoveryCodes as [string, string];
    const login = await passwordStep(email);
    // Case, spaces and hyphens do not matter.
    const typed = first.toUpperCase().replaceAll("-", " ");
    const done = await post("/v1/users/login/mfa", { mfa_token: login.mfa_token, recovery_code: typed });
    expect(done.status).toBe(200);
    expect(jwtClaims(((await done.json()) as TokenBody).access_token).amr).toEqual(["pwd", "otp", "mfa"]);

    const again = await passwordStep(email);
    const reuse = await post("/v1/users/login/mfa", { mfa_token: again.mfa_token, recovery_code: first });
    expect((await expectProblem(reuse, 401)).type).toBe("/problems/invalid-mfa-code");
    const status = await t.request("/v1/users/me/mfa", { headers: bearer(token) });
    expect(await status.json()).toMatchObject({ recovery_codes_remaining: 9 });

    const regenerated = await post("/v1/users/me/mfa/recovery-codes", { current_password: PASSWORD }, token);
    expect(regenerated.status).toBe(200);
    const fresh = ((await regenerated.json()) as { recovery_codes: string[] }).recovery_codes;
    const old = await post("/v1/users/login/mfa", { mfa_token: again.mfa_token, recovery_code: second });
    expect((await expectProblem(old, 401)).type).toBe("/problems/invalid-mfa-code");
    const ok = await post("/v1/users/login/mfa", { mfa_token: again.mfa_token, recovery_code: fresh[0] });
    expect(ok.status).toBe(200);
  });

  it("two logins racing with one recovery code: exactly one wins, every round", async () => {
    const { email, recoveryCodes } = await userWithTotp();
    for (const code of recoveryCodes.slice(0, 6)) {
      const [a, b] = [await passwordStep(email), await passwordStep(email)];
      const results = await Promise.all(
        [a, b].map((login) =>
          post("/v1/users/login/mfa", { mfa_token: login.mfa_token, recovery_code: code }),
        ),
      );
      const statuses = results.map((response) => response.status).sort();
      expect(statuses).toEqual([200, 401]);
    }
  });

  it("two logins racing with one TOTP code: exactly one wins, every round", async () => {
    const { email, secret } = await userWithTotp();
    for (let round = 0; round < 6; round++) {
      const code = totpCode(secret, clock.now());
      const [a, b] = [await passwordStep(email), await passwordStep(email)];
      const results = await Promise.all(
        [a, b].map((login) => post("/v1/users/login/mfa", { mfa_token: login.mfa_token, code })),
      );
      expect(results.map((response) => response.status).sort()).toEqual([200, 401]);
      clock.advanceSteps(1);
    }
  });

  it(`checks at most ${MAX_MFA_ATTEMPTS} codes per mfa_token, however many arrive at once`, async () => {
    const { email, secret } = await userWithTotp();
    const { mfa_token } = await passwordStep(email);
    const results = await Promise.all(
      Array.from({ length: 12 }, () =>
        post("/v1/users/login/mfa", { mfa_token, code: totpCode(secret, clock.now(), 7) }),
      ),
    );
    const types = await Promise.all(
      results.map(async (response) => ((await response.json()) as MfaRequired).type),
    );
    expect(types.filter((type) => type === "/problems/invalid-mfa-code")).toHaveLength(MAX_MFA_ATTEMPTS);
    expect(types.filter((type) => type === "/problems/invalid-mfa-token")).toHaveLength(
      12 - MAX_MFA_ATTEMPTS,
    );
  });

  it("refuses a body with no proof or with two", async () => {
    const { email, secret, recoveryCodes } = await userWithTotp();
    const { mfa_token } = await passwordStep(email);
    await expectProblem(await post("/v1/users/login/mfa", { mfa_token }), 422);
    await expectProblem(
      await post("/v1/users/login/mfa", {
        mfa_token,
        code: totpCode(secret, clock.now()),
        recovery_code: recoveryCodes[0],
      }),
      422,
    );
    await expectProblem(await post("/v1/users/login/mfa", { mfa_token: "made-up", code: "123456" }), 401);
  });

  it("keeps the second factor through a password reset", async () => {
    const { email, secret } = await userWithTotp();
    const sent = await t.deps.recovery.requestPasswordReset(email);
    expect(sent).not.toBeNull();
    const newPassword = "a brand new passphrase";
    const reset = await post("/v1/users/password-reset/confirm", {
      token: sent?.token,
      new_password: newPassword,
    });
    expect(reset.status).toBe(204);
    const login = await post("/v1/users/login", { email, password: newPassword });
    const required = (await expectProblem(login, 403)) as unknown as MfaRequired;
    expect(required.type).toBe("/problems/mfa-required");
    const done = await post("/v1/users/login/mfa", {
      mfa_token: required.mfa_token,
      code: totpCode(secret, clock.now()),
    });
    expect(done.status).toBe(200);
  });

  it("voids an mfa_token when the password changes before the second step", async () => {
    const { id, email, secret } = await userWithTotp();
    const { mfa_token } = await passwordStep(email);
    await t.deps.sessions.logoutAll(id);
    const late = await post("/v1/users/login/mfa", { mfa_token, code: totpCode(secret, clock.now()) });
    expect((await expectProblem(late, 401)).type).toBe("/problems/invalid-mfa-token");
  });

  it("disables TOTP with the password; login then needs the password only", async () => {
    const { email, token } = await userWithTotp();
    const wrong = await post("/v1/users/me/mfa/totp/disable", { current_password: "wrong password" }, token);
    expect((await expectProblem(wrong, 401)).type).toBe("/problems/incorrect-password");
    expect((await post("/v1/users/me/mfa/totp/disable", { current_password: PASSWORD }, token)).status).toBe(
      204,
    );
    expect((await post("/v1/users/login", { email, password: PASSWORD })).status).toBe(200);
    const status = await t.request("/v1/users/me/mfa", { headers: bearer(token) });
    expect(await status.json()).toMatchObject({ totp: { enabled: false }, recovery_codes_remaining: 0 });
    const noFactor = await post("/v1/users/me/mfa/recovery-codes", { current_password: PASSWORD }, token);
    expect((await expectProblem(noFactor, 409)).type).toBe("/problems/mfa-conflict");
  });

  it("lets a superuser remove every factor of a user (and nobody else)", async () => {
    const { id, email, token } = await userWithTotp();
    const forbidden = await t.request(`/v1/users/${id}/mfa`, { method: "DELETE", headers: bearer(token) });
    await expectProblem(forbidden, 403);
    const rootEmail = uniqueEmail("root");
    await t.deps.users.ensureSuperuser({ email: rootEmail, password: PASSWORD });
    const root = await t.login(rootEmail);
    const removed = await t.request(`/v1/users/${id}/mfa`, { method: "DELETE", headers: bearer(root) });
    expect(removed.status).toBe(204);
    expect((await post("/v1/users/login", { email, password: PASSWORD })).status).toBe(200);
    const missing = await t.request(`/v1/users/0190b5a8-0000-7000-8000-000000000000/mfa`, {
      method: "DELETE",
      headers: bearer(root),
    });
    await expectProblem(missing, 404);
    await t.deps.mail.idle();
    const notices = t.logs.lines.filter(
      (line) => line.includes("second_factor_changed") && line.includes(email),
    );
    // Added (confirm) here; the removal's notice is the durable one in the outbox, sent once.
    expect(notices).toHaveLength(1);
    const offNotices = (await t.database.db.select().from(outbox)).filter(
      (row) => row.recipient === email && row.kind === "mfa_disabled",
    );
    expect(offNotices).toHaveLength(1);
  });
});

describe.each(testDatabaseKinds)("the login budget counts second-factor failures on %s", (kind) => {
  let t: TestApp;
  const clock = manualClock();
  beforeAll(async () => {
    const { GENEROUS_RATE_LIMITS } = await import("./support/test-app.js");
    t = await createTestApp(
      kind,
      { rateLimits: { ...GENEROUS_RATE_LIMITS, loginPerAccountAndAddress: 6, loginPerAccount: 50 } },
      { mfaNow: clock.now },
    );
  });
  afterAll(async () => {
    await t.dispose();
  });

  it("answers 429 with Retry-After once password and code failures exhaust it, however many tokens", async () => {
    const email = uniqueEmail("budget");
    await t.register(email, PASSWORD);
    const token = await t.login(email);
    const setup = await t.postJson(
      "/v1/users/me/mfa/totp/setup",
      { current_password: PASSWORD },
      bearer(token),
    );
    const { secret } = (await setup.json()) as { secret: string };
    await t.postJson("/v1/users/me/mfa/totp/confirm", { code: totpCode(secret, clock.now()) }, bearer(token));
    clock.advanceSteps(1);

    // Knowing the password must not reset the budget: 1 (password) + 2 (codes) per round.
    const statuses: number[] = [];
    for (let round = 0; round < 3; round++) {
      const login = await t.postJson("/v1/users/login", { email, password: PASSWORD });
      statuses.push(login.status);
      if (login.status !== 403) break;
      const { mfa_token } = (await login.json()) as MfaRequired;
      for (let guess = 0; guess < 2; guess++) {
        const wrong = await t.postJson("/v1/users/login/mfa", {
          mfa_token,
          code: totpCode(secret, clock.now(), 9),
        });
        statuses.push(wrong.status);
      }
    }
    expect(statuses.slice(0, 6)).toEqual([403, 401, 401, 403, 401, 401]);
    const limited = await t.postJson("/v1/users/login", { email, password: PASSWORD });
    await expectProblem(limited, 429);
    expect(Number(limited.headers.get("retry-after"))).toBeGreaterThan(0);
  });
});
