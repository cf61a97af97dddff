import { describe, expect, it } from "vitest";
import { DEFAULT_RETURN_PATH, returnPathFrom, safeReturnPath, signInPath } from "./return-to.js";

describe("return to the asked-for page after sign-in", () => {
  it("keeps a same-origin path with its query", () => {
    expect(safeReturnPath("/users/42?tab=sessions")).toBe("/users/42?tab=sessions");
    expect(safeReturnPath("/audit-log?type=login.failed&since=2026-01-01")).toBe(
      "/audit-log?type=login.failed&since=2026-01-01",
    );
    expect(returnPathFrom(new URLSearchParams({ next: "/password" }))).toBe("/password");
  });

  it.each([
    "//evil.example/profile",
    "/\\evil.example",
    "\\\\evil.example",
    "https://evil.example/profile",
    "http:/evil.example",
    "javascript:alert(1)",
    "evil.example",
    "profile",
    "/%0a/evil.example",
    "/\t/evil.example",
    "/\n/evil.example",
    "",
  ])("refuses %j (open redirect)", (value) => {
    const safe = safeReturnPath(value);
    if (safe !== undefined) {
      // whatever is kept must stay on this origin
      expect(new URL(safe, "https://id.example.com").origin).toBe("https://id.example.com");
    }
    expect(returnPathFrom(new URLSearchParams({ next: value }))).toSatisfy(
      (path: string) => new URL(path, "https://id.example.com").origin === "https://id.example.com",
    );
  });

  it("refuses paths that leave the origin outright", () => {
    for (const value of [
      "//evil.example",
      "/\\evil.example",
      "https://evil.example",
      "javascript:alert(1)",
    ]) {
      expect(safeReturnPath(value)).toBeUndefined();
      expect(returnPathFrom(new URLSearchParams({ next: value }))).toBe(DEFAULT_RETURN_PATH);
    }
  });

  it("does not return to the sign-in pages themselves", () => {
    expect(safeReturnPath("/sign-in?next=/profile")).toBeUndefined();
    expect(safeReturnPath("/sign-out")).toBeUndefined();
    expect(returnPathFrom(new URLSearchParams())).toBe(DEFAULT_RETURN_PATH);
  });

  it("signInPath carries the page, encoded, and round-trips", () => {
    const path = signInPath("/users/abc?page=2&x=a b");
    expect(path.startsWith("/sign-in?next=")).toBe(true);
    const query = new URL(path, "https://id.example.com").searchParams;
    expect(returnPathFrom(query)).toBe("/users/abc?page=2&x=a%20b");
    expect(signInPath("//evil.example")).toBe("/sign-in");
  });
});
