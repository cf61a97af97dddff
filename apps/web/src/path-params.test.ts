import { describe, expect, it } from "vitest";
import { matchPath } from "./path-params.js";

describe("matchPath", () => {
  it("takes the values out of the path, decoded", () => {
    expect(matchPath("/users/:id", "/users/0190f1c2-7a7b")).toEqual({ id: "0190f1c2-7a7b" });
    expect(matchPath("/users/:id", "/users/a%20b")).toEqual({ id: "a b" });
    expect(matchPath("/users/:id/sessions/:sid", "/users/1/sessions/2")).toEqual({ id: "1", sid: "2" });
  });

  it("matches nothing for another shape, an empty value or broken percent-encoding", () => {
    expect(matchPath("/users/:id", "/users")).toBeUndefined();
    expect(matchPath("/users/:id", "/users/")).toBeUndefined();
    expect(matchPath("/users/:id", "/users/1/extra")).toBeUndefined();
    expect(matchPath("/users/:id", "/people/1")).toBeUndefined();
    expect(matchPath("/users/:id", "/users/%E0%A4%A")).toBeUndefined();
  });
});
