/**
 * The profile's "Passkeys" card: the account's passkeys (name, added, last used), adding one through
 * the browser's WebAuthn dialog, renaming and removing. A passkey signs in alone or serves as the
 * second factor after a password.
 */
import { startRegistration } from "@simplewebauthn/browser";
import type { ApiClient, Passkey } from "../api-client.js";
import { ApiError } from "../api-error.js";
import { formatDate, h } from "../dom.js";
import { buildForm, feedbackFor } from "../form.js";
import { passkeyErrorMessage } from "../passkey-errors.js";
import type { ProfileSection } from "./profile-mfa.js";

export interface PasskeysSectionOptions {
  /** Called after a passkey was added or removed: the account's second factors changed. */
  onChange(): void;
}

export function passkeysSection(api: ApiClient, { onChange }: PasskeysSectionOptions): ProfileSection {
  const status = h("p", { class: "status-message", role: "status", "aria-live": "polite" });
  status.hidden = true;
  const list = h("ul", { class: "passkey-list", "aria-label": "Your passkeys" });
  const addArea = h("div");
  const element = h(
    "section",
    { class: "card", "aria-labelledby": "passkeys-heading", id: "passkeys" },
    h("h2", { id: "passkeys-heading" }, "Passkeys"),
    h(
      "p",
      { class: "lead" },
      "Sign in with your fingerprint, face or device PIN instead of a password, or use a passkey as your second factor.",
    ),
    status,
    list,
    addArea,
  );

  function say(kind: "success" | "error", text: string | undefined): void {
    status.hidden = !text;
    status.className = `status-message is-${kind}`;
    status.textContent = text ?? "";
  }

  function fail(error: unknown, ceremony: "create" | "use" = "create"): void {
    if (error instanceof ApiError) {
      if (error.sessionExpired) return;
      say("error", feedbackFor(error, { fields: [] }).form);
      return;
    }
    const message = passkeyErrorMessage(error, ceremony);
    if (message) say("error", message);
  }

  function renderItem(passkey: Passkey): HTMLLIElement {
    const item = h("li", { class: "passkey-item" });
    function showView(): void {
      const rename = h(
        "button",
        { type: "button", class: "button button-small", "aria-label": `Rename ${passkey.name}` },
        "Rename",
      );
      const remove = h(
        "button",
        {
          type: "button",
          class: "button button-small button-danger-quiet",
          "aria-label": `Remove ${passkey.name}`,
        },
        "Remove",
      );
      rename.addEventListener("click", showRename);
      remove.addEventListener("click", showConfirm);
      item.replaceChildren(
        h(
          "div",
          { class: "passkey-info" },
          h("strong", { class: "passkey-name" }, passkey.name),
          h(
            "span",
            { class: "muted" },
            `Added ${formatDate(passkey.created_at)} · ${passkey.last_used_at ? `last used ${formatDate(passkey.last_used_at)}` : "never used"}`,
          ),
        ),
        h("div", { class: "passkey-actions" }, rename, remove),
      );
    }
    function showRename(): void {
      const cancel = h("button", { type: "button", class: "button button-quiet" }, "Cancel");
      cancel.addEventListener("click", showView);
      const form = buildForm<{ name: string }>({
        id: `rename-passkey-${passkey.id}`,
        fields: [{ name: "name", label: "Passkey name", value: passkey.name }],
        submitLabel: "Save name",
        validate: ({ name }) => {
          const trimmed = name.trim();
          if (trimmed === "") return { name: "Give the passkey a name." };
          if (trimmed.length > 100) return { name: "Use at most 100 characters." };
          return {};
        },
        footer: cancel,
        async onSubmit({ name }) {
          passkey = await api.renamePasskey(passkey.id, name.trim());
          showView();
          say("success", `The passkey is now called “${passkey.name}”.`);
        },
      });
      item.replaceChildren(form.element);
      form.input("name").focus();
    }
    function showConfirm(): void {
      const confirm = h(
        "button",
        {
          type: "button",
          class: "button button-small button-danger",
          "aria-label": `Confirm removing ${passkey.name}`,
        },
        "Confirm remove",
      );
      const cancel = h("button", { type: "button", class: "button button-small" }, "Cancel");
      cancel.addEventListener("click", showView);
      confirm.addEventListener("click", () => {
        confirm.disabled = true;
        cancel.disabled = true;
        api
          .removePasskey(passkey.id)
          .then(async () => {
            await refresh();
            say("success", `“${passkey.name}” was removed. It can no longer sign in to this account.`);
            onChange();
          })
          .catch((error: unknown) => {
            fail(error);
            showView();
          });
      });
      item.replaceChildren(
        h("p", {}, `Remove “${passkey.name}”? `),
        h("div", { class: "passkey-actions" }, confirm, cancel),
      );
      confirm.focus();
    }
    showView();
    return item;
  }

  const nameInput = h("input", {
    id: "new-passkey-name",
    name: "passkey_name",
    type: "text",
    autocomplete: "off",
    maxlength: "100",
    "aria-describedby": "new-passkey-name-hint",
  });
  const add = h("button", { type: "button", class: "button button-primary" }, "Add a passkey");
  add.addEventListener("click", () => {
    add.disabled = true;
    say("success", undefined);
    void (async () => {
      try {
        const optionsJSON = await api.passkeyRegistrationOptions();
        const response = await startRegistration({ optionsJSON });
        const name = nameInput.value.trim();
        const passkey = await api.addPasskey(response, name === "" ? undefined : name);
        nameInput.value = "";
        await refresh();
        say("success", `“${passkey.name}” was added. You can sign in with it now.`);
        onChange();
      } catch (error) {
        fail(error);
      } finally {
        add.disabled = false;
      }
    })();
  });
  addArea.append(
    h(
      "div",
      { class: "field" },
      h(
        "label",
        { for: "new-passkey-name" },
        "Name for a new passkey",
        h("span", { class: "optional" }, " (optional)"),
      ),
      h(
        "p",
        { class: "field-hint", id: "new-passkey-name-hint" },
        "For example “Work laptop”, so you can tell your passkeys apart.",
      ),
      nameInput,
    ),
    h("div", { class: "form-actions" }, add),
  );

  async function refresh(): Promise<void> {
    try {
      const passkeys = await api.listPasskeys();
      list.replaceChildren(
        ...(passkeys.length === 0
          ? [h("li", { class: "muted passkey-empty" }, "No passkeys yet.")]
          : passkeys.map((passkey) => renderItem(passkey))),
      );
    } catch (error) {
      fail(error);
    }
  }

  list.append(h("li", { class: "muted" }, "Loading…"));
  void refresh();
  return { element, refresh };
}
