import { describe, expect, it } from "vitest";
import { formatRelativeTime } from "./relative-time.js";

const NOW = new Date("2026-11-30T12:00:00Z");
const ago = (seconds: number) => new Date(NOW.getTime() - seconds * 1000).toISOString();

describe("formatRelativeTime", () => {
  it.each([
    [0, "just now"],
    [44, "just now"],
    [45, "1 minute ago"],
    [89, "1 minute ago"],
    [90, "2 minutes ago"],
    [59 * 60, "59 minutes ago"],
    [60 * 60, "1 hour ago"],
    [5 * 3600 + 20 * 60, "5 hours ago"],
    [23 * 3600, "23 hours ago"],
    [24 * 3600, "yesterday"],
    [3 * 86_400, "3 days ago"],
    [29 * 86_400, "29 days ago"],
  ])("%i seconds ago → %s", (seconds, text) => {
    expect(formatRelativeTime(ago(seconds), NOW)).toBe(text);
  });

  it("never says 'in …' for a timestamp a little ahead of this clock", () => {
    expect(formatRelativeTime(ago(-30), NOW)).toBe("just now");
    expect(formatRelativeTime(ago(-3600), NOW)).toBe("just now");
  });

  it("gives the date past a month, with the year only when it differs", () => {
    expect(formatRelativeTime("2026-09-14T10:00:00Z", NOW)).toBe("on Sep 14");
    expect(formatRelativeTime("2025-09-14T10:00:00Z", NOW)).toBe("on Sep 14, 2025");
  });

  it("does not throw on a value that is not a date", () => {
    expect(formatRelativeTime("not a date", NOW)).toBe("at an unknown time");
  });
});
