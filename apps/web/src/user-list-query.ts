/**
 * The administrators' list view as it sits in the address bar (`/users?q=ada&status=inactive&sort=email`),
 * so a view survives a reload and can be shared, and the `GET /v1/users` parameters it stands for.
 */

export const USER_SORTS = {
  "created_at:asc": "Oldest first",
  "created_at:desc": "Newest first",
  "email:asc": "Email A–Z",
  "email:desc": "Email Z–A",
} as const;
export type UserSort = keyof typeof USER_SORTS;

/** One status choice maps to one API flag, which keeps the select simple and every choice meaningful. */
export const USER_STATUSES = {
  all: { label: "Any status", filter: {} },
  active: { label: "Active", filter: { is_active: "true" } },
  inactive: { label: "Inactive", filter: { is_active: "false" } },
  verified: { label: "Email verified", filter: { email_verified: "true" } },
  unverified: { label: "Email not verified", filter: { email_verified: "false" } },
  mfa: { label: "MFA on", filter: { mfa_enabled: "true" } },
  "no-mfa": { label: "MFA off", filter: { mfa_enabled: "false" } },
  admins: { label: "Administrators", filter: { is_superuser: "true" } },
} as const satisfies Record<string, { label: string; filter: Record<string, string> }>;
export type UserStatus = keyof typeof USER_STATUSES;

export interface UserListView {
  search: string;
  status: UserStatus;
  sort: UserSort;
  page: number;
}

const DEFAULT_VIEW: UserListView = { search: "", status: "all", sort: "created_at:asc", page: 1 };

const isSort = (value: string): value is UserSort => Object.hasOwn(USER_SORTS, value);
const isStatus = (value: string): value is UserStatus => Object.hasOwn(USER_STATUSES, value);

/** Reads the view from the query string; anything unknown falls back to the default instead of failing. */
export function viewFromQuery(query: URLSearchParams): UserListView {
  const page = Number.parseInt(query.get("page") ?? "1", 10);
  const sort = query.get("sort") ?? "";
  const status = query.get("status") ?? "";
  return {
    search: (query.get("q") ?? "").trim().slice(0, 254),
    status: isStatus(status) ? status : DEFAULT_VIEW.status,
    sort: isSort(sort) ? sort : DEFAULT_VIEW.sort,
    page: Number.isFinite(page) && page > 0 ? page : 1,
  };
}

/** The address of a view; defaults are left out so the plain list stays `/users`. */
export function usersPath(view: UserListView): string {
  const query = new URLSearchParams();
  if (view.search) query.set("q", view.search);
  if (view.status !== DEFAULT_VIEW.status) query.set("status", view.status);
  if (view.sort !== DEFAULT_VIEW.sort) query.set("sort", view.sort);
  if (view.page > 1) query.set("page", String(view.page));
  const text = query.toString();
  return text ? `/users?${text}` : "/users";
}

/** The `GET /v1/users` parameters besides limit and offset. */
export function apiFilters(view: UserListView): Record<string, string> {
  const [sort = "created_at", order = "asc"] = view.sort.split(":");
  return {
    ...(view.search ? { search: view.search } : {}),
    ...USER_STATUSES[view.status].filter,
    ...(view.sort === DEFAULT_VIEW.sort ? {} : { sort, order }),
  };
}

/** Whether the view narrows the list (then an empty page says "no match", not "no accounts"). */
export function isFiltered(view: UserListView): boolean {
  return view.search !== "" || view.status !== "all";
}
