import { testDatabaseKinds, uniqueEmail } from "@app/core/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { expectProblem } from "../../../../test/support/problem.js";
import { createTestApp, type TestApp, type TokenBody } from "../../../../test/support/test-app.js";
import { createClientAddressResolver } from "../../../client-address.js";

const PASSWORD = "correct horse battery";
const FIREFOX = "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0";

interface EventBody {
  id: string;
  type: string;
  created_at: string;
  ip: string | null;
  user_agent: string | null;
  details: Record<string, unknown>;
  user_id?: string | null;
  actor_type?: string;
  actor_id?: string | null;
}
interface EventPage {
  items: EventBody[];
  next_cursor: string | null;
}

describe.each(testDatabaseKinds)("security log API on %s", (kind) => {
  let t: TestApp;
  let adminToken: string;
  let adminId: string;
  beforeAll(async () => {
    t = await createTestApp(kind, {}, { sessions: { reuseGraceSeconds: 0 } });
    const rootEmail = uniqueEmail("root");
    adminId = (await t.deps.users.ensureSuperuser({ email: rootEmail, password: PASSWORD })).user.id;
    adminToken = await t.login(rootEmail);
  });
  afterAll(async () => {
    await t.dispose();
  });

  const send = (method: string, path: string, token?: string, body?: unknown) =>
    t.request(path, {
      method,
      headers: {
        ...(token ? { authorization: `Bearer ${token}` } : {}),
        ...(body === undefined ? {} : { "content-type": "application/json" }),
        "user-agent": FIREFOX,
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
  const login = async (email: string, password = PASSWORD) =>
    send("POST", "/v1/users/login", undefined, { email, password });
  async function page(path: string, token: string): Promise<EventPage> {
    const response = await send("GET", path, token);
    expect(response.status).toBe(200);
    return (await response.json()) as EventPage;
  }

  it("records what happens to an account, newest first, with user agent and no secret", async () => {
    const email = uniqueEmail("log");
    const user = await t.register(email, PASSWORD);
    expect((await login(email, "wrong password")).status).toBe(401);
    const first = (await (await login(email)).json()) as TokenBody;
    const second = (await (await login(email)).json()) as TokenBody;
    // refresh-token reuse: the spent token comes back
    const rotated = await t.postJson("/v1/users/token/refresh", { refresh_token: first.refresh_token });
    expect(rotated.status).toBe(200);
    await expectProblem(
      await t.postJson("/v1/users/token/refresh", { refresh_token: first.refresh_token }),
      401,
    );
    const changed = await send("POST", "/v1/users/me/password", second.access_token, {
      current_password: PASSWORD,
      new_password: "another horse battery",
    });
    expect(changed.status).toBe(204);
    const fresh = (await (await login(email, "another horse battery")).json()) as TokenBody;
    expect((await send("POST", "/v1/users/logout-all", fresh.access_token)).status).toBe(204);
    const last = (await (await login(email, "another horse battery")).json()) as TokenBody;

    const events = await page("/v1/users/me/events?limit=100", last.access_token);
    expect(events.items.map((event) => event.type)).toEqual([
      "login.succeeded",
      "sessions.revoked_all",
      "login.succeeded",
      "password.changed",
      "refresh.reuse_detected",
      "login.succeeded",
      "login.succeeded",
      "login.failed",
      "user.registered",
    ]);
    expect(events.next_cursor).toBeNull();
    const [newest] = events.items;
    expect(Object.keys(newest ?? {}).sort()).toEqual([
      "created_at",
      "details",
      "id",
      "ip",
      "type",
      "user_agent",
    ]);
    expect(newest).toMatchObject({ user_agent: FIREFOX, details: { device: "Firefox on Linux" } });
    expect(events.items.find((e) => e.type === "login.failed")?.details).toEqual({
      reason: "wrong_password",
    });
    const text = JSON.stringify(events);
    for (const secret of [PASSWORD, "another horse battery", first.refresh_token, first.access_token])
      expect(text).not.toContain(secret);
    // the admin view of the same user adds the subject and the actor
    const admin = await page(`/v1/audit-events?user_id=${user.id}&type=login.failed`, adminToken);
    expect(admin.items).toHaveLength(1);
    expect(admin.items[0]).toMatchObject({ user_id: user.id, actor_type: "system", type: "login.failed" });
  });

  it("ending a session and a superuser's changes are logged with their actor", async () => {
    const email = uniqueEmail("admin-target");
    const user = await t.register(email, PASSWORD);
    const a = (await (await login(email)).json()) as TokenBody;
    const b = (await (await login(email)).json()) as TokenBody;
    const sessions = (await (await send("GET", "/v1/users/me/sessions", a.access_token)).json()) as {
      items: { id: string; current: boolean }[];
    };
    const other = sessions.items.find((s) => !s.current);
    expect((await send("DELETE", `/v1/users/me/sessions/${other?.id}`, a.access_token)).status).toBe(204);
    await expectProblem(await t.me(b.access_token), 401);
    expect(
      (await send("PATCH", `/v1/users/${user.id}`, adminToken, { full_name: "Renamed", is_superuser: false }))
        .status,
    ).toBe(200);
    expect((await send("DELETE", `/v1/users/${user.id}`, adminToken)).status).toBe(204);

    const log = await page(`/v1/audit-events?user_id=${user.id}&limit=100`, adminToken);
    expect(log.items.map((e) => [e.type, e.actor_type, e.actor_id])).toEqual([
      ["user.deleted", "superuser", adminId],
      ["user.updated_by_admin", "superuser", adminId],
      ["session.revoked", "user", user.id],
      ["login.succeeded", "user", user.id],
      ["login.succeeded", "user", user.id],
      ["user.registered", "user", user.id],
    ]);
    expect(log.items[1]?.details).toEqual({ fields: ["full_name", "is_superuser"] });
    expect(log.items[2]?.details).toEqual({ session_id: other?.id, reason: "ended" });
  });

  it("pages with an opaque cursor and filters by type and time", async () => {
    const email = uniqueEmail("pages");
    await t.register(email, PASSWORD);
    for (let i = 0; i < 5; i++) expect((await login(email, "wrong password")).status).toBe(401);
    const token = (await (await login(email)).json()) as TokenBody;
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const query: string = cursor ? `&cursor=${encodeURIComponent(cursor)}` : "";
      const next: EventPage = await page(`/v1/users/me/events?limit=2${query}`, token.access_token);
      expect(next.items.length).toBeLessThanOrEqual(2);
      seen.push(...next.items.map((e) => e.type));
      cursor = next.next_cursor;
    } while (cursor);
    expect(seen).toEqual(["login.succeeded", ...Array(5).fill("login.failed"), "user.registered"]);

    const future = new Date(Date.now() + 3600_000).toISOString();
    expect((await page(`/v1/audit-events?since=${encodeURIComponent(future)}`, adminToken)).items).toEqual(
      [],
    );
    const all = await page(
      `/v1/audit-events?type=user.registered&until=${encodeURIComponent(future)}&limit=100`,
      adminToken,
    );
    expect(all.items.length).toBeGreaterThanOrEqual(3);
    expect(new Set(all.items.map((e) => e.type))).toEqual(new Set(["user.registered"]));
  });

  it("bad queries → 422, a plain user → 403, no token → 401", async () => {
    const email = uniqueEmail("plain");
    await t.register(email, PASSWORD);
    const token = (await (await login(email)).json()) as TokenBody;
    await expectProblem(await send("GET", "/v1/users/me/events?cursor=garbage", token.access_token), 422);
    await expectProblem(await send("GET", "/v1/users/me/events?limit=0", token.access_token), 422);
    await expectProblem(await send("GET", "/v1/audit-events?user_id=nope", adminToken), 422);
    await expectProblem(await send("GET", "/v1/audit-events?since=yesterday", adminToken), 422);
    await expectProblem(await send("GET", "/v1/audit-events", token.access_token), 403);
    await expectProblem(await send("GET", "/v1/audit-events"), 401);
    await expectProblem(await send("GET", "/v1/users/me/events"), 401);
  });

  it("/metrics counts events by type", async () => {
    const metrics = await (await t.request("/metrics")).text();
    expect(metrics).toMatch(/audit_events_total\{[^}]*type="login\.succeeded"[^}]*\} [1-9]/);
    expect(metrics).toMatch(/audit_events_total\{[^}]*type="login\.failed"[^}]*\} [1-9]/);
  });
});

describe.each(testDatabaseKinds)("client addresses in sessions and the log on %s", (kind) => {
  it.each([true, false])("AUDIT_STORE_IP=%s", async (storeIp) => {
    const t = await createTestApp(kind, {
      clientAddress: createClientAddressResolver({ trustProxyHops: 1 }),
      audit: { storeIp },
    });
    try {
      const email = uniqueEmail("address");
      await t.register(email, PASSWORD);
      const login = await t.postJson(
        "/v1/users/login",
        { email, password: PASSWORD },
        { "x-forwarded-for": "203.0.113.7", "user-agent": FIREFOX },
      );
      const { access_token } = (await login.json()) as TokenBody;
      const auth = { authorization: `Bearer ${access_token}` };
      const sessions = (await (await t.request("/v1/users/me/sessions", { headers: auth })).json()) as {
        items: { ip: string | null; user_agent: string | null }[];
      };
      const events = (await (await t.request("/v1/users/me/events", { headers: auth })).json()) as EventPage;
      const expected = storeIp ? "203.0.113.7" : null;
      expect(sessions.items.map((s) => [s.ip, s.user_agent])).toEqual([[expected, FIREFOX]]);
      expect(events.items[0]).toMatchObject({ type: "login.succeeded", ip: expected, user_agent: FIREFOX });
    } finally {
      await t.dispose();
    }
  });
});
