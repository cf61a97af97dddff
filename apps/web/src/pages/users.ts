import type { User, UserPage } from "../api-client.js";
import { ApiError } from "../api-error.js";
import { formatDate, h, link } from "../dom.js";
import { feedbackFor } from "../form.js";
import type { Page } from "../page.js";

export const PAGE_SIZE = 10;

/**
 * Administrators' list of accounts: paging, activate/deactivate, delete, and removing the second
 * factors of someone who lost them (each destructive action asks for a confirmation).
 */
export const usersPage: Page = async ({ api, user: me, query, navigate }) => {
  if (!me) throw new Error("the users page needs a signed-in user");
  const requested = Number.parseInt(query.get("page") ?? "1", 10);
  let pageNumber = Number.isFinite(requested) && requested > 0 ? requested : 1;

  const status = h("div", { class: "status-message", "aria-live": "polite" });
  const tableBody = h("tbody");
  const caption = h("caption", { class: "visually-hidden" }, "Accounts");
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
        ...["Email", "Name", "Role", "Status", "MFA", "Created"].map((label) =>
          h("th", { scope: "col" }, label),
        ),
        h("th", { scope: "col" }, h("span", { class: "visually-hidden" }, "Actions")),
      ),
    ),
    tableBody,
  );
  const range = h("p", { class: "pager-range" });
  const previous = h("button", { type: "button", class: "button button-quiet" }, "← Previous");
  const next = h("button", { type: "button", class: "button button-quiet" }, "Next →");
  const pager = h("nav", { class: "pager", "aria-label": "Pages" }, previous, range, next);

  function say(kind: "error" | "success", text: string): void {
    status.textContent = text;
    status.className = `status-message is-visible is-${kind}`;
  }

  function fail(error: unknown): void {
    if (error instanceof ApiError && error.sessionExpired) return;
    say("error", feedbackFor(error, { fields: [] }).form ?? "Something went wrong.");
  }

  async function load(): Promise<void> {
    table.setAttribute("aria-busy", "true");
    let page: UserPage;
    try {
      page = await api.listUsers({ limit: PAGE_SIZE, offset: (pageNumber - 1) * PAGE_SIZE });
    } finally {
      table.removeAttribute("aria-busy");
    }
    if (page.items.length === 0 && pageNumber > 1 && page.total > 0) {
      pageNumber = Math.max(1, Math.ceil(page.total / PAGE_SIZE));
      return load();
    }
    tableBody.replaceChildren(...page.items.map((user) => renderRow(user)));
    if (page.items.length === 0) {
      tableBody.append(h("tr", {}, h("td", { colspan: "7" }, "No accounts yet.")));
    }
    const first = page.total === 0 ? 0 : page.offset + 1;
    const last = page.offset + page.items.length;
    range.textContent = `${first}–${last} of ${page.total}`;
    previous.disabled = pageNumber <= 1;
    next.disabled = last >= page.total;
    caption.textContent = `Accounts ${first} to ${last} of ${page.total}`;
  }

  function goTo(target: number): void {
    navigate(target === 1 ? "/users" : `/users?page=${target}`);
  }
  previous.addEventListener("click", () => goTo(pageNumber - 1));
  next.addEventListener("click", () => goTo(pageNumber + 1));

  function renderRow(user: User): HTMLTableRowElement {
    const isMe = user.id === me?.id;
    const actions = h("td", { class: "actions", "data-label": "Actions" });
    // One wrapper per cell: on narrow screens each cell is a two-column grid (label, value).
    const cell = (label: string, className: string, ...content: (Node | string | null)[]) =>
      h("td", { "data-label": label, class: className }, h("span", {}, ...content));
    const row = h(
      "tr",
      { class: user.is_active ? undefined : "is-inactive" },
      cell(
        "Email",
        "cell-email",
        link(`/users/${encodeURIComponent(user.id)}`, user.email),
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
        "MFA",
        "cell-nowrap",
        h("span", { class: `mfa-flag ${user.mfa_enabled ? "is-on" : ""}` }, user.mfa_enabled ? "On" : "Off"),
      ),
      cell("Created", "cell-nowrap", formatDate(user.created_at)),
      actions,
    );

    function showActions(): void {
      const toggle = h(
        "button",
        {
          type: "button",
          class: "button button-small",
          "aria-label": `${user.is_active ? "Deactivate" : "Activate"} ${user.email}`,
        },
        user.is_active ? "Deactivate" : "Activate",
      );
      const remove = h(
        "button",
        {
          type: "button",
          class: "button button-small button-danger-quiet",
          "aria-label": `Delete ${user.email}`,
        },
        "Delete",
      );
      // Your own account is managed from the profile pages, so an admin cannot lock themselves out here.
      toggle.disabled = isMe;
      remove.disabled = isMe;
      toggle.addEventListener("click", () => {
        toggle.disabled = true;
        remove.disabled = true;
        toggle.textContent = "Saving…";
        api
          .updateUser(user.id, { is_active: !user.is_active })
          .then(async (updated) => {
            await load();
            say("success", `${updated.email} is now ${updated.is_active ? "active" : "inactive"}.`);
          })
          .catch((error: unknown) => {
            fail(error);
            showActions();
          });
      });
      remove.addEventListener("click", () => showConfirm());
      actions.replaceChildren(toggle, remove);
      // Someone who lost their authenticator and recovery codes asks an administrator; your own
      // factors are managed from your profile.
      if (user.mfa_enabled && !isMe) {
        const resetMfa = h(
          "button",
          {
            type: "button",
            class: "button button-small button-danger-quiet",
            "aria-label": `Remove second factors of ${user.email}`,
          },
          "Remove second factors",
        );
        resetMfa.addEventListener("click", () => showConfirmMfaRemoval());
        actions.append(resetMfa);
      }
    }

    function showConfirmMfaRemoval(): void {
      const confirm = h(
        "button",
        {
          type: "button",
          class: "button button-small button-danger",
          "aria-label": `Confirm removing the second factors of ${user.email}`,
        },
        "Confirm removal",
      );
      const cancel = h("button", { type: "button", class: "button button-small" }, "Cancel");
      cancel.addEventListener("click", () => {
        showActions();
        actions.querySelector("button")?.focus();
      });
      confirm.addEventListener("click", () => {
        confirm.disabled = true;
        cancel.disabled = true;
        confirm.textContent = "Removing…";
        api
          .removeUserMfa(user.id)
          .then(async () => {
            await load();
            say("success", `${user.email} now signs in with the password alone.`);
          })
          .catch((error: unknown) => {
            fail(error);
            showActions();
          });
      });
      actions.replaceChildren(
        h("span", { class: "confirm-text" }, "Authenticator, recovery codes and passkeys go."),
        confirm,
        cancel,
      );
      confirm.focus();
    }

    function showConfirm(): void {
      const confirm = h(
        "button",
        {
          type: "button",
          class: "button button-small button-danger",
          "aria-label": `Confirm deleting ${user.email}`,
        },
        "Confirm delete",
      );
      const cancel = h("button", { type: "button", class: "button button-small" }, "Cancel");
      cancel.addEventListener("click", () => {
        showActions();
        actions.querySelector("button")?.focus();
      });
      confirm.addEventListener("click", () => {
        confirm.disabled = true;
        cancel.disabled = true;
        confirm.textContent = "Deleting…";
        api
          .deleteUser(user.id)
          .then(async () => {
            await load();
            say("success", `${user.email} has been deleted.`);
          })
          .catch((error: unknown) => {
            fail(error);
            showActions();
          });
      });
      actions.replaceChildren(confirm, cancel);
      confirm.focus();
    }

    showActions();
    return row;
  }

  await load();

  return {
    title: "Users",
    content: h(
      "section",
      { class: "card card-wide" },
      h("h1", { tabindex: "-1" }, "Users"),
      h("p", { class: "lead" }, "Every account on this service. Inactive accounts cannot sign in."),
      status,
      h("div", { class: "table-wrap" }, table),
      pager,
    ),
  };
};
