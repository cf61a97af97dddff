/**
 * Security-log entries as a list: the event in words, when (relative, exact in the tooltip), the address
 * and the device. Shared by the profile's activity, the administrators' user page and the audit log.
 */
import type { SecurityEvent, SecurityEventPage } from "../api-client.js";
import { ApiError } from "../api-error.js";
import { appendPage, emptyLoadMore, type LoadMoreState } from "../cursor-paging.js";
import { deviceLabel } from "../device-label.js";
import { h, link } from "../dom.js";
import { eventDetailsText, eventTypeLabel, isWarningEvent } from "../event-labels.js";
import { feedbackFor } from "../form.js";
import { timeElement } from "./session-list.js";

export interface EventItemOptions {
  /** The audit log names the account each event is about, linked to its page. */
  showUser?: boolean;
  showDetails?: boolean;
}

export function eventItem(event: SecurityEvent, options: EventItemOptions = {}): HTMLLIElement {
  const warning = isWarningEvent(event.type);
  const meta = h(
    "p",
    { class: "event-meta" },
    timeElement(event.created_at),
    event.ip ? h("span", {}, `IP ${event.ip}`) : null,
    event.user_agent ? h("span", {}, eventDevice(event)) : null,
  );
  if (options.showUser) {
    meta.append(
      event.user_id
        ? h("span", {}, "Account ", link(`/users/${encodeURIComponent(event.user_id)}`, event.user_id))
        : h("span", {}, "No account"),
    );
  }
  const details = options.showDetails ? eventDetailsText(event.details) : "";
  return h(
    "li",
    { class: `event-item${warning ? " is-warning" : ""}`, "data-event-type": event.type },
    h(
      "p",
      { class: "event-label" },
      eventTypeLabel(event.type),
      warning ? h("span", { class: "badge badge-warning" }, "Check") : null,
    ),
    meta,
    details ? h("p", { class: "event-details" }, details) : null,
  );
}

/** The server's device label when it recorded one, else ours from the user agent. */
function eventDevice(event: SecurityEvent): string {
  const recorded = event.details["device"];
  return typeof recorded === "string" && recorded !== "" ? recorded : deviceLabel(event.user_agent);
}

export interface LoadMoreEventsOptions {
  loadPage(cursor: string | undefined): Promise<SecurityEventPage>;
  emptyText: string;
  label: string;
  item?: EventItemOptions;
}

export interface LoadMoreEvents {
  element: HTMLElement;
  start(): Promise<void>;
}

/** Newest first, one page at a time, with a "Load more" button while the API has a next cursor. */
export function loadMoreEvents(options: LoadMoreEventsOptions): LoadMoreEvents {
  const status = h("p", { class: "status-message", role: "status", "aria-live": "polite" });
  const list = h("ol", { class: "event-list", "aria-label": options.label });
  const more = h("button", { type: "button", class: "button" }, "Load more");
  more.hidden = true;
  let state: LoadMoreState<SecurityEvent> = emptyLoadMore();

  async function loadNext(): Promise<void> {
    list.setAttribute("aria-busy", "true");
    let page: SecurityEventPage;
    try {
      page = await options.loadPage(state.nextCursor ?? undefined);
    } finally {
      list.removeAttribute("aria-busy");
    }
    const before = state.items.length;
    state = appendPage(state, page);
    const added = state.items.slice(before).map((event) => eventItem(event, options.item));
    list.append(...added);
    if (state.items.length === 0) list.replaceChildren(h("li", { class: "event-empty" }, options.emptyText));
    more.hidden = state.nextCursor === null;
  }

  more.addEventListener("click", () => {
    more.disabled = true;
    const before = list.children.length;
    loadNext()
      .then(() => {
        const count = list.children.length - before;
        status.textContent = count === 1 ? "1 more event loaded." : `${count} more events loaded.`;
        status.className = "status-message is-visible is-info";
        // Keyboard users continue at the first new entry rather than at a button that may be gone.
        const first = list.children.item(before);
        if (first instanceof HTMLElement) {
          first.tabIndex = -1;
          first.focus();
        }
      })
      .catch((error: unknown) => {
        if (error instanceof ApiError && error.sessionExpired) return;
        status.textContent = feedbackFor(error, { fields: [] }).form ?? "Something went wrong.";
        status.className = "status-message is-visible is-error";
      })
      .finally(() => {
        more.disabled = false;
      });
  });

  return {
    element: h("div", { class: "event-block" }, list, status, h("div", { class: "form-actions" }, more)),
    start: loadNext,
  };
}
