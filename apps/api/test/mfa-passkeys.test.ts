import { outbox } from "@app/core";
import { testDatabaseKinds, uniqueEmail } from "@app/core/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { expectProblem } from "./support/problem.js";
import { SoftwareAuthenticator } from "./support/software-authenticator.js";
import { createTestApp, TEST_WEBAUTHN, type TestApp, type TokenBody } from "./support/test-app.js";
import { jwtClaims } from "./support/totp.js";

const PASSWORD = "correct horse battery";
const ORIGIN = TEST_WEBAUTHN.origins[0] as string;
const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

describe.each(testDatabaseKinds)("passkeys over HTTP on %s", (kind) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp(kind);
  });
  afterAll(async () => {
    await t.dispose();
  });

  const post = (path: string, body: unknown, token?: string) =>
    t.postJson(path, body, token ? bearer(token) : {});
  const json = async (response: Response) => (await response.json()) as Record<string, unknown>;

  async function signedIn() {
    const email = uniqueEmail("passkey");
    const { id } = await t.register(email, PASSWORD);
    return { id, email, token: await t.login(email) };
  }

  async function registrationOptions(token: string) {
    const response = await post("/v1/users/me/passkeys/options", {}, token);
    expect(response.status).toBe(200);
    return json(response);
  }

  /** A signed-in user with one passkey on a fresh software authenticator. */
  async function userWithPasskey(name?: string) {
    const user = await signedIn();
    const authenticator = new SoftwareAuthenticator(ORIGIN, TEST_WEBAUTHN.rpId);
    const response = authenticator.create(await registrationOptions(user.token));
    const created = await post("/v1/users/me/passkeys", { response, ...(name ? { name } : {}) }, user.token);
    expect(created.status, await created.clone().text()).toBe(201);
    const passkey = (await created.json()) as { id: string; name: string };
    return { ...user, authenticator, passkey };
  }

  async function passwordlessOptions() {
    const response = await post("/v1/users/passkeys/login/options", {});
    expect(response.status).toBe(200);
    return json(response);
  }

  it("registers a passkey: 201 with the resource, listed, renamed, and mfa_enabled", async () => {
    const { token, passkey } = await userWithPasskey("Laptop");
    expect(passkey).toEqual({
      id: expect.any(String),
      name: "Laptop",
      created_at: expect.any(String),
      last_used_at: null,
    });
    expect(await json(await t.me(token))).toMatchObject({ mfa_enabled: true });
    const list = await t.request("/v1/users/me/passkeys", { headers: bearer(token) });
    expect(await list.json()).toEqual([passkey]);
    const renamed = await t.request(`/v1/users/me/passkeys/${passkey.id}`, {
      method: "PATCH",
      headers: { ...bearer(token), "content-type": "application/json" },
      body: JSON.stringify({ name: "Work laptop" }),
    });
    expect(await renamed.json()).toMatchObject({ id: passkey.id, name: "Work laptop" });
    const status = await t.request("/v1/users/me/mfa", { headers: bearer(token) });
    expect(await status.json()).toMatchObject({
      totp: { enabled: false },
      recovery_codes_remaining: 0,
      passkeys: [{ id: passkey.id, name: "Work laptop" }],
    });
  });

  it("creation options ask for a discoverable credential of this RP and exclude the user's passkeys", async () => {
    const { token } = await userWithPasskey();
    const options = await registrationOptions(token);
    expect(options.rp).toEqual({ id: TEST_WEBAUTHN.rpId, name: TEST_WEBAUTHN.rpName });
    expect(options.authenticatorSelection).toMatchObject({ residentKey: "required" });
    expect(options.excludeCredentials).toHaveLength(1);
  });

  it("refuses a registration from a wrong origin, for a wrong RP ID, or replayed", async () => {
    const { token } = await signedIn();
    const authenticator = new SoftwareAuthenticator(ORIGIN, TEST_WEBAUTHN.rpId);
    const wrongOrigin = authenticator.create(await registrationOptions(token), {
      origin: "https://evil.test",
    });
    const a = await expectProblem(await post("/v1/users/me/passkeys", { response: wrongOrigin }, token), 422);
    expect(a.type).toBe("/problems/passkey-registration-failed");
    const wrongRp = authenticator.create(await registrationOptions(token), { rpId: "evil.test" });
    await expectProblem(await post("/v1/users/me/passkeys", { response: wrongRp }, token), 422);

    const good = authenticator.create(await registrationOptions(token));
    expect((await post("/v1/users/me/passkeys", { response: good }, token)).status).toBe(201);
    const replay = await post("/v1/users/me/passkeys", { response: good }, token);
    expect((await expectProblem(replay, 422)).type).toBe("/problems/passkey-registration-failed");
    // A challenge issued to someone else is not this user's either.
    const other = await signedIn();
    const stolen = authenticator.create(await registrationOptions(other.token));
    await expectProblem(await post("/v1/users/me/passkeys", { response: stolen }, token), 422);
  });

  it("is a second factor after the password: amr pwd, hwk, mfa; a replayed assertion is refused", async () => {
    const { email, authenticator } = await userWithPasskey();
    const login = await post("/v1/users/login", { email, password: PASSWORD });
    const required = (await expectProblem(login, 403)) as unknown as { mfa_token: string; methods: string[] };
    expect(required.methods).toEqual(["webauthn"]);
    const options = await json(
      await post("/v1/users/login/mfa/webauthn/options", { mfa_token: required.mfa_token }),
    );
    expect(options.allowCredentials).toHaveLength(1);
    const assertion = authenticator.get(options);
    const done = await post("/v1/users/login/mfa", { mfa_token: required.mfa_token, webauthn: assertion });
    expect(done.status, await done.clone().text()).toBe(200);
    expect(jwtClaims(((await done.json()) as TokenBody).access_token).amr).toEqual(["pwd", "hwk", "mfa"]);

    const again = (await json(await post("/v1/users/login", { email, password: PASSWORD }))) as {
      mfa_token: string;
    };
    const replay = await post("/v1/users/login/mfa", { mfa_token: again.mfa_token, webauthn: assertion });
    expect((await expectProblem(replay, 401)).type).toBe("/problems/invalid-mfa-code");
  });

  it("refuses a second-factor assertion from another user's passkey", async () => {
    const victim = await userWithPasskey();
    const attacker = await userWithPasskey();
    const login = (await json(
      await post("/v1/users/login", { email: victim.email, password: PASSWORD }),
    )) as {
      mfa_token: string;
    };
    const options = await json(
      await post("/v1/users/login/mfa/webauthn/options", { mfa_token: login.mfa_token }),
    );
    const assertion = attacker.authenticator.get({ ...options, allowCredentials: [] });
    const refused = await post("/v1/users/login/mfa", { mfa_token: login.mfa_token, webauthn: assertion });
    expect((await expectProblem(refused, 401)).type).toBe("/problems/invalid-mfa-code");
  });

  it("signs in alone (passwordless): amr hwk, and the passkey's last use is recorded", async () => {
    const { id, token, authenticator, passkey } = await userWithPasskey();
    const done = await post("/v1/users/passkeys/login", {
      response: authenticator.get(await passwordlessOptions()),
    });
    expect(done.status, await done.clone().text()).toBe(200);
    const tokens = (await done.json()) as TokenBody;
    expect(jwtClaims(tokens.access_token)).toMatchObject({ sub: id, amr: ["hwk"] });
    expect(await json(await t.me(tokens.access_token))).toMatchObject({ id });
    const list = (await (await t.request("/v1/users/me/passkeys", { headers: bearer(token) })).json()) as {
      id: string;
      last_used_at: string | null;
    }[];
    expect(list).toEqual([expect.objectContaining({ id: passkey.id, last_used_at: expect.any(String) })]);
  });

  it("refuses a passwordless assertion replayed, from a wrong origin, or for a wrong RP ID", async () => {
    const { authenticator } = await userWithPasskey();
    const assertion = authenticator.get(await passwordlessOptions());
    expect((await post("/v1/users/passkeys/login", { response: assertion })).status).toBe(200);
    const replay = await expectProblem(await post("/v1/users/passkeys/login", { response: assertion }), 401);
    expect(replay.type).toBe("/problems/passkey-authentication-failed");

    const wrongOrigin = authenticator.get(await passwordlessOptions(), { origin: "https://evil.test" });
    await expectProblem(await post("/v1/users/passkeys/login", { response: wrongOrigin }), 401);
    const wrongRp = authenticator.get(await passwordlessOptions(), { rpId: "evil.test" });
    await expectProblem(await post("/v1/users/passkeys/login", { response: wrongRp }), 401);
    // The genuine one still works afterwards.
    const good = authenticator.get(await passwordlessOptions());
    expect((await post("/v1/users/passkeys/login", { response: good })).status).toBe(200);
  });

  it("requires user verification alone, but not as a second factor after the password", async () => {
    const { email, authenticator } = await userWithPasskey();
    const presenceOnly = authenticator.get(await passwordlessOptions(), { userVerified: false });
    const refused = await expectProblem(
      await post("/v1/users/passkeys/login", { response: presenceOnly }),
      401,
    );
    expect(refused.type).toBe("/problems/passkey-authentication-failed");

    const login = (await json(await post("/v1/users/login", { email, password: PASSWORD }))) as {
      mfa_token: string;
    };
    const options = await json(
      await post("/v1/users/login/mfa/webauthn/options", { mfa_token: login.mfa_token }),
    );
    const assertion = authenticator.get(options, { userVerified: false });
    expect(
      (await post("/v1/users/login/mfa", { mfa_token: login.mfa_token, webauthn: assertion })).status,
    ).toBe(200);
  });

  it("refuses an assertion whose backup eligibility differs from the registered credential's", async () => {
    const { authenticator } = await userWithPasskey();
    const changed = authenticator.get(await passwordlessOptions(), { backedUp: false });
    const refused = await expectProblem(await post("/v1/users/passkeys/login", { response: changed }), 401);
    expect(refused.type).toBe("/problems/passkey-authentication-failed");
  });

  it("refuses a cloned authenticator: a sign counter that goes back", async () => {
    const { authenticator } = await userWithPasskey();
    const credential = authenticator.credentials[0];
    if (!credential) throw new Error("no credential");
    for (let round = 0; round < 3; round++) {
      const response = authenticator.get(await passwordlessOptions());
      expect((await post("/v1/users/passkeys/login", { response })).status).toBe(200);
    }
    // The clone was copied when the counter stood at 1: its next assertion says 2, the server saw 3.
    authenticator.setCounter(credential, 1);
    const cloned = authenticator.get(await passwordlessOptions());
    const refused = await expectProblem(await post("/v1/users/passkeys/login", { response: cloned }), 401);
    expect(refused.type).toBe("/problems/passkey-authentication-failed");
  });

  it("deletes a passkey (only the user's own); with none left login needs the password only", async () => {
    const { email, token, passkey, authenticator } = await userWithPasskey();
    const other = await signedIn();
    const notYours = await t.request(`/v1/users/me/passkeys/${passkey.id}`, {
      method: "DELETE",
      headers: bearer(other.token),
    });
    expect((await expectProblem(notYours, 404)).type).toBe("/problems/passkey-not-found");
    const deleted = await t.request(`/v1/users/me/passkeys/${passkey.id}`, {
      method: "DELETE",
      headers: bearer(token),
    });
    expect(deleted.status).toBe(204);
    expect(await json(await t.me(token))).toMatchObject({ mfa_enabled: false });
    expect((await post("/v1/users/login", { email, password: PASSWORD })).status).toBe(200);
    const gone = authenticator.get(await passwordlessOptions());
    await expectProblem(await post("/v1/users/passkeys/login", { response: gone }), 401);
    await expectProblem(
      await t.request("/v1/users/me/passkeys/not-a-uuid", { method: "DELETE", headers: bearer(token) }),
      422,
    );
    await t.deps.mail.idle();
    const notices = t.logs.lines
      .filter((line) => line.includes('"mail":"second_factor_changed"') && line.includes(email))
      .map((line) => (JSON.parse(line) as { subject: string }).subject);
    // The last passkey gone turns MFA off: that notice is the durable one in the outbox, not a second mail here.
    expect(notices).toEqual(["A sign-in factor was added"]);
    const offNotices = (await t.database.db.select().from(outbox)).filter(
      (row) => row.recipient === email && row.kind === "mfa_disabled",
    );
    expect(offNotices).toHaveLength(1);
  });

  it("answers malformed responses with 422, never 500", async () => {
    const { token } = await signedIn();
    await expectProblem(await post("/v1/users/me/passkeys", { response: { id: "x" } }, token), 422);
    await expectProblem(await post("/v1/users/passkeys/login", { response: "nope" }), 422);
    const garbage = {
      id: "AAAA",
      rawId: "AAAA",
      type: "public-key",
      response: { clientDataJSON: "AAAA", authenticatorData: "AAAA", signature: "AAAA" },
      clientExtensionResults: {},
    };
    await expectProblem(await post("/v1/users/passkeys/login", { response: garbage }), 401);
    const badAttestation = {
      id: "AAAA",
      rawId: "AAAA",
      type: "public-key",
      response: {
        clientDataJSON: Buffer.from(
          JSON.stringify({ challenge: (await registrationOptions(token)).challenge }),
        ).toString("base64url"),
        attestationObject: "AAAA",
      },
      clientExtensionResults: {},
    };
    await expectProblem(await post("/v1/users/me/passkeys", { response: badAttestation }, token), 422);
  });
});
