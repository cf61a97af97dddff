import type { User } from "../api-client.js";
import { ApiError } from "../api-error.js";
import { formatDate, h, link } from "../dom.js";
import type { Page } from "../page.js";
import { loadMoreEvents } from "./event-list.js";
import { loadSection } from "./load-section.js";
import { sessionList } from "./session-list.js";

export const ADMIN_EVENTS_PAGE_SIZE = 10;

/** One account seen by an administrator: who it is, where it is signed in, and its security log. */
export const adminUserPage: Page = async ({ api, params }) => {
  const id = params["id"] ?? "";
  let user: User;
  try {
    user = await api.getUser(id);
  } catch (error) {
    // A malformed id is refused before the lookup (422); either way there is no such account to show.
    if (error instanceof ApiError && (error.status === 404 || error.status === 422)) return missingUser();
    throw error;
  }

  const sessions = sessionList({
    load: () => api.listUserSessions(user.id),
    revoke: (session) => api.revokeUserSession(user.id, session.id),
    offerSignOutOthers: false,
    emptyText: "Not signed in anywhere.",
  });
  const events = loadMoreEvents({
    loadPage: (cursor) =>
      api.listAuditEvents({ user_id: user.id }, { limit: ADMIN_EVENTS_PAGE_SIZE, cursor }),
    emptyText: "No security events for this account.",
    label: "Security events of this account, newest first",
  });

  const sessionsCard = h(
    "section",
    { class: "card card-wide", "aria-labelledby": "user-sessions-heading" },
    h("h2", { id: "user-sessions-heading" }, "Sessions"),
    sessions.element,
  );
  const eventsCard = h(
    "section",
    { class: "card card-wide", "aria-labelledby": "user-events-heading" },
    h("h2", { id: "user-events-heading" }, "Security activity"),
    events.element,
  );
  loadSection(sessionsCard, sessions.reload);
  loadSection(eventsCard, events.start);

  const row = (term: string, value: string) => [h("dt", {}, term), h("dd", {}, value)];
  return {
    title: user.email,
    content: h(
      "div",
      { class: "stack card-wide" },
      h(
        "section",
        { class: "card card-wide", "aria-labelledby": "user-heading" },
        h("p", { class: "eyebrow" }, link("/users", "← All users")),
        h("h1", { id: "user-heading", tabindex: "-1" }, user.full_name ?? user.email),
        h(
          "dl",
          { class: "summary" },
          ...row("Email", user.email),
          ...row("Status", user.is_active ? "Active" : "Inactive"),
          ...row("Role", user.is_superuser ? "Administrator" : "Member"),
          ...row("Email confirmed", user.email_verified ? "Yes" : "Not yet"),
          ...row("Member since", formatDate(user.created_at)),
          ...row("Account id", user.id),
        ),
      ),
      sessionsCard,
      eventsCard,
    ),
  };
};

function missingUser() {
  return {
    title: "No such account",
    content: h(
      "section",
      { class: "card" },
      h("h1", { tabindex: "-1" }, "No such account"),
      h("p", { class: "lead" }, "This account does not exist, or it has been deleted."),
      h("p", {}, link("/users", "Back to all users")),
    ),
  };
}
