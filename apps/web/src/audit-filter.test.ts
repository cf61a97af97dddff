import { describe, expect, it } from "vitest";
import { auditLogPath, filterFromQuery, toApiFilter } from "./audit-filter.js";

const USER = "0190f1c2-7a7b-7c3d-8e9f-0a1b2c3d4e5f";
const blank = { user_id: "", type: "", since: "", until: "", per_page: "25" };

describe("audit-log filters", () => {
  it("round-trips through the address bar, leaving defaults out", () => {
    expect(auditLogPath(blank)).toBe("/audit-log");
    const values = { ...blank, user_id: USER, type: "login.failed", per_page: "10" };
    const path = auditLogPath(values);
    expect(path).toBe(`/audit-log?user_id=${USER}&type=login.failed&per_page=10`);
    expect(filterFromQuery(new URLSearchParams(path.split("?")[1]))).toEqual(values);
  });

  it("ignores a page size it does not offer", () => {
    expect(filterFromQuery(new URLSearchParams("per_page=100000")).per_page).toBe("25");
  });

  it("sends only the filters that are set", () => {
    expect(toApiFilter(blank)).toEqual({ ok: true, limit: 25, filter: {} });
    expect(toApiFilter({ ...blank, type: "login.succeeded", per_page: "10" })).toEqual({
      ok: true,
      limit: 10,
      filter: { type: "login.succeeded" },
    });
  });

  it("sends local times as UTC instants, the end of the 'until' minute included", () => {
    const result = toApiFilter({ ...blank, since: "2026-11-30T09:00", until: "2026-11-30T09:30" });
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.filter.since).toBe(new Date(2026, 10, 30, 9, 0, 0, 0).toISOString());
    expect(result.filter.until).toBe(new Date(2026, 10, 30, 9, 30, 59, 999).toISOString());
  });

  it("refuses a malformed account id, a malformed time and a range that ends before it starts", () => {
    expect(toApiFilter({ ...blank, user_id: "42" })).toEqual({
      ok: false,
      errors: { user_id: expect.stringMatching(/account id/) },
    });
    expect(toApiFilter({ ...blank, since: "yesterday" })).toMatchObject({
      ok: false,
      errors: { since: expect.any(String) },
    });
    expect(toApiFilter({ ...blank, since: "2026-11-30T10:00", until: "2026-11-30T09:59" })).toMatchObject({
      ok: false,
      errors: { until: expect.any(String) },
    });
    // The same minute is a valid range.
    expect(toApiFilter({ ...blank, since: "2026-11-30T10:00", until: "2026-11-30T10:00" }).ok).toBe(true);
  });
});
