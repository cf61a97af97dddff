import { testDatabaseKinds, uniqueEmail } from "@app/core/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestApp, expectProblem, type TestApp } from "#test-support";

const PASSWORD = "correct horse battery";
const MISSING_ID = "0190a5f0-0000-7000-8000-000000000000";

describe.each(testDatabaseKinds)("admin users API on %s", (kind) => {
  let t: TestApp;
  let adminToken: string;
  let adminId: string;
  let userToken: string;
  beforeAll(async () => {
    t = await createTestApp(kind);
    const rootEmail = uniqueEmail("root");
    adminId = (await t.deps.users.ensureSuperuser({ email: rootEmail, password: PASSWORD })).user.id;
    adminToken = await t.login(rootEmail);
    const plainEmail = uniqueEmail("plain");
    await t.register(plainEmail);
    userToken = await t.login(plainEmail);
  });
  afterAll(async () => {
    await t.dispose();
  });

  const send = (method: string, path: string, token: string | undefined, body?: unknown) =>
    t.request(path, {
      method,
      headers: {
        ...(token ? { authorization: `Bearer ${token}` } : {}),
        ...(body === undefined ? {} : { "content-type": "application/json" }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });

  describe("access", () => {
    const routes = [
      ["GET", "/v1/users"],
      ["GET", "/v1/users/"],
      ["GET", `/v1/users/${MISSING_ID}`],
      ["PATCH", `/v1/users/${MISSING_ID}`],
      ["DELETE", `/v1/users/${MISSING_ID}`],
      ["GET", "/v1/users/not-a-uuid"],
    ] as const;

    it.each(routes)("%s %s: 401 with no token, 403 for a signed-in non-superuser", async (method, path) => {
      const body = method === "PATCH" ? { full_name: "x" } : undefined;
      const anonymous = await send(method, path, undefined, body);
      await expectProblem(anonymous, 401);
      expect(anonymous.headers.get("www-authenticate")).toMatch(/^Bearer/);
      const forbidden = await expectProblem(await send(method, path, userToken, body), 403);
      expect(forbidden.detail).toMatch(/superuser/i);
    });
  });

  describe("GET /v1/users", () => {
    it("pages users in creation order with the total, default limit 20", async () => {
      for (let i = 0; i < 3; i++) await t.register(uniqueEmail("listed"));
      const first = await send("GET", "/v1/users", adminToken);
      expect(first.status).toBe(200);
      const page = (await first.json()) as {
        items: { id: string; created_at: string }[];
        total: number;
        limit: number;
        offset: number;
      };
      expect(page).toMatchObject({ limit: 20, offset: 0, total: 5 });
      expect(page.items).toHaveLength(5);
      expect(page.items[0]?.id).toBe(adminId);
      const ids = page.items.map((u) => u.id);
      expect([...ids].sort()).toEqual(ids);
      expect(JSON.stringify(page)).not.toMatch(/password|\$2[aby]\$/);

      const second = (await (
        await send("GET", "/v1/users?limit=2&offset=2", adminToken)
      ).json()) as typeof page;
      expect(second).toMatchObject({ limit: 2, offset: 2, total: 5 });
      expect(second.items.map((u) => u.id)).toEqual(ids.slice(2, 4));
      const past = (await (
        await send("GET", "/v1/users?limit=100&offset=99", adminToken)
      ).json()) as typeof page;
      expect(past).toMatchObject({ items: [], total: 5, limit: 100, offset: 99 });
    });

    it.each(["limit=0", "limit=101", "offset=-1", "limit=abc", "limit=1.5", "offset=x"])(
      "422 for %s",
      async (query) => {
        const body = await expectProblem(await send("GET", `/v1/users?${query}`, adminToken), 422);
        expect(body.errors?.[0]?.path).toBe(query.split("=")[0]);
      },
    );

    it("accepts the bounds limit=1 and limit=100", async () => {
      expect((await send("GET", "/v1/users?limit=1", adminToken)).status).toBe(200);
      expect((await send("GET", "/v1/users?limit=100&offset=0", adminToken)).status).toBe(200);
    });
  });

  describe("GET /v1/users/{id}", () => {
    it("200 the user, 404 unknown, 422 not a uuid; /me is still the caller", async () => {
      const target = await t.register(uniqueEmail("target"));
      const found = await send("GET", `/v1/users/${target.id}`, adminToken);
      expect(found.status).toBe(200);
      expect(await found.json()).toMatchObject({ id: target.id, email: target.email });
      await expectProblem(await send("GET", `/v1/users/${MISSING_ID}`, adminToken), 404);
      const invalid = await expectProblem(await send("GET", "/v1/users/not-a-uuid", adminToken), 422);
      expect(invalid.errors?.[0]?.path).toBe("id");
      expect(await (await send("GET", "/v1/users/me", adminToken)).json()).toMatchObject({ id: adminId });
    });
  });

  it("logs the route that answered: /me for /me, /:id for an id", async () => {
    const routeOf = async (path: string, requestId: string) => {
      await t.request(path, {
        headers: { authorization: `Bearer ${adminToken}`, "x-request-id": requestId },
      });
      const line = t.logs.lines
        .map((l) => JSON.parse(l) as Record<string, unknown>)
        .find((l) => l.requestId === requestId);
      return line?.route;
    };
    expect(await routeOf("/v1/users/me", "route-me")).toBe("/v1/users/me");
    expect(await routeOf(`/v1/users/${adminId}`, "route-id")).toBe("/v1/users/:id");
  });

  describe("PATCH /v1/users/{id}", () => {
    it("changes email, name and flags; deactivation refuses the user's token and login", async () => {
      const email = uniqueEmail("managed");
      const target = await t.register(email);
      const token = await t.login(email);
      const newEmail = uniqueEmail("managed-new");
      const response = await send("PATCH", `/v1/users/${target.id}`, adminToken, {
        email: newEmail.toUpperCase(),
        full_name: "Managed",
        is_active: false,
        id: MISSING_ID,
      });
      expect(response.status).toBe(200);
      expect(await response.json()).toMatchObject({
        id: target.id,
        email: newEmail,
        full_name: "Managed",
        is_active: false,
      });
      await expectProblem(await t.me(token), 401);
      await expectProblem(await t.postJson("/v1/users/login", { email: newEmail, password: PASSWORD }), 401);

      await send("PATCH", `/v1/users/${target.id}`, adminToken, { is_active: true });
      expect((await t.me(await t.login(newEmail))).status).toBe(200);
    });

    it("a new password refuses the user's earlier tokens and works at once", async () => {
      const email = uniqueEmail("reset");
      const target = await t.register(email);
      const token = await t.login(email);
      const response = await send("PATCH", `/v1/users/${target.id}`, adminToken, {
        password: "reset by admin",
      });
      expect(response.status).toBe(200);
      await expectProblem(await t.me(token), 401);
      expect((await t.me(await t.login(email, "reset by admin"))).status).toBe(200);
    });

    it("promotes a user to superuser, who can then use the admin API", async () => {
      const email = uniqueEmail("promoted");
      const target = await t.register(email);
      const token = await t.login(email);
      await expectProblem(await send("GET", "/v1/users", token), 403);
      const response = await send("PATCH", `/v1/users/${target.id}`, adminToken, { is_superuser: true });
      expect(await response.json()).toMatchObject({ is_superuser: true });
      expect((await send("GET", "/v1/users", token)).status).toBe(200);
      await send("PATCH", `/v1/users/${target.id}`, adminToken, { is_superuser: false });
      await expectProblem(await send("GET", "/v1/users", token), 403);
    });

    it("409 taken email, 404 unknown id, 422 non-uuid id or bad fields, 400 malformed JSON, {} changes nothing", async () => {
      const taken = uniqueEmail("taken");
      await t.register(taken);
      const target = await t.register(uniqueEmail("victim"));
      await expectProblem(await send("PATCH", `/v1/users/${target.id}`, adminToken, { email: taken }), 409);
      await expectProblem(
        await send("PATCH", `/v1/users/${MISSING_ID}`, adminToken, { full_name: "x" }),
        404,
      );
      await expectProblem(await send("PATCH", "/v1/users/123", adminToken, { full_name: "x" }), 422);
      await expectProblem(
        await send("PATCH", `/v1/users/${target.id}`, adminToken, { is_active: "no" }),
        422,
      );
      await expectProblem(
        await send("PATCH", `/v1/users/${target.id}`, adminToken, { password: "short" }),
        422,
      );
      await expectProblem(
        await t.request(`/v1/users/${target.id}`, {
          method: "PATCH",
          headers: { authorization: `Bearer ${adminToken}`, "content-type": "application/json" },
          body: "{",
        }),
        400,
      );
      await expectProblem(
        await t.request(`/v1/users/${target.id}`, {
          method: "PATCH",
          headers: { authorization: `Bearer ${adminToken}`, "content-type": "text/plain" },
          body: "x",
        }),
        415,
      );
      const before = await (await send("GET", `/v1/users/${target.id}`, adminToken)).json();
      const same = await send("PATCH", `/v1/users/${target.id}`, adminToken, {});
      expect(same.status).toBe(200);
      expect(await same.json()).toEqual(before);
    });
  });

  describe("DELETE /v1/users/{id}", () => {
    it("204; the user's token stops working, 404 the second time, the email can register again", async () => {
      const email = uniqueEmail("doomed");
      const target = await t.register(email);
      const token = await t.login(email);
      expect((await send("DELETE", `/v1/users/${target.id}`, adminToken)).status).toBe(204);
      await expectProblem(await t.me(token), 401);
      await expectProblem(await send("DELETE", `/v1/users/${target.id}`, adminToken), 404);
      await expectProblem(await send("DELETE", "/v1/users/zzz", adminToken), 422);
      await expect(t.register(email)).resolves.toMatchObject({ email });
    });
  });

  describe("the last superuser", () => {
    it("409 with a clear detail when the only superuser demotes, deactivates or deletes itself", async () => {
      for (const [method, body] of [
        ["PATCH", { is_superuser: false }],
        ["PATCH", { is_active: false }],
        ["DELETE", undefined],
      ] as const) {
        const problem = await expectProblem(
          await send(method, `/v1/users/${adminId}`, adminToken, body),
          409,
        );
        expect(problem.detail).toMatch(/last active superuser/i);
      }
      expect((await send("GET", "/v1/users", adminToken)).status).toBe(200);
    });

    it("a superuser may step down once another one exists", async () => {
      const email = uniqueEmail("second-root");
      const second = await t.register(email);
      await send("PATCH", `/v1/users/${second.id}`, adminToken, { is_superuser: true });
      const secondToken = await t.login(email);
      const response = await send("PATCH", `/v1/users/${second.id}`, secondToken, { is_superuser: false });
      expect(response.status).toBe(200);
      expect(await response.json()).toMatchObject({ is_superuser: false });
      await expectProblem(await send("GET", "/v1/users", secondToken), 403);
    });
  });
});
