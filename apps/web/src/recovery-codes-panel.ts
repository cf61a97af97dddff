/**
 * The one time a set of recovery codes is shown: the list, a copy button (the Clipboard API) and a
 * download link (a Blob behind an object URL, revoked once the panel is closed). The API keeps only
 * hashes, so after "Done" these codes cannot be shown again.
 */
import { h } from "./dom.js";
import { recoveryCodesFile, recoveryCodesFileName } from "./mfa.js";

export interface RecoveryCodesPanelOptions {
  codes: readonly string[];
  /** The account's email, named in the file. */
  account: string;
  onDone(): void;
}

export function recoveryCodesPanel({ codes, account, onDone }: RecoveryCodesPanelOptions): HTMLElement {
  const status = h("p", { class: "status-message", role: "status", "aria-live": "polite" });
  status.hidden = true;
  function say(kind: "success" | "error", text: string): void {
    status.className = `status-message is-${kind}`;
    status.textContent = text;
    status.hidden = false;
  }

  const copy = h("button", { type: "button", class: "button" }, "Copy codes");
  copy.addEventListener("click", () => {
    navigator.clipboard
      .writeText(codes.join("\n"))
      .then(() => say("success", "The codes are on your clipboard."))
      .catch(() => say("error", "Copying was not allowed here: select the codes and copy them by hand."));
  });

  const fileUrl = URL.createObjectURL(
    new Blob([recoveryCodesFile(codes, account, new Date())], { type: "text/plain;charset=utf-8" }),
  );
  const download = h(
    "a",
    { class: "button", href: fileUrl, download: recoveryCodesFileName(account) },
    "Download codes",
  );

  const done = h("button", { type: "button", class: "button button-primary" }, "I have saved my codes");
  done.addEventListener("click", () => {
    URL.revokeObjectURL(fileUrl);
    onDone();
  });

  return h(
    "div",
    { class: "recovery-codes-panel" },
    h("h3", { tabindex: "-1" }, "Your recovery codes"),
    h(
      "p",
      {},
      "Each code signs you in once if your authenticator app or passkey is not at hand. ",
      h("strong", {}, "They are shown only now:"),
      " copy or download them and keep them somewhere safe.",
    ),
    h(
      "ol",
      { class: "recovery-codes", "aria-label": "Recovery codes" },
      ...codes.map((code) => h("li", {}, h("code", {}, code))),
    ),
    h("div", { class: "form-actions" }, copy, download, done),
    status,
  );
}
