/**
 * api-client.ts in Node against the real server: the typed calls, the problem+json → ApiError
 * translation, and the session rule (a refused token clears the store and calls onSessionExpired). The
 * refresh token lives in the session cookie, kept by a browser-like jar (support/cookie-jar.ts).
 */
import { randomUUID } from "node:crypto";
import { decodeBase32IgnorePadding } from "@oslojs/encoding";
import { generateHOTP } from "@oslojs/otp";
import { describe, expect, inject, it } from "vitest";
import { createApiClient, type TokenStore } from "../src/api-client.js";
import { ApiError } from "../src/api-error.js";
import { createCookieJar } from "./support/cookie-jar.js";
import { registerViaApi, uniqueEmail } from "./support/fixtures.js";

const baseUrl = inject("baseUrl");
const PASSWORD = "correct horse battery";

const REFRESH_PATH = "/v1/users/token/refresh";

function memoryTokens(initial: string | null = null): TokenStore & { value: string | null; hint: boolean } {
  return {
    value: initial,
    hint: initial !== null,
    get() {
      return this.value;
    },
    set(access) {
      this.value = access;
      this.hint = true;
    },
    clear() {
      this.value = null;
      this.hint = false;
    },
    mayHaveSession() {
      return this.value !== null || this.hint;
    },
  };
}

function client(tokens = memoryTokens()) {
  let expired = 0;
  const jar = createCookieJar(baseUrl);
  const api = createApiClient({ baseUrl, tokens, fetch: jar.fetch, onSessionExpired: () => (expired += 1) });
  return {
    api,
    tokens,
    jar,
    refreshCookie: () => jar.valueFor("um_refresh", REFRESH_PATH),
    expiredCount: () => expired,
  };
}

async function failure(promise: Promise<unknown>): Promise<ApiError> {
  const error = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(ApiError);
  return error as ApiError;
}

describe("api-client against the real API", () => {
  it("registers, signs in (keeping the token) and reads the profile", async () => {
    const { api, tokens, jar, refreshCookie } = client();
    const email = uniqueEmail("client");
    const user = await api.register({ email, password: PASSWORD, full_name: "Ada" });
    expect(user).toMatchObject({ email, full_name: "Ada", is_active: true, is_superuser: false });
    expect(api.isSignedIn()).toBe(false);

    await api.signIn({ email, password: PASSWORD });
    expect(tokens.value).toMatch(/^ey/);
    // the refresh token is only in the cookie, one copy for each route that reads it
    expect(refreshCookie()).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(jar.keys()).toEqual(["um_refresh@/v1/users/logout", "um_refresh@/v1/users/token/refresh"]);
    expect(await api.me()).toEqual(user);

    const refreshToken = refreshCookie() ?? "";
    await api.signOut();
    expect(tokens.value).toBeNull();
    // the API's answer cleared the cookie
    expect(jar.keys()).toEqual([]);
    // sign-out revoked the refresh token on the server, not only in the store
    const reuse = await fetch(`${baseUrl}/v1/users/token/refresh`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ refresh_token: refreshToken }),
    });
    expect(reuse.status).toBe(401);
  });

  it("renews a refused access token once with the refresh token and retries the call", async () => {
    const { api, tokens, refreshCookie, expiredCount } = client();
    const email = uniqueEmail("renew");
    const user = await api.register({ email, password: PASSWORD });
    await api.signIn({ email, password: PASSWORD });
    const firstRefresh = refreshCookie();
    tokens.value = "not-a-token";
    // two calls refused together share one renewal
    const [a, b] = await Promise.all([api.me(), api.me()]);
    expect(a).toEqual(user);
    expect(b).toEqual(user);
    expect(tokens.value).toMatch(/^ey/);
    expect(refreshCookie()).not.toBe(firstRefresh);
    expect(expiredCount()).toBe(0);
    // with no access token at all (a new tab, a reload), the cookie still renews the session
    tokens.value = null;
    expect(api.isSignedIn()).toBe(false);
    expect(await api.restoreSession()).toBe(true);
    expect(api.isSignedIn()).toBe(true);
    tokens.value = null;
    expect(await api.me()).toEqual(user);
  });

  it("ends the session when neither token is accepted", async () => {
    const { api, tokens, jar, expiredCount } = client(memoryTokens("not-a-token"));
    jar.set("um_refresh", REFRESH_PATH, "not-a-refresh-token");
    const error = await failure(api.me());
    expect(error).toMatchObject({ status: 401, sessionExpired: true });
    expect(tokens.value).toBeNull();
    // the refused cookie was cleared by the API
    expect(jar.keys()).toEqual([]);
    expect(expiredCount()).toBe(1);
  });

  it("signs out everywhere: every token of the account is refused afterwards", async () => {
    const email = uniqueEmail("everywhere");
    await registerViaApi(baseUrl, { email, password: PASSWORD });
    const laptop = client();
    const phone = client();
    await laptop.api.signIn({ email, password: PASSWORD });
    await phone.api.signIn({ email, password: PASSWORD });
    await laptop.api.signOutEverywhere();
    expect(laptop.tokens.value).toBeNull();
    const error = await failure(phone.api.me());
    expect(error).toMatchObject({ status: 401, sessionExpired: true });
    expect(phone.expiredCount()).toBe(1);
  });

  it("lists sessions, ends another one, and that client's next call ends its session", async () => {
    const email = uniqueEmail("sessions");
    await registerViaApi(baseUrl, { email, password: PASSWORD });
    const laptop = client();
    const phone = client();
    await phone.api.signIn({ email, password: PASSWORD });
    await laptop.api.signIn({ email, password: PASSWORD });
    const sessions = await laptop.api.listMySessions();
    expect(sessions).toHaveLength(2);
    expect(sessions.filter((session) => session.current)).toHaveLength(1);
    // Newest first: the laptop signed in last.
    expect(sessions[0]?.current).toBe(true);
    const phoneSession = sessions[1];
    if (!phoneSession) throw new Error("no second session");

    await laptop.api.revokeMySession(phoneSession.id);
    const error = await failure(phone.api.me());
    expect(error).toMatchObject({ status: 401, sessionExpired: true });
    expect(phone.tokens.value).toBeNull();
    expect(phone.expiredCount()).toBe(1);

    // An unknown session is a 404 that leaves this client signed in.
    const missing = await failure(laptop.api.revokeMySession(randomUUID()));
    expect(missing).toMatchObject({ status: 404, sessionExpired: false });
    expect(laptop.expiredCount()).toBe(0);
    expect(await laptop.api.listMySessions()).toHaveLength(1);
  });

  it("pages the security log with its cursor, newest first, and keeps a member out of the audit log", async () => {
    const email = uniqueEmail("events");
    await registerViaApi(baseUrl, { email, password: PASSWORD });
    const { api, expiredCount } = client();
    await api.signIn({ email, password: PASSWORD });
    await api.signIn({ email, password: PASSWORD });

    const first = await api.listMyEvents({ limit: 2 });
    expect(first.items.map((event) => event.type)).toEqual(["login.succeeded", "login.succeeded"]);
    expect(first.next_cursor).not.toBeNull();
    const second = await api.listMyEvents({ limit: 2, cursor: first.next_cursor ?? undefined });
    expect(second.items.map((event) => event.type)).toEqual(["user.registered"]);
    expect(second.next_cursor).toBeNull();

    // Forbidden is not "signed out": a 403 must not end the session.
    const forbidden = await failure(api.listAuditEvents({ type: "login.succeeded" }, { limit: 10 }));
    expect(forbidden).toMatchObject({ status: 403, sessionExpired: false });
    const otherSessions = await failure(api.listUserSessions(randomUUID()));
    expect(otherSessions).toMatchObject({ status: 403, sessionExpired: false });
    expect(expiredCount()).toBe(0);
  });

  it("turns a 422 problem into field errors", async () => {
    const { api } = client();
    const error = await failure(api.register({ email: "nope", password: "short" }));
    expect(error).toMatchObject({ status: 422, type: "/problems/validation-failed", sessionExpired: false });
    expect(Object.keys(error.fieldErrors).sort()).toEqual(["email", "password"]);
  });

  it("turns a taken email into a 409 with the API's detail", async () => {
    const { api } = client();
    const email = uniqueEmail("dup");
    await registerViaApi(baseUrl, { email, password: PASSWORD });
    const error = await failure(api.register({ email, password: PASSWORD }));
    expect(error).toMatchObject({ status: 409, detail: "A user with this email already exists." });
  });

  it("does not treat a wrong password at sign-in as an expired session", async () => {
    const { api, tokens, expiredCount } = client();
    const email = uniqueEmail("wrong");
    await registerViaApi(baseUrl, { email, password: PASSWORD });
    const error = await failure(api.signIn({ email, password: "wrong password" }));
    expect(error).toMatchObject({
      status: 401,
      detail: "Incorrect email or password.",
      sessionExpired: false,
    });
    expect(tokens.value).toBeNull();
    expect(expiredCount()).toBe(0);
  });

  it("keeps no token until the second factor, reads the challenge, and keeps the session on a wrong code or password", async () => {
    const { api, tokens, expiredCount } = client();
    const email = uniqueEmail("client-mfa");
    await registerViaApi(baseUrl, { email, password: PASSWORD });
    expect(await api.signIn({ email, password: PASSWORD })).toEqual({ kind: "signed-in" });

    // A wrong password on a password-guarded MFA call is a field error, not an expired session.
    expect(await failure(api.setupTotp("wrong password"))).toMatchObject({
      status: 401,
      sessionExpired: false,
    });
    const { secret } = await api.setupTotp(PASSWORD);
    const step = BigInt(Math.floor(Date.now() / 30_000));
    const code = (offset: bigint) => generateHOTP(decodeBase32IgnorePadding(secret), step + offset, 6);
    // A code no step within the server's ±1 window produces.
    const accepted = [code(-1n), code(0n), code(1n), code(2n)];
    const notACode =
      ["000000", "111111", "222222", "333333", "444444"].find((c) => !accepted.includes(c)) ?? "";
    expect(await failure(api.confirmTotp(notACode))).toMatchObject({
      status: 422,
      type: "/problems/invalid-mfa-code",
      sessionExpired: false,
    });
    const recoveryCodes = await api.confirmTotp(code(0n));
    expect(recoveryCodes).toHaveLength(10);
    expect(await api.mfaStatus()).toMatchObject({ totp: { enabled: true }, recovery_codes_remaining: 10 });
    expect(expiredCount()).toBe(0);

    await api.signOut();
    const result = await api.signIn({ email, password: PASSWORD });
    if (result.kind !== "mfa-required") throw new Error(`expected a challenge, got ${result.kind}`);
    expect(result.challenge.methods).toEqual(["totp", "recovery_code"]);
    expect(tokens.value).toBeNull();
    expect(api.isSignedIn()).toBe(false);

    const wrong = await failure(api.completeMfaSignIn(result.challenge.mfaToken, { code: notACode }));
    expect(wrong).toMatchObject({ status: 401, type: "/problems/invalid-mfa-code", sessionExpired: false });
    await api.completeMfaSignIn(result.challenge.mfaToken, { recovery_code: recoveryCodes[0] ?? "" });
    expect(tokens.value).toMatch(/^ey/);
    expect((await api.me()).email).toBe(email);
    expect(expiredCount()).toBe(0);
  });

  it("ends the session when the API refuses the token", async () => {
    const { api, tokens, expiredCount } = client(memoryTokens("not-a-token"));
    const error = await failure(api.me());
    expect(error).toMatchObject({ status: 401, sessionExpired: true });
    expect(tokens.value).toBeNull();
    expect(expiredCount()).toBe(1);
  });

  it("ends the session without a request when there is no token", async () => {
    const { api, expiredCount } = client();
    const error = await failure(api.listUsers({ limit: 10, offset: 0 }));
    expect(error).toMatchObject({ status: 401, sessionExpired: true });
    expect(expiredCount()).toBe(1);
  });

  it("reports an unreachable server as status 0", async () => {
    const api = createApiClient({
      baseUrl: "http://127.0.0.1:9",
      tokens: memoryTokens(),
      onSessionExpired: () => undefined,
    });
    const error = await failure(api.signIn({ email: "a@example.com", password: PASSWORD }));
    expect(error.status).toBe(0);
  });
});
