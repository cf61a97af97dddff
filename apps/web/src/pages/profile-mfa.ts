/**
 * The profile's "Two-factor authentication" card: set up an authenticator app (QR code drawn in the
 * page, the secret as text too), confirm it with a code, show the recovery codes once, make a new set,
 * and turn the app off. Every step that changes the factors asks for the current password again.
 */
import type { ApiClient, MfaStatus, User } from "../api-client.js";
import { ApiError } from "../api-error.js";
import { formatDate, h } from "../dom.js";
import { buildForm, feedbackFor } from "../form.js";
import { groupSecret, normalizeTotpCode } from "../mfa.js";
import { qrCodeDataUrl } from "../qr-code.js";
import { recoveryCodesPanel } from "../recovery-codes-panel.js";

export interface ProfileSection {
  element: HTMLElement;
  /** Reads the state again (another section changed the account's factors). */
  refresh(): Promise<void>;
}

export function mfaSection(api: ApiClient, user: User): ProfileSection {
  const body = h("div", { class: "stack-tight" });
  const element = h(
    "section",
    { class: "card", "aria-labelledby": "mfa-heading", id: "two-factor" },
    h("h2", { id: "mfa-heading", tabindex: "-1" }, "Two-factor authentication"),
    body,
  );

  function show(...children: (Node | null)[]): void {
    body.replaceChildren(...children.filter((child): child is Node => child !== null));
    body.querySelector<HTMLElement>("h3, input")?.focus();
  }

  function cancelButton(): HTMLButtonElement {
    const cancel = h("button", { type: "button", class: "button button-quiet" }, "Cancel");
    cancel.addEventListener("click", () => void refresh());
    return cancel;
  }

  /** A one-field form for the current password, in front of every change to the factors. */
  function passwordStep(
    id: string,
    intro: string,
    submitLabel: string,
    run: (password: string) => Promise<void>,
    danger = false,
  ): void {
    const form = buildForm<{ current_password: string }>({
      id,
      fields: [
        {
          name: "current_password",
          label: "Current password",
          type: "password",
          autocomplete: "current-password",
        },
      ],
      submitLabel,
      submitClass: danger ? "button button-danger" : "button button-primary",
      validate: ({ current_password }) =>
        current_password === "" ? { current_password: "Enter your current password." } : {},
      errors: { unauthorizedField: "current_password" },
      footer: cancelButton(),
      onSubmit: ({ current_password }) => run(current_password),
    });
    show(h("p", {}, intro), form.element);
  }

  function showCodes(codes: string[]): void {
    show(recoveryCodesPanel({ codes, account: user.email, onDone: () => void refresh() }));
  }

  function startSetup(): void {
    passwordStep(
      "totp-setup",
      "Confirm it's you to set up an authenticator app.",
      "Continue",
      async (password) => {
        const setup = await api.setupTotp(password);
        const confirm = buildForm<{ code: string }>({
          id: "totp-confirm",
          fields: [
            {
              name: "code",
              label: "Code from the app",
              autocomplete: "one-time-code",
              hint: "The 6 digits the app shows for this account.",
            },
          ],
          submitLabel: "Turn on",
          busyLabel: "Checking…",
          validate: ({ code }) =>
            /^\d{6}$/.test(normalizeTotpCode(code)) ? {} : { code: "Enter the 6-digit code from the app." },
          async onSubmit({ code }) {
            showCodes(await api.confirmTotp(normalizeTotpCode(code)));
          },
          footer: cancelButton(),
        });
        confirm.input("code").setAttribute("inputmode", "numeric");
        show(
          h("h3", { tabindex: "-1" }, "Scan this QR code"),
          h(
            "p",
            {},
            "Open your authenticator app (for example 1Password, Google Authenticator or Aegis) and scan the code.",
          ),
          h("img", {
            class: "qr-code",
            src: qrCodeDataUrl(setup.otpauth_uri),
            alt: "QR code that adds this account to an authenticator app",
            width: "200",
            height: "200",
          }),
          h(
            "p",
            {},
            "Can't scan it? Enter this key in the app instead: ",
            h("code", { class: "totp-secret" }, groupSecret(setup.secret)),
          ),
          confirm.element,
        );
        confirm.input("code").focus();
      },
    );
  }

  function regenerateButton(): HTMLButtonElement {
    const regenerate = h("button", { type: "button", class: "button" }, "New recovery codes");
    regenerate.addEventListener("click", () =>
      passwordStep(
        "recovery-codes",
        "A new set replaces the old one: the codes you have now stop working.",
        "Make new codes",
        async (password) => showCodes(await api.regenerateRecoveryCodes(password)),
      ),
    );
    return regenerate;
  }

  function renderStatus(status: MfaStatus): void {
    const totpOn = status.totp.enabled;
    const hasFactor = totpOn || status.passkeys.length > 0;
    const parts: (Node | null)[] = [];
    if (totpOn) {
      parts.push(
        h(
          "p",
          { class: "mfa-state" },
          h("span", { class: "pill pill-ok" }, "On"),
          ` Authenticator app${status.totp.confirmed_at ? ` since ${formatDate(status.totp.confirmed_at)}` : ""}.`,
        ),
      );
    } else {
      parts.push(
        h(
          "p",
          { class: "mfa-state" },
          h("span", { class: "pill pill-off" }, "Off"),
          " Add a code from an authenticator app to your password, so a stolen password alone cannot open your account.",
        ),
      );
    }
    if (hasFactor) {
      parts.push(
        h(
          "p",
          { class: "recovery-remaining" },
          `${status.recovery_codes_remaining} of 10 recovery codes left.`,
          status.recovery_codes_remaining <= 3 ? " Make a new set soon." : "",
        ),
      );
    }
    const actions = h("div", { class: "form-actions" });
    if (totpOn) {
      const regenerate = regenerateButton();
      const disable = h("button", { type: "button", class: "button button-danger" }, "Turn off");
      disable.addEventListener("click", () =>
        passwordStep(
          "totp-disable",
          "Turning off the authenticator app leaves your password (and any passkey) to protect the account.",
          "Turn off two-factor authentication",
          async (password) => {
            await api.disableTotp(password);
            await refresh();
          },
          true,
        ),
      );
      actions.append(regenerate, disable);
    } else {
      const setup = h(
        "button",
        { type: "button", class: "button button-primary" },
        "Set up an authenticator app",
      );
      setup.addEventListener("click", startSetup);
      actions.append(setup);
      if (hasFactor) {
        actions.append(regenerateButton());
      }
    }
    body.replaceChildren(...parts.filter((part): part is Node => part !== null), actions);
  }

  async function refresh(): Promise<void> {
    try {
      renderStatus(await api.mfaStatus());
    } catch (error) {
      if (error instanceof ApiError && error.sessionExpired) return;
      body.replaceChildren(
        h(
          "p",
          { class: "form-error is-visible", role: "alert" },
          feedbackFor(error, { fields: [] }).form ?? "",
        ),
      );
    }
  }

  body.append(h("p", { class: "muted" }, "Loading…"));
  void refresh();
  return { element, refresh };
}
