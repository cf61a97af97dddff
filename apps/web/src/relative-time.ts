/**
 * "5 minutes ago" for a timestamp from the API. English like the rest of the app; past a month the
 * exact date says more than "5 weeks ago".
 */
const MINUTE = 60;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
const MONTH = 30 * DAY;

const relative = new Intl.RelativeTimeFormat("en", { numeric: "auto" });

export function formatRelativeTime(iso: string, now: Date = new Date()): string {
  const then = new Date(iso);
  if (Number.isNaN(then.getTime())) return "at an unknown time";
  // A clock a little ahead of this browser's is still "just now", never "in 3 seconds".
  const seconds = Math.max(0, Math.round((now.getTime() - then.getTime()) / 1000));
  if (seconds < 45) return "just now";
  if (seconds < HOUR) return relative.format(-Math.max(1, Math.round(seconds / MINUTE)), "minute");
  if (seconds < DAY) return relative.format(-Math.round(seconds / HOUR), "hour");
  if (seconds < MONTH) return relative.format(-Math.round(seconds / DAY), "day");
  const sameYear = then.getFullYear() === now.getFullYear();
  return `on ${then.toLocaleDateString("en", {
    day: "numeric",
    month: "short",
    ...(sameYear ? {} : { year: "numeric" }),
  })}`;
}

/** The full local date and time, for a `<time>`'s tooltip and for screen readers that want detail. */
export function formatDateTime(iso: string): string {
  const date = new Date(iso);
  return Number.isNaN(date.getTime())
    ? iso
    : date.toLocaleString(undefined, { dateStyle: "medium", timeStyle: "short" });
}
