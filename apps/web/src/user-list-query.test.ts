import { describe, expect, it } from "vitest";
import { apiFilters, isFiltered, usersPath, viewFromQuery } from "./user-list-query.js";

describe("the users page's view in the address bar", () => {
  it("reads the defaults from an empty query and writes them back as /users", () => {
    const view = viewFromQuery(new URLSearchParams());
    expect(view).toEqual({ search: "", status: "all", sort: "created_at:asc", page: 1 });
    expect(usersPath(view)).toBe("/users");
    expect(apiFilters(view)).toEqual({});
    expect(isFiltered(view)).toBe(false);
  });

  it("round-trips a search, a status, a sort and a page", () => {
    const path = usersPath({ search: "ada@", status: "inactive", sort: "email:desc", page: 3 });
    expect(path).toBe("/users?q=ada%40&status=inactive&sort=email%3Adesc&page=3");
    const view = viewFromQuery(new URL(path, "http://x").searchParams);
    expect(view).toEqual({ search: "ada@", status: "inactive", sort: "email:desc", page: 3 });
    expect(apiFilters(view)).toEqual({ search: "ada@", is_active: "false", sort: "email", order: "desc" });
    expect(isFiltered(view)).toBe(true);
  });

  it.each([
    ["status=deleted", { status: "all" }],
    ["sort=name", { sort: "created_at:asc" }],
    ["page=-2", { page: 1 }],
    ["q=%20%20", { search: "" }],
  ])("falls back to the default for %s", (query, expected) => {
    expect(viewFromQuery(new URLSearchParams(query))).toMatchObject(expected);
  });

  it.each([
    ["verified", { email_verified: "true" }],
    ["no-mfa", { mfa_enabled: "false" }],
    ["admins", { is_superuser: "true" }],
  ] as const)("maps the status %s to one API flag", (status, filter) => {
    expect(apiFilters({ search: "", status, sort: "created_at:asc", page: 1 })).toEqual(filter);
  });
});
