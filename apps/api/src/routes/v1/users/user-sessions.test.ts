import { testDatabaseKinds, uniqueEmail } from "@app/core/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { expectProblem } from "../../../../test/support/problem.js";
import { createTestApp, type TestApp, type TokenBody } from "../../../../test/support/test-app.js";

const PASSWORD = "correct horse battery";
const MISSING_ID = "0190a5f0-0000-7000-8000-000000000000";
const FIREFOX_LINUX = "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0";
const SAFARI_IPHONE =
  "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1";

interface SessionBody {
  id: string;
  created_at: string;
  last_used_at: string;
  expires_at: string;
  ip: string | null;
  user_agent: string | null;
  device: string | null;
  current: boolean;
}

describe.each(testDatabaseKinds)("sessions you can see and end, on %s", (kind) => {
  let t: TestApp;
  let adminToken: string;
  beforeAll(async () => {
    t = await createTestApp(kind);
    const rootEmail = uniqueEmail("root");
    await t.deps.users.ensureSuperuser({ email: rootEmail, password: PASSWORD });
    adminToken = await t.login(rootEmail);
  });
  afterAll(async () => {
    await t.dispose();
  });

  const send = (method: string, path: string, token?: string) =>
    t.request(path, { method, headers: token ? { authorization: `Bearer ${token}` } : {} });
  async function loginFrom(email: string, userAgent: string): Promise<TokenBody> {
    const response = await t.postJson(
      "/v1/users/login",
      { email, password: PASSWORD },
      { "user-agent": userAgent },
    );
    expect(response.status).toBe(200);
    return (await response.json()) as TokenBody;
  }
  async function sessionsOf(token: string): Promise<SessionBody[]> {
    const response = await send("GET", "/v1/users/me/sessions", token);
    expect(response.status).toBe(200);
    return ((await response.json()) as { items: SessionBody[] }).items;
  }
  async function userWithTwoSessions() {
    const email = uniqueEmail("sessions");
    const user = await t.register(email, PASSWORD);
    const laptop = await loginFrom(email, FIREFOX_LINUX);
    const phone = await loginFrom(email, SAFARI_IPHONE);
    return { email, user, laptop, phone };
  }

  it("lists each login as a session, newest first, with its device, and marks the current one", async () => {
    const { laptop, phone } = await userWithTwoSessions();
    const items = await sessionsOf(laptop.access_token);
    expect(items).toHaveLength(2);
    expect(items.map((s) => s.device)).toEqual(["Safari on iOS", "Firefox on Linux"]);
    expect(items.map((s) => s.current)).toEqual([false, true]);
    expect(items[1]).toMatchObject({ user_agent: FIREFOX_LINUX, ip: null });
    expect(Date.parse(items[0]?.created_at ?? "")).toBeGreaterThanOrEqual(
      Date.parse(items[1]?.created_at ?? ""),
    );
    expect(Date.parse(items[1]?.expires_at ?? "")).toBeGreaterThan(Date.now() + 29 * 24 * 3600 * 1000);
    expect((await sessionsOf(phone.access_token)).map((s) => s.current)).toEqual([true, false]);
  });

  it("a refresh moves last_used_at and keeps the session id (the access token's sid)", async () => {
    const { laptop } = await userWithTwoSessions();
    const [, before] = await sessionsOf(laptop.access_token);
    await new Promise((resolve) => setTimeout(resolve, 20));
    const refreshed = await t.postJson("/v1/users/token/refresh", { refresh_token: laptop.refresh_token });
    const next = (await refreshed.json()) as TokenBody;
    const after = (await sessionsOf(next.access_token)).find((s) => s.current);
    expect(after?.id).toBe(before?.id);
    expect(Date.parse(after?.last_used_at ?? "")).toBeGreaterThan(Date.parse(before?.last_used_at ?? ""));
  });

  it("DELETE ends a session: its access token → 401 at once, its refresh token → 401, the other lives on", async () => {
    const { laptop, phone } = await userWithTwoSessions();
    const phoneSession = (await sessionsOf(phone.access_token)).find((s) => s.current);
    expect((await t.me(phone.access_token)).status).toBe(200);
    const ended = await send("DELETE", `/v1/users/me/sessions/${phoneSession?.id}`, laptop.access_token);
    expect(ended.status).toBe(204);
    const refused = await expectProblem(await t.me(phone.access_token), 401);
    expect(refused.type).toBe("/problems/invalid-token");
    await expectProblem(
      await t.postJson("/v1/users/token/refresh", { refresh_token: phone.refresh_token }),
      401,
    );
    expect((await t.me(laptop.access_token)).status).toBe(200);
    expect((await sessionsOf(laptop.access_token)).map((s) => s.id)).not.toContain(phoneSession?.id);
    // ending it again: it is no longer one of the user's live sessions
    await expectProblem(
      await send("DELETE", `/v1/users/me/sessions/${phoneSession?.id}`, laptop.access_token),
      404,
    );
  });

  it("ending your own current session signs this token out too", async () => {
    const { laptop } = await userWithTwoSessions();
    const current = (await sessionsOf(laptop.access_token)).find((s) => s.current);
    expect((await send("DELETE", `/v1/users/me/sessions/${current?.id}`, laptop.access_token)).status).toBe(
      204,
    );
    await expectProblem(await t.me(laptop.access_token), 401);
  });

  it("another user's session id → 404 and that session lives on; unknown → 404; not a uuid → 422", async () => {
    const victim = await userWithTwoSessions();
    const other = await userWithTwoSessions();
    const victimSession = (await sessionsOf(victim.laptop.access_token))[0];
    await expectProblem(
      await send("DELETE", `/v1/users/me/sessions/${victimSession?.id}`, other.laptop.access_token),
      404,
    );
    expect((await t.me(victim.phone.access_token)).status).toBe(200);
    await expectProblem(
      await send("DELETE", `/v1/users/me/sessions/${MISSING_ID}`, other.laptop.access_token),
      404,
    );
    await expectProblem(await send("DELETE", "/v1/users/me/sessions/nope", other.laptop.access_token), 422);
    await expectProblem(await send("GET", "/v1/users/me/sessions"), 401);
  });

  it("logout and logout-all end sessions; the list shows only live ones", async () => {
    const { email, laptop, phone } = await userWithTwoSessions();
    expect((await t.postJson("/v1/users/logout", { refresh_token: phone.refresh_token })).status).toBe(204);
    expect((await sessionsOf(laptop.access_token)).map((s) => s.current)).toEqual([true]);
    // logout ends the session, so its access token stops at once as well
    await expectProblem(await t.me(phone.access_token), 401);
    expect((await send("POST", "/v1/users/logout-all", laptop.access_token)).status).toBe(204);
    const again = await loginFrom(email, FIREFOX_LINUX);
    expect((await sessionsOf(again.access_token)).map((s) => s.current)).toEqual([true]);
  });

  it("superusers list and end anyone's sessions; others get 403", async () => {
    const { user, laptop, phone } = await userWithTwoSessions();
    const listed = await send("GET", `/v1/users/${user.id}/sessions`, adminToken);
    expect(listed.status).toBe(200);
    const items = ((await listed.json()) as { items: SessionBody[] }).items;
    expect(items.map((s) => s.current)).toEqual([false, false]);
    const target = items[0]?.id;
    expect((await send("DELETE", `/v1/users/${user.id}/sessions/${target}`, adminToken)).status).toBe(204);
    await expectProblem(await t.me(phone.access_token), 401);
    expect((await t.me(laptop.access_token)).status).toBe(200);
    await expectProblem(await send("GET", `/v1/users/${user.id}/sessions`, laptop.access_token), 403);
    await expectProblem(
      await send("DELETE", `/v1/users/${user.id}/sessions/${items[1]?.id}`, laptop.access_token),
      403,
    );
    await expectProblem(await send("GET", `/v1/users/${MISSING_ID}/sessions`, adminToken), 404);
    await expectProblem(await send("DELETE", `/v1/users/${user.id}/sessions/${MISSING_ID}`, adminToken), 404);
    await expectProblem(
      await send("DELETE", `/v1/users/${MISSING_ID}/sessions/${items[1]?.id}`, adminToken),
      404,
    );
  });
});
