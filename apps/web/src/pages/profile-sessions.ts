import type { ApiClient } from "../api-client.js";
import { h } from "../dom.js";
import { loadSection } from "./load-section.js";
import { sessionList } from "./session-list.js";

/** "Where you're signed in": every session of this account, with a way to end the others. */
export function sessionsSection(api: ApiClient): HTMLElement {
  const sessions = sessionList({
    load: () => api.listMySessions(),
    revoke: (session) => api.revokeMySession(session.id),
    offerSignOutOthers: true,
    emptyText: "No active sessions.",
  });
  const section = h(
    "section",
    { class: "card", "aria-labelledby": "sessions-heading" },
    h("h2", { id: "sessions-heading" }, "Where you're signed in"),
    h(
      "p",
      { class: "lead" },
      "Browsers and devices signed in to this account. Don't recognise one? Sign it out and change your password.",
    ),
    sessions.element,
  );
  loadSection(section, sessions.reload);
  return section;
}
