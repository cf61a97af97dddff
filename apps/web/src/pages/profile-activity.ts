import type { ApiClient } from "../api-client.js";
import { h } from "../dom.js";
import { loadMoreEvents } from "./event-list.js";
import { loadSection } from "./load-section.js";

export const ACTIVITY_PAGE_SIZE = 10;

/** "Recent security activity": this account's security log, newest first. */
export function activitySection(api: ApiClient): HTMLElement {
  const events = loadMoreEvents({
    loadPage: (cursor) => api.listMyEvents({ limit: ACTIVITY_PAGE_SIZE, cursor }),
    emptyText: "No security events yet.",
    label: "Security events, newest first",
  });
  const section = h(
    "section",
    { class: "card", "aria-labelledby": "activity-heading" },
    h("h2", { id: "activity-heading" }, "Recent security activity"),
    h(
      "p",
      { class: "lead" },
      "Sign-ins, password and email changes and other security events on this account.",
    ),
    events.element,
  );
  loadSection(section, events.start);
  return section;
}
