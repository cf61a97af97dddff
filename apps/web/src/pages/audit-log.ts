import type { AuditEventPage } from "../api-client.js";
import { ApiError } from "../api-error.js";
import {
  type AuditFilterValues,
  auditLogPath,
  filterFromQuery,
  PAGE_SIZES,
  toApiFilter,
} from "../audit-filter.js";
import {
  back,
  type CursorTrail,
  currentCursor,
  forward,
  hasNext,
  hasPrevious,
  pageNumber,
  startTrail,
  withLoadedPage,
} from "../cursor-paging.js";
import { h, uniqueId } from "../dom.js";
import { eventTypeLabel, KNOWN_EVENT_TYPES } from "../event-labels.js";
import { feedbackFor } from "../form.js";
import type { Page } from "../page.js";
import { eventItem } from "./event-list.js";

/**
 * Administrators' view of the whole security log: filters in the address bar (so a view can be reloaded
 * or shared), pages walked with the API's cursors.
 */
export const auditLogPage: Page = async ({ api, query, navigate }) => {
  const values = filterFromQuery(query);
  const parsed = toApiFilter(values);

  const fieldErrors = new Map<keyof AuditFilterValues, HTMLElement>();
  function field(
    name: keyof AuditFilterValues,
    label: string,
    control: HTMLInputElement | HTMLSelectElement,
    hint?: string,
  ): HTMLElement {
    const id = uniqueId(`audit-${name}`);
    control.id = id;
    control.name = name;
    const error = h("p", { class: "field-error", id: `${id}-error` });
    fieldErrors.set(name, error);
    const hintElement = hint ? h("p", { class: "field-hint", id: `${id}-hint` }, hint) : null;
    control.setAttribute(
      "aria-describedby",
      [hintElement ? `${id}-hint` : "", `${id}-error`].join(" ").trim(),
    );
    // The hint goes under the control so the filters' inputs line up across the row.
    return h("div", { class: "field" }, h("label", { for: id }, label), control, hintElement, error);
  }

  const userInput = h("input", { type: "text", autocomplete: "off", spellcheck: "false" });
  userInput.value = values.user_id;
  const typeSelect = h(
    "select",
    {},
    h("option", { value: "" }, "Any event"),
    ...KNOWN_EVENT_TYPES.map((type) => h("option", { value: type }, eventTypeLabel(type))),
  );
  // A type from a shared link that this app does not know yet is still selectable.
  if (values.type && !KNOWN_EVENT_TYPES.includes(values.type)) {
    typeSelect.append(h("option", { value: values.type }, eventTypeLabel(values.type)));
  }
  typeSelect.value = values.type;
  const sinceInput = h("input", { type: "datetime-local" });
  sinceInput.value = values.since;
  const untilInput = h("input", { type: "datetime-local" });
  untilInput.value = values.until;
  const perPageSelect = h("select", {}, ...PAGE_SIZES.map((size) => h("option", { value: size }, size)));
  perPageSelect.value = values.per_page;

  const apply = h("button", { type: "submit", class: "button button-primary" }, "Apply filters");
  const clear = h("button", { type: "button", class: "button button-quiet" }, "Clear");
  const form = h(
    "form",
    { class: "filters", novalidate: true, "aria-label": "Filter events" },
    h(
      "div",
      { class: "filters-grid" },
      field("user_id", "Account id", userInput, "The id shown on an account's page."),
      field("type", "Event type", typeSelect),
      field("since", "From", sinceInput),
      field("until", "Until", untilInput),
      field("per_page", "Per page", perPageSelect),
    ),
    h("div", { class: "form-actions" }, apply, clear),
  );

  function currentValues(): AuditFilterValues {
    return {
      user_id: userInput.value,
      type: typeSelect.value,
      since: sinceInput.value,
      until: untilInput.value,
      per_page: perPageSelect.value,
    };
  }

  function showFieldErrors(errors: Partial<Record<keyof AuditFilterValues, string>>): void {
    for (const [name, element] of fieldErrors) {
      const message = errors[name] ?? "";
      element.textContent = message;
      const control = form.elements.namedItem(name);
      if (control instanceof HTMLElement) {
        if (message) control.setAttribute("aria-invalid", "true");
        else control.removeAttribute("aria-invalid");
      }
    }
  }

  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const next = currentValues();
    const checked = toApiFilter(next);
    if (!checked.ok) {
      showFieldErrors(checked.errors);
      const first = Object.keys(checked.errors)[0];
      const control = first ? form.elements.namedItem(first) : null;
      if (control instanceof HTMLElement) control.focus();
      return;
    }
    navigate(auditLogPath(next));
  });
  clear.addEventListener("click", () => navigate("/audit-log"));

  const status = h("p", { class: "status-message", role: "status", "aria-live": "polite" });
  const list = h("ol", { class: "event-list", tabindex: "-1", "aria-label": "Events, newest first" });
  const previous = h("button", { type: "button", class: "button button-quiet" }, "← Newer");
  const next = h("button", { type: "button", class: "button button-quiet" }, "Older →");
  const position = h("p", { class: "pager-range" });
  const pager = h("nav", { class: "pager", "aria-label": "Pages of events" }, previous, position, next);
  let trail: CursorTrail = startTrail();

  function say(kind: "error" | "info", text: string): void {
    status.textContent = text;
    status.className = `status-message is-visible is-${kind}`;
  }

  async function load(target: CursorTrail): Promise<void> {
    if (!parsed.ok) return;
    list.setAttribute("aria-busy", "true");
    let page: AuditEventPage;
    try {
      page = await api.listAuditEvents(parsed.filter, { limit: parsed.limit, cursor: currentCursor(target) });
    } finally {
      list.removeAttribute("aria-busy");
    }
    trail = withLoadedPage(target, page.next_cursor);
    list.replaceChildren(
      ...page.items.map((event) => eventItem(event, { showUser: true, showDetails: true })),
    );
    if (page.items.length === 0)
      list.append(h("li", { class: "event-empty" }, "No events match these filters."));
    position.textContent = `Page ${pageNumber(trail)}`;
    previous.disabled = !hasPrevious(trail);
    next.disabled = !hasNext(trail);
  }

  function turn(target: CursorTrail): void {
    previous.disabled = true;
    next.disabled = true;
    load(target)
      .then(() => {
        say("info", `Page ${pageNumber(trail)} of the results.`);
        list.focus();
      })
      .catch((error: unknown) => {
        if (error instanceof ApiError && error.sessionExpired) return;
        previous.disabled = !hasPrevious(trail);
        next.disabled = !hasNext(trail);
        say("error", feedbackFor(error, { fields: [] }).form ?? "Something went wrong.");
      });
  }
  previous.addEventListener("click", () => turn(back(trail)));
  next.addEventListener("click", () => turn(forward(trail)));

  if (parsed.ok) {
    try {
      await load(trail);
    } catch (error) {
      // A filter the server refuses (e.g. an unknown event type in a shared link) is shown, not a broken page.
      if (!(error instanceof ApiError) || error.sessionExpired || error.status >= 500 || error.status === 0) {
        throw error;
      }
      const mapped = feedbackFor(error, { fields: ["user_id", "type", "since", "until"] });
      showFieldErrors(mapped.fields as Partial<Record<keyof AuditFilterValues, string>>);
      if (mapped.form) say("error", mapped.form);
      pager.hidden = true;
    }
  } else {
    showFieldErrors(parsed.errors);
    say("error", "Fix the highlighted filters.");
    pager.hidden = true;
  }

  return {
    title: "Audit log",
    content: h(
      "section",
      { class: "card card-wide" },
      h("h1", { tabindex: "-1" }, "Audit log"),
      h(
        "p",
        { class: "lead" },
        "Security events on every account, newest first. Times are in your browser's time zone.",
      ),
      form,
      status,
      list,
      pager,
    ),
  };
};
