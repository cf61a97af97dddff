import { auditEvents, outbox } from "@app/core";
import { testDatabaseKinds, uniqueEmail } from "@app/core/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createClientAddressResolver } from "../src/client-address.js";
import { expectProblem } from "./support/problem.js";
import { SoftwareAuthenticator } from "./support/software-authenticator.js";
import { createTestApp, TEST_WEBAUTHN, type TestApp, type TokenBody } from "./support/test-app.js";
import { manualClock, totpCode } from "./support/totp.js";

const PASSWORD = "correct horse battery";
const ORIGIN = TEST_WEBAUTHN.origins[0] as string;
const FIREFOX = "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0";
const SAFARI_IPHONE =
  "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1";
const ADDRESS = "203.0.113.7";

interface EventBody {
  type: string;
  ip: string | null;
  user_agent: string | null;
  details: Record<string, unknown>;
}

describe.each(testDatabaseKinds)("second-factor changes in the security log on %s", (kind) => {
  let t: TestApp;
  const clock = manualClock();
  beforeAll(async () => {
    t = await createTestApp(
      kind,
      { clientAddress: createClientAddressResolver({ trustProxyHops: 1 }) },
      { mfaNow: clock.now },
    );
  });
  afterAll(async () => {
    await t.dispose();
  });

  const headers = (token?: string, userAgent = FIREFOX) => ({
    ...(token ? { authorization: `Bearer ${token}` } : {}),
    "user-agent": userAgent,
    "x-forwarded-for": ADDRESS,
  });
  const post = (path: string, body: unknown, token?: string, userAgent?: string) =>
    t.postJson(path, body, headers(token, userAgent));
  const remove = (path: string, token: string) =>
    t.request(path, { method: "DELETE", headers: headers(token) });

  /** Every event of the user straight from the table, oldest first, with who did it. */
  async function eventsOf(userId: string) {
    const rows = (await t.database.db.select().from(auditEvents)).filter((row) => row.userId === userId);
    return rows.sort((a, b) => (a.id < b.id ? -1 : 1));
  }
  const typesOf = async (userId: string) => (await eventsOf(userId)).map((row) => row.type);
  const mfaOffMails = async (email: string) =>
    (await t.database.db.select().from(outbox)).filter(
      (row) => row.recipient === email && row.kind === "mfa_disabled",
    );
  const inMemoryNotices = async (email: string) => {
    await t.deps.mail.idle();
    return t.logs.lines
      .filter((line) => line.includes('"mail":"second_factor_changed"') && line.includes(email))
      .map((line) => (JSON.parse(line) as { subject: string }).subject);
  };

  async function signedIn(prefix: string) {
    const email = uniqueEmail(prefix);
    const { id } = await t.register(email, PASSWORD);
    return { id, email, token: await t.login(email) };
  }

  async function userWithTotp() {
    const user = await signedIn("mfa-log");
    const setup = await post("/v1/users/me/mfa/totp/setup", { current_password: PASSWORD }, user.token);
    const { secret } = (await setup.json()) as { secret: string };
    const confirm = await post(
      "/v1/users/me/mfa/totp/confirm",
      { code: totpCode(secret, clock.now()) },
      user.token,
    );
    expect(confirm.status).toBe(200);
    clock.advanceSteps(1);
    return { ...user, secret };
  }

  async function mfaToken(email: string, userAgent?: string): Promise<string> {
    const response = await post("/v1/users/login", { email, password: PASSWORD }, undefined, userAgent);
    expect(response.status).toBe(403);
    return ((await response.json()) as { mfa_token: string }).mfa_token;
  }

  it("enabling TOTP writes exactly one mfa.enabled, with the request's address and no secret", async () => {
    const { id, secret } = await userWithTotp();
    const enabled = (await eventsOf(id)).filter((row) => row.type === "mfa.enabled");
    expect(enabled).toHaveLength(1);
    expect(enabled[0]).toMatchObject({
      actorType: "user",
      actorId: id,
      ip: ADDRESS,
      userAgent: FIREFOX,
      details: { factor: "totp" },
    });
    expect(JSON.stringify(enabled[0]?.details)).not.toContain(secret);
  });

  it("turning TOTP off writes mfa.disabled and queues one durable mail, not a second in-memory one", async () => {
    const { id, email, token } = await userWithTotp();
    const disabled = await post("/v1/users/me/mfa/totp/disable", { current_password: PASSWORD }, token);
    expect(disabled.status).toBe(204);
    const events = (await eventsOf(id)).filter((row) => row.type === "mfa.disabled");
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ actorType: "user", actorId: id, ip: ADDRESS, userAgent: FIREFOX });
    expect(await mfaOffMails(email)).toHaveLength(1);
    expect(await inMemoryNotices(email)).toEqual(["A sign-in factor was added"]);
  });

  it("a superuser's removal writes mfa.disabled with the superuser as actor, and mails once", async () => {
    const { id, email } = await userWithTotp();
    const rootEmail = uniqueEmail("root");
    const root = await t.deps.users.ensureSuperuser({ email: rootEmail, password: PASSWORD });
    const rootToken = await t.login(rootEmail);
    expect((await remove(`/v1/users/${id}/mfa`, rootToken)).status).toBe(204);
    const events = (await eventsOf(id)).filter((row) => row.type === "mfa.disabled");
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({
      actorType: "superuser",
      actorId: root.user.id,
      details: { reason: "removed_by_superuser" },
    });
    expect(await mfaOffMails(email)).toHaveLength(1);
    expect(await inMemoryNotices(email)).toEqual(["A sign-in factor was added"]);
  });

  it("adding and removing a passkey write passkey.added and passkey.removed (the last one also mfa.disabled)", async () => {
    const { id, email, token } = await signedIn("passkey-log");
    const authenticator = new SoftwareAuthenticator(ORIGIN, TEST_WEBAUTHN.rpId);
    const options = await post("/v1/users/me/passkeys/options", {}, token);
    const response = authenticator.create((await options.json()) as Record<string, unknown>);
    const created = await post("/v1/users/me/passkeys", { response, name: "Laptop" }, token);
    expect(created.status).toBe(201);
    const passkey = (await created.json()) as { id: string };
    expect((await remove(`/v1/users/me/passkeys/${passkey.id}`, token)).status).toBe(204);

    const events = await eventsOf(id);
    const added = events.find((row) => row.type === "passkey.added");
    const removed = events.find((row) => row.type === "passkey.removed");
    expect(added).toMatchObject({
      actorId: id,
      ip: ADDRESS,
      details: { passkey_id: passkey.id, name: "Laptop" },
    });
    expect(removed).toMatchObject({ actorId: id, details: { passkey_id: passkey.id, name: "Laptop" } });
    expect(Object.keys(added?.details ?? {}).sort()).toEqual(["name", "passkey_id"]);
    expect(events.filter((row) => row.type.startsWith("passkey.")).map((row) => row.type)).toEqual([
      "passkey.added",
      "passkey.removed",
    ]);
    expect(events.filter((row) => row.type === "mfa.disabled")).toHaveLength(1);
    expect(await mfaOffMails(email)).toHaveLength(1);
    expect(await inMemoryNotices(email)).toEqual(["A sign-in factor was added"]);
  });

  it("a wrong code at /login/mfa writes mfa.failed, naming the method and not the code", async () => {
    const { id, email, secret } = await userWithTotp();
    const wrongCode = totpCode(secret, clock.now(), 5);
    const answer = await post("/v1/users/login/mfa", { mfa_token: await mfaToken(email), code: wrongCode });
    await expectProblem(answer, 401);
    const failed = (await eventsOf(id)).filter((row) => row.type === "mfa.failed");
    expect(failed).toHaveLength(1);
    expect(failed[0]).toMatchObject({ ip: ADDRESS, userAgent: FIREFOX, details: { method: "totp" } });
    expect(JSON.stringify(failed[0]?.details)).not.toContain(wrongCode);
  });

  it("a failed passkey assertion at /login/mfa writes mfa.failed with the method webauthn", async () => {
    const { id, email, token } = await signedIn("assertion-log");
    const authenticator = new SoftwareAuthenticator(ORIGIN, TEST_WEBAUTHN.rpId);
    const options = await post("/v1/users/me/passkeys/options", {}, token);
    const created = await post(
      "/v1/users/me/passkeys",
      { response: authenticator.create((await options.json()) as Record<string, unknown>) },
      token,
    );
    expect(created.status).toBe(201);
    const ticket = await mfaToken(email);
    const requestOptions = await post("/v1/users/login/mfa/webauthn/options", { mfa_token: ticket });
    const forged = authenticator.get((await requestOptions.json()) as Record<string, unknown>, {
      origin: "https://evil.example",
    });
    await expectProblem(await post("/v1/users/login/mfa", { mfa_token: ticket, webauthn: forged }), 401);
    const failed = (await eventsOf(id)).filter((row) => row.type === "mfa.failed");
    expect(failed.map((row) => row.details)).toEqual([{ method: "webauthn" }]);
  });

  it("a session started by /login/mfa has the request's address and device, like a password login", async () => {
    const { id, email, secret } = await userWithTotp();
    const answer = await post(
      "/v1/users/login/mfa",
      { mfa_token: await mfaToken(email, SAFARI_IPHONE), code: totpCode(secret, clock.now()) },
      undefined,
      SAFARI_IPHONE,
    );
    expect(answer.status).toBe(200);
    const { access_token } = (await answer.json()) as TokenBody;
    const sessions = (await (
      await t.request("/v1/users/me/sessions", { headers: headers(access_token) })
    ).json()) as { items: { ip: string | null; user_agent: string | null; current: boolean }[] };
    expect(sessions.items.find((session) => session.current)).toMatchObject({
      ip: ADDRESS,
      user_agent: SAFARI_IPHONE,
    });
    const events = (await (
      await t.request("/v1/users/me/events", { headers: headers(access_token) })
    ).json()) as { items: EventBody[] };
    expect(events.items[0]).toMatchObject({
      type: "login.succeeded",
      ip: ADDRESS,
      user_agent: SAFARI_IPHONE,
      details: { device: "Safari on iOS", amr: ["pwd", "otp", "mfa"] },
    });
    // A browser the account has not used before is announced, as after a password login.
    const newDevice = (await t.database.db.select().from(outbox)).filter(
      (row) => row.recipient === email && row.kind === "new_sign_in",
    );
    expect(newDevice).toHaveLength(1);
    expect(await typesOf(id)).toContain("login.succeeded");
  });

  it("a passwordless passkey sign-in starts a session with the request's address and user agent", async () => {
    const { email, token } = await signedIn("passwordless-log");
    const authenticator = new SoftwareAuthenticator(ORIGIN, TEST_WEBAUTHN.rpId);
    const options = await post("/v1/users/me/passkeys/options", {}, token);
    const created = await post(
      "/v1/users/me/passkeys",
      { response: authenticator.create((await options.json()) as Record<string, unknown>) },
      token,
    );
    expect(created.status).toBe(201);
    const loginOptions = await post("/v1/users/passkeys/login/options", {});
    const assertion = authenticator.get((await loginOptions.json()) as Record<string, unknown>);
    const answer = await post("/v1/users/passkeys/login", { response: assertion }, undefined, SAFARI_IPHONE);
    expect(answer.status).toBe(200);
    const { access_token } = (await answer.json()) as TokenBody;
    const sessions = (await (
      await t.request("/v1/users/me/sessions", { headers: headers(access_token) })
    ).json()) as { items: { ip: string | null; user_agent: string | null; current: boolean }[] };
    expect(sessions.items.find((session) => session.current)).toMatchObject({
      ip: ADDRESS,
      user_agent: SAFARI_IPHONE,
    });
    const events = (await (
      await t.request("/v1/users/me/events", { headers: headers(access_token) })
    ).json()) as { items: EventBody[] };
    expect(events.items[0]).toMatchObject({
      type: "login.succeeded",
      ip: ADDRESS,
      details: { device: "Safari on iOS", amr: ["hwk"] },
    });
    const newDevice = (await t.database.db.select().from(outbox)).filter(
      (row) => row.recipient === email && row.kind === "new_sign_in",
    );
    expect(newDevice).toHaveLength(1);
  });
});
