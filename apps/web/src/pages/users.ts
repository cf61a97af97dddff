import type { User, UserPage } from "../api-client.js";
import { ApiError } from "../api-error.js";
import { formatDate, h, uniqueId } from "../dom.js";
import { feedbackFor } from "../form.js";
import type { Page } from "../page.js";
import {
  apiFilters,
  isFiltered,
  USER_SORTS,
  USER_STATUSES,
  type UserListView,
  usersPath,
  viewFromQuery,
} from "../user-list-query.js";

export const PAGE_SIZE = 10;

const LAST_ADMIN_MESSAGE =
  "This is the last active administrator. Make another account an administrator first, then try again.";

/**
 * An email with a line-break opportunity before the @ and after each dot, so a narrow column wraps it
 * between its parts instead of in the middle of a word.
 */
function emailWithBreaks(email: string): (Node | string)[] {
  const parts: (Node | string)[] = [];
  for (const piece of email.split(/(?=@)|(?<=\.)/)) {
    if (parts.length > 0) parts.push(h("wbr"));
    parts.push(piece);
  }
  return parts;
}

/**
 * Administrators' list of accounts: search by email, a status filter and a sort (all kept in the address
 * bar), paging, activate/deactivate, promote/demote, delete, and removing the second factors of someone
 * who lost them (each destructive action asks for a confirmation that Escape cancels).
 */
export const usersPage: Page = async ({ api, user: me, query, navigate, setUser }) => {
  if (!me) throw new Error("the users page needs a signed-in user");
  const view: UserListView = viewFromQuery(query);
  let pageNumber = view.page;

  const status = h("div", { class: "status-message", role: "status", "aria-live": "polite", tabindex: "-1" });
  const tableBody = h("tbody");
  const caption = h("caption", { class: "visually-hidden" }, "Accounts");
  const headings = ["Email", "Name", "Role", "Status", "Email verified", "MFA", "Created"];
  const table = h(
    "table",
    { class: "users-table" },
    caption,
    h(
      "thead",
      {},
      h(
        "tr",
        {},
        ...headings.map((label) => h("th", { scope: "col" }, label)),
        h("th", { scope: "col" }, h("span", { class: "visually-hidden" }, "Actions")),
      ),
    ),
    tableBody,
  );
  const range = h("p", { class: "pager-range" });
  const previous = h("button", { type: "button", class: "button button-quiet" }, "← Previous");
  const next = h("button", { type: "button", class: "button button-quiet" }, "Next →");
  const pager = h("nav", { class: "pager", "aria-label": "Pages" }, previous, range, next);

  const searchId = uniqueId("users-search");
  const searchInput = h("input", {
    id: searchId,
    name: "q",
    type: "search",
    autocomplete: "off",
    spellcheck: "false",
    maxlength: "254",
    "aria-describedby": `${searchId}-hint`,
  });
  searchInput.value = view.search;
  const statusId = uniqueId("users-status");
  const statusSelect = h(
    "select",
    { id: statusId, name: "status" },
    ...Object.entries(USER_STATUSES).map(([value, { label }]) => h("option", { value }, label)),
  );
  statusSelect.value = view.status;
  const sortId = uniqueId("users-sort");
  const sortSelect = h(
    "select",
    { id: sortId, name: "sort" },
    ...Object.entries(USER_SORTS).map(([value, label]) => h("option", { value }, label)),
  );
  sortSelect.value = view.sort;
  const apply = h("button", { type: "submit", class: "button button-primary" }, "Search");
  const clear = h("button", { type: "button", class: "button button-quiet" }, "Clear");
  const filters = h(
    "form",
    { class: "filters users-filters", role: "search", "aria-label": "Find accounts" },
    h(
      "div",
      { class: "filters-grid" },
      h(
        "div",
        { class: "field" },
        h("label", { for: searchId }, "Email starts with"),
        searchInput,
        h("p", { class: "field-hint", id: `${searchId}-hint` }, "Not case-sensitive."),
      ),
      h("div", { class: "field" }, h("label", { for: statusId }, "Status"), statusSelect),
      h("div", { class: "field" }, h("label", { for: sortId }, "Sort by"), sortSelect),
    ),
    h("div", { class: "form-actions" }, apply, clear),
  );
  filters.addEventListener("submit", (event) => {
    event.preventDefault();
    navigate(
      usersPath({
        search: searchInput.value.trim(),
        status: viewFromQuery(new URLSearchParams({ status: statusSelect.value })).status,
        sort: viewFromQuery(new URLSearchParams({ sort: sortSelect.value })).sort,
        page: 1,
      }),
    );
  });
  clear.addEventListener("click", () => navigate("/users"));

  function say(kind: "error" | "success", text: string): void {
    status.textContent = text;
    status.className = `status-message is-visible is-${kind}`;
  }

  function fail(error: unknown): void {
    if (error instanceof ApiError && error.sessionExpired) return;
    if (error instanceof ApiError && error.status === 409 && /superuser/i.test(error.title + error.detail)) {
      say("error", LAST_ADMIN_MESSAGE);
      return;
    }
    say("error", feedbackFor(error, { fields: [] }).form ?? "Something went wrong.");
  }

  async function load(): Promise<void> {
    table.setAttribute("aria-busy", "true");
    let page: UserPage;
    try {
      page = await api.listUsers(
        { limit: PAGE_SIZE, offset: (pageNumber - 1) * PAGE_SIZE },
        apiFilters({ ...view, page: pageNumber }),
      );
    } finally {
      table.removeAttribute("aria-busy");
    }
    if (page.items.length === 0 && pageNumber > 1 && page.total > 0) {
      pageNumber = Math.max(1, Math.ceil(page.total / PAGE_SIZE));
      return load();
    }
    tableBody.replaceChildren(...page.items.map((user) => renderRow(user)));
    if (page.items.length === 0) {
      const empty = isFiltered(view) ? "No accounts match this search." : "No accounts yet.";
      tableBody.append(h("tr", {}, h("td", { colspan: String(headings.length + 1) }, empty)));
    }
    const first = page.total === 0 ? 0 : page.offset + 1;
    const last = page.offset + page.items.length;
    range.textContent = `${first}–${last} of ${page.total}`;
    previous.disabled = pageNumber <= 1;
    next.disabled = last >= page.total;
    caption.textContent = `Accounts ${first} to ${last} of ${page.total}`;
  }

  function goTo(target: number): void {
    navigate(usersPath({ ...view, page: target }));
  }
  previous.addEventListener("click", () => goTo(pageNumber - 1));
  next.addEventListener("click", () => goTo(pageNumber + 1));

  /**
   * After a reload of the rows, focus returns to the same action of the same account, else (the account
   * left this page) to the row now in its place, else to the status message that says what happened.
   */
  function refocus(userId: string, action: string, rowIndex: number): void {
    const rows = [...tableBody.querySelectorAll<HTMLTableRowElement>("tr[data-user-id]")];
    const same = rows.find((row) => row.dataset.userId === userId);
    const target =
      same?.querySelector<HTMLElement>(`[data-action="${action}"]:not(:disabled)`) ??
      same?.querySelector<HTMLElement>("a") ??
      rows[Math.min(rowIndex, rows.length - 1)]?.querySelector<HTMLElement>("a") ??
      status;
    target.focus();
  }

  function renderRow(user: User): HTMLTableRowElement {
    const isMe = user.id === me?.id;
    const actions = h("td", { class: "actions", "data-label": "Actions" });
    // One wrapper per cell: on narrow screens each cell is a two-column grid (label, value).
    const cell = (label: string, className: string, ...content: (Node | string | null)[]) =>
      h("td", { "data-label": label, class: className }, h("span", {}, ...content));
    const row = h(
      "tr",
      { class: user.is_active ? undefined : "is-inactive", "data-user-id": user.id },
      cell(
        "Email",
        "cell-email",
        h(
          "a",
          { href: `/users/${encodeURIComponent(user.id)}`, "data-link": true },
          ...emailWithBreaks(user.email),
        ),
        isMe ? h("span", { class: "badge" }, "you") : null,
      ),
      cell("Name", "cell-name", user.full_name ?? "—"),
      cell("Role", "cell-nowrap", user.is_superuser ? "Administrator" : "Member"),
      cell(
        "Status",
        "cell-nowrap",
        h(
          "span",
          { class: `pill ${user.is_active ? "pill-ok" : "pill-off"}` },
          user.is_active ? "Active" : "Inactive",
        ),
      ),
      cell(
        "Email verified",
        "cell-nowrap cell-verified",
        h(
          "span",
          { class: `verified-flag ${user.email_verified ? "is-on" : ""}` },
          user.email_verified ? "Verified" : "Not verified",
        ),
      ),
      cell(
        "MFA",
        "cell-nowrap",
        h("span", { class: `mfa-flag ${user.mfa_enabled ? "is-on" : ""}` }, user.mfa_enabled ? "On" : "Off"),
      ),
      cell("Created", "cell-nowrap", formatDate(user.created_at)),
      actions,
    );

    const rowIndex = () => [...tableBody.children].indexOf(row);

    /** A button whose accessible name starts with its visible label and names the account after it. */
    function actionButton(action: string, label: string, className: string, joiner = ""): HTMLButtonElement {
      return h(
        "button",
        { type: "button", class: `button button-small ${className}`, "data-action": action },
        label,
        h("span", { class: "visually-hidden" }, ` ${joiner}${user.email}`),
      );
    }

    /** Runs one change, reloads the rows and puts focus back where the user was. */
    function run(button: HTMLButtonElement, busyText: string, work: () => Promise<string>): void {
      const index = rowIndex();
      const action = button.dataset.action ?? "";
      for (const control of actions.querySelectorAll("button")) control.disabled = true;
      button.textContent = busyText;
      work()
        .then(async (message) => {
          await load();
          say("success", message);
          refocus(user.id, action, index);
        })
        .catch((error: unknown) => {
          fail(error);
          showActions();
          actions.querySelector<HTMLElement>(`[data-action="${action}"]`)?.focus();
        });
    }

    function showActions(): void {
      const toggle = actionButton("toggle-active", user.is_active ? "Deactivate" : "Activate", "");
      const role = actionButton(
        "toggle-admin",
        user.is_superuser ? "Remove administrator" : "Make administrator",
        "",
      );
      const remove = actionButton("delete", "Delete", "button-danger-quiet");
      // Your own account is managed from the profile pages, so an admin cannot lock themselves out here;
      // stepping down as administrator is the exception, and it asks first.
      toggle.disabled = isMe;
      remove.disabled = isMe;
      toggle.addEventListener("click", () =>
        run(toggle, "Saving…", async () => {
          const updated = await api.updateUser(user.id, { is_active: !user.is_active });
          return `${updated.email} is now ${updated.is_active ? "active" : "inactive"}.`;
        }),
      );
      role.addEventListener("click", () => {
        if (isMe) return showConfirmStepDown();
        run(role, "Saving…", async () => {
          const updated = await api.updateUser(user.id, { is_superuser: !user.is_superuser });
          return updated.is_superuser
            ? `${updated.email} is now an administrator.`
            : `${updated.email} is no longer an administrator.`;
        });
      });
      remove.addEventListener("click", () => showConfirm());
      actions.replaceChildren(toggle, role, remove);
      // Someone who lost their authenticator and recovery codes asks an administrator; your own
      // factors are managed from your profile.
      if (user.mfa_enabled && !isMe) {
        const resetMfa = actionButton("remove-mfa", "Remove second factors", "button-danger-quiet", "of ");
        resetMfa.addEventListener("click", () => showConfirmMfaRemoval());
        actions.append(resetMfa);
      }
    }

    /**
     * A confirmation in place of the actions. Cancel and Escape both go back, with focus on the button
     * that asked; the confirm button's name starts with its visible label.
     */
    function confirmStep(
      origin: string,
      note: string | null,
      label: string,
      busyText: string,
      work: () => Promise<string>,
      after?: () => void,
    ): void {
      const confirm = actionButton(origin, label, "button-danger");
      const cancel = h("button", { type: "button", class: "button button-small" }, "Cancel");
      const back = () => {
        showActions();
        actions.querySelector<HTMLElement>(`[data-action="${origin}"]`)?.focus();
      };
      cancel.addEventListener("click", back);
      actions.addEventListener("keydown", function cancelOnEscape(event) {
        if (event.key !== "Escape" || !actions.contains(confirm)) return;
        event.preventDefault();
        actions.removeEventListener("keydown", cancelOnEscape);
        back();
      });
      confirm.addEventListener("click", () => {
        if (after) {
          for (const control of actions.querySelectorAll("button")) control.disabled = true;
          confirm.textContent = busyText;
          work()
            .then(after)
            .catch((error: unknown) => {
              fail(error);
              back();
            });
          return;
        }
        run(confirm, busyText, work);
      });
      actions.replaceChildren(...(note ? [h("span", { class: "confirm-text" }, note)] : []), confirm, cancel);
      confirm.focus();
    }

    function showConfirmMfaRemoval(): void {
      confirmStep(
        "remove-mfa",
        "Authenticator, recovery codes and passkeys go.",
        "Confirm removal",
        "Removing…",
        async () => {
          await api.removeUserMfa(user.id);
          return `${user.email} now signs in with the password alone.`;
        },
      );
    }

    function showConfirm(): void {
      confirmStep("delete", null, "Confirm delete", "Deleting…", async () => {
        await api.deleteUser(user.id);
        return `${user.email} has been deleted.`;
      });
    }

    function showConfirmStepDown(): void {
      confirmStep(
        "toggle-admin",
        "You lose access to this page.",
        "Confirm stepping down",
        "Saving…",
        async () => {
          const updated = await api.updateUser(user.id, { is_superuser: false });
          setUser(updated);
          return "";
        },
        () =>
          navigate("/profile", {
            flash: { kind: "info", text: "You are no longer an administrator." },
          }),
      );
    }

    showActions();
    return row;
  }

  await load();

  return {
    title: "Users",
    content: h(
      "section",
      { class: "card card-wide users-page" },
      h("h1", { tabindex: "-1" }, "Users"),
      h("p", { class: "lead" }, "Every account on this service. Inactive accounts cannot sign in."),
      filters,
      status,
      h("div", { class: "table-wrap" }, table),
      pager,
    ),
  };
};
