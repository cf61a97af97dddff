/**
 * `GET /v1/users` narrowed and ordered by an administrator: search by email prefix, the status flags,
 * sort and order. Without parameters it is the list it always was (oldest first, every user).
 */
import { updateUser } from "@app/core";
import { testDatabaseKinds } from "@app/core/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestApp, expectProblem, type TestApp } from "#test-support";
import { totpCode } from "../../../../test/support/totp.js";

const PASSWORD = "correct horse battery";

interface Listed {
  id: string;
  email: string;
  is_active: boolean;
  is_superuser: boolean;
  email_verified: boolean;
  mfa_enabled: boolean;
  created_at: string;
}
interface ListBody {
  items: Listed[];
  total: number;
  limit: number;
  offset: number;
}

describe.each(testDatabaseKinds)("GET /v1/users search, filters and sort on %s", (kind) => {
  let t: TestApp;
  let adminToken: string;
  // A run-specific tag keeps the prefixes apart from anything else in the database.
  const tag = `l${Date.now().toString(36)}`;
  const emails = {
    root: `${tag}-root@example.com`,
    alice: `${tag}-alice@example.com`,
    bob: `${tag}-bob@example.org`,
    carol: `${tag}-carol@example.com`,
    underscore: `${tag}-x_y@example.com`,
  };

  beforeAll(async () => {
    t = await createTestApp(kind);
    await t.deps.users.ensureSuperuser({ email: emails.root, password: PASSWORD });
    adminToken = await t.login(emails.root);
    // Registered with a capitalised address: the search must still find it in lower case.
    const alice = await t.register(emails.alice.replace("alice", "ALICE"));
    const bob = await t.register(emails.bob);
    const carol = await t.register(emails.carol);
    await t.register(emails.underscore);

    await updateUser(t.database.db, alice.id, { emailVerifiedAt: new Date() });
    expect((await send(`/v1/users/${bob.id}`, "PATCH", { is_active: false })).status).toBe(200);
    expect((await send(`/v1/users/${carol.id}`, "PATCH", { is_superuser: true })).status).toBe(200);

    // Carol turns on TOTP the way a user does, so mfa_enabled is what the MFA service keeps.
    const carolToken = await t.login(emails.carol);
    const auth = { authorization: `Bearer ${carolToken}` };
    const setup = await t.postJson("/v1/users/me/mfa/totp/setup", { current_password: PASSWORD }, auth);
    expect(setup.status).toBe(200);
    const { secret } = (await setup.json()) as { secret: string };
    const confirm = await t.postJson(
      "/v1/users/me/mfa/totp/confirm",
      { code: totpCode(secret, Date.now()) },
      auth,
    );
    expect(confirm.status).toBe(200);
  });
  afterAll(async () => {
    await t?.dispose();
  });

  function send(path: string, method = "GET", body?: unknown) {
    return t.request(path, {
      method,
      headers: {
        authorization: `Bearer ${adminToken}`,
        ...(body === undefined ? {} : { "content-type": "application/json" }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
  }

  async function list(query: Record<string, string>): Promise<ListBody> {
    const response = await send(`/v1/users?${new URLSearchParams(query)}`);
    expect(response.status).toBe(200);
    return (await response.json()) as ListBody;
  }
  const emailsOf = (body: ListBody) => body.items.map((item) => item.email);

  it("keeps the old list without parameters: everyone, oldest first", async () => {
    const body = await list({});
    expect(body.total).toBe(5);
    const created = body.items.map((item) => Date.parse(item.created_at));
    expect(created).toEqual([...created].sort((a, b) => a - b));
    expect(emailsOf(body)[0]).toBe(emails.root);
  });

  it("finds users by an email prefix, case-insensitively, with a matching total", async () => {
    const body = await list({ search: `${tag}-ALI`.toUpperCase() });
    expect(emailsOf(body)).toEqual([emails.alice]);
    expect(body.total).toBe(1);
    expect((await list({ search: `${tag}-` })).total).toBe(5);
    // A prefix, not a substring: the middle of an address matches nothing.
    expect((await list({ search: "alice" })).total).toBe(0);
  });

  it("treats % and _ in a search as the characters themselves", async () => {
    expect(emailsOf(await list({ search: `${tag}-x_` }))).toEqual([emails.underscore]);
    // As wildcards these would match alice and every user.
    expect((await list({ search: `${tag}-_lice` })).total).toBe(0);
    expect((await list({ search: "%" })).total).toBe(0);
  });

  it("treats an empty or blank search as no filter", async () => {
    expect((await list({ search: "" })).total).toBe(5);
    expect((await list({ search: "   " })).total).toBe(5);
  });

  it.each([
    [{ is_active: "false" }, ["bob"]],
    [{ is_superuser: "true" }, ["root", "carol"]],
    [{ email_verified: "true" }, ["root", "alice"]],
    [{ mfa_enabled: "true" }, ["carol"]],
    [{ mfa_enabled: "false", is_active: "true", email_verified: "false" }, ["underscore"]],
  ] as const)("filters by %j", async (query, names) => {
    const body = await list(query);
    expect(emailsOf(body)).toEqual(names.map((name) => emails[name]));
    expect(body.total).toBe(names.length);
  });

  it("combines a search with a filter", async () => {
    const body = await list({ search: tag, is_active: "true", email_verified: "false" });
    expect(emailsOf(body)).toEqual([emails.carol, emails.underscore]);
  });

  it("sorts by email in either order, paging without overlap", async () => {
    const ascending = [...Object.values(emails)].sort();
    expect(emailsOf(await list({ sort: "email" }))).toEqual(ascending);
    expect(emailsOf(await list({ sort: "email", order: "desc" }))).toEqual([...ascending].reverse());
    const first = await list({ sort: "email", limit: "2", offset: "0" });
    const second = await list({ sort: "email", limit: "2", offset: "2" });
    expect([...emailsOf(first), ...emailsOf(second)]).toEqual(ascending.slice(0, 4));
  });

  it("sorts newest first with order=desc", async () => {
    const oldestFirst = emailsOf(await list({}));
    expect(emailsOf(await list({ sort: "created_at", order: "desc" }))).toEqual([...oldestFirst].reverse());
  });

  it.each([
    ["sort", "name"],
    ["order", "up"],
    ["is_active", "yes"],
    ["is_superuser", "1"],
    ["email_verified", ""],
    ["mfa_enabled", "TRUE"],
    ["search", "a".repeat(255)],
  ])("refuses %s=%j with 422 problem+json naming the parameter", async (name, value) => {
    const problem = await expectProblem(
      await send(`/v1/users?${new URLSearchParams({ [name]: value })}`),
      422,
    );
    expect(problem.errors?.map((error) => error.path)).toContain(name);
  });

  it("describes the new parameters in the OpenAPI document", async () => {
    const document = (await (await t.request("/openapi.json")).json()) as {
      paths: Record<string, { get?: { parameters?: { name: string }[] } }>;
    };
    const names = document.paths["/v1/users"]?.get?.parameters?.map((parameter) => parameter.name);
    expect(names).toEqual(
      expect.arrayContaining([
        "limit",
        "offset",
        "search",
        "sort",
        "order",
        "is_active",
        "is_superuser",
        "email_verified",
        "mfa_enabled",
      ]),
    );
  });
});
