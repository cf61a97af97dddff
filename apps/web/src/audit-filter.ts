/**
 * The audit log's filters as they live in the address bar (so a filtered view can be reloaded or shared)
 * and as the API wants them. Times are entered in the browser's local time (`datetime-local`) and sent
 * as UTC instants.
 */
import type { AuditEventFilter } from "./api-client.js";

export interface AuditFilterValues {
  user_id: string;
  type: string;
  /** `YYYY-MM-DDTHH:mm` in local time, as a datetime-local input holds it. */
  since: string;
  until: string;
  per_page: string;
}

export const PAGE_SIZES = ["10", "25", "50", "100"] as const;
export const DEFAULT_PAGE_SIZE = "25";

const FIELDS = ["user_id", "type", "since", "until", "per_page"] as const;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const LOCAL_MINUTE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}$/;

export function filterFromQuery(query: URLSearchParams): AuditFilterValues {
  const perPage = query.get("per_page") ?? "";
  return {
    user_id: (query.get("user_id") ?? "").trim(),
    type: (query.get("type") ?? "").trim(),
    since: query.get("since") ?? "",
    until: query.get("until") ?? "",
    per_page: (PAGE_SIZES as readonly string[]).includes(perPage) ? perPage : DEFAULT_PAGE_SIZE,
  };
}

/** The address of a filtered view: empty filters and the default page size are left out. */
export function auditLogPath(values: AuditFilterValues): string {
  const query = new URLSearchParams();
  for (const field of FIELDS) {
    const value = values[field].trim();
    if (value === "" || (field === "per_page" && value === DEFAULT_PAGE_SIZE)) continue;
    query.set(field, value);
  }
  const search = query.toString();
  return search === "" ? "/audit-log" : `/audit-log?${search}`;
}

export type ApiFilterResult =
  | { ok: true; filter: AuditEventFilter; limit: number }
  | { ok: false; errors: Partial<Record<keyof AuditFilterValues, string>> };

/** Checks the values and turns them into the API's query; `until` includes its whole minute. */
export function toApiFilter(values: AuditFilterValues): ApiFilterResult {
  const errors: Partial<Record<keyof AuditFilterValues, string>> = {};
  const userId = values.user_id.trim();
  if (userId !== "" && !UUID.test(userId))
    errors.user_id = "Enter an account id like 0190f1c2-…, or leave it empty.";
  const since = localMinuteToDate(values.since);
  const until = localMinuteToDate(values.until);
  if (since === "invalid") errors.since = "Enter a date and time, or leave it empty.";
  if (until === "invalid") errors.until = "Enter a date and time, or leave it empty.";
  const untilEnd = until instanceof Date ? new Date(until.getTime() + 59_999) : undefined;
  if (since instanceof Date && untilEnd && since > untilEnd) errors.until = "Must not be before “From”.";
  if (Object.keys(errors).length > 0) return { ok: false, errors };

  const limit = Number.parseInt(values.per_page, 10);
  return {
    ok: true,
    limit: Number.isFinite(limit) && limit > 0 ? limit : Number.parseInt(DEFAULT_PAGE_SIZE, 10),
    filter: {
      ...(userId ? { user_id: userId.toLowerCase() } : {}),
      ...(values.type.trim() ? { type: values.type.trim() } : {}),
      ...(since instanceof Date ? { since: since.toISOString() } : {}),
      ...(untilEnd ? { until: untilEnd.toISOString() } : {}),
    },
  };
}

function localMinuteToDate(value: string): Date | "invalid" | undefined {
  const trimmed = value.trim();
  if (trimmed === "") return undefined;
  if (!LOCAL_MINUTE.test(trimmed)) return "invalid";
  // Without a zone, a date-time string is read in the browser's local time.
  const date = new Date(trimmed);
  return Number.isNaN(date.getTime()) ? "invalid" : date;
}
