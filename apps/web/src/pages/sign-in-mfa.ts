/**
 * The second step of a sign-in, shown in place of the password form once the API asks for a second
 * factor: a code from the authenticator app, a recovery code, or a passkey, whichever the account has.
 */
import { startAuthentication } from "@simplewebauthn/browser";
import type { ApiClient, SecondFactorProof } from "../api-client.js";
import { ApiError } from "../api-error.js";
import { h } from "../dom.js";
import { buildForm, feedbackFor } from "../form.js";
import { type MfaChallenge, normalizeTotpCode } from "../mfa.js";
import { passkeyErrorMessage } from "../passkey-errors.js";

export interface SecondFactorStepOptions {
  api: ApiClient;
  challenge: MfaChallenge;
  onSignedIn(): void;
  /** The mfa_token is spent or expired: back to the password, with a reason. */
  onRestart(message: string): void;
}

const INVALID_CODE = "/problems/invalid-mfa-code";
const RESTART_MESSAGE = "This sign-in has expired. Please enter your password again.";

type Mode = "totp" | "recovery_code";

export function secondFactorStep({ api, challenge, onSignedIn, onRestart }: SecondFactorStepOptions): Node {
  const { mfaToken, methods } = challenge;
  const body = h("div", { class: "stack-tight" });
  const lead = h("p", { class: "lead" });
  const passkeyStatus = h("p", { class: "form-error", role: "alert" });

  /** A refused token (not a wrong code) cannot be retried: the whole sign-in starts over. */
  function tokenIsDead(error: unknown): boolean {
    return error instanceof ApiError && error.status === 401 && error.type !== INVALID_CODE;
  }

  async function prove(proof: SecondFactorProof): Promise<void> {
    try {
      await api.completeMfaSignIn(mfaToken, proof);
    } catch (error) {
      if (!tokenIsDead(error)) throw error;
      onRestart(RESTART_MESSAGE);
      return;
    }
    onSignedIn();
  }

  function codeForm(mode: Mode): HTMLFormElement {
    const isTotp = mode === "totp";
    const form = buildForm<{ code: string }>({
      id: isTotp ? "mfa-code" : "mfa-recovery",
      fields: [
        isTotp
          ? { name: "code", label: "Authentication code", autocomplete: "one-time-code" }
          : { name: "code", label: "Recovery code", autocomplete: "off" },
      ],
      submitLabel: "Verify",
      busyLabel: "Verifying…",
      validate: ({ code }) => {
        const value = normalizeTotpCode(code);
        if (value === "") return { code: isTotp ? "Enter the 6-digit code." : "Enter a recovery code." };
        if (isTotp && !/^\d{6}$/.test(value)) return { code: "The code has 6 digits." };
        return {};
      },
      errors: { unauthorizedField: "code" },
      async onSubmit({ code }) {
        await prove(isTotp ? { code: normalizeTotpCode(code) } : { recovery_code: code.trim() });
      },
    });
    const input = form.input("code");
    if (isTotp) {
      input.setAttribute("inputmode", "numeric");
      input.setAttribute("pattern", "[0-9 ]*");
    } else {
      input.setAttribute("spellcheck", "false");
      input.setAttribute("autocapitalize", "off");
    }
    return form.element;
  }

  function show(mode: Mode): void {
    lead.textContent =
      mode === "totp"
        ? "Enter the 6-digit code from your authenticator app."
        : "Enter one of the recovery codes you saved when you set up two-factor authentication. Each works once.";
    const switchTo: Mode = mode === "totp" ? "recovery_code" : "totp";
    const canSwitch = methods.includes(switchTo === "totp" ? "totp" : "recovery_code");
    const switcher = h(
      "button",
      { type: "button", class: "button button-quiet" },
      switchTo === "totp" ? "Use your authenticator app" : "Use a recovery code",
    );
    switcher.addEventListener("click", () => {
      show(switchTo);
      body.querySelector("input")?.focus();
    });
    body.replaceChildren(
      codeForm(mode),
      ...(canSwitch ? [h("p", { class: "switch-method" }, switcher)] : []),
    );
  }

  const passkeyButton = h("button", { type: "button", class: "button" }, "Use a passkey");
  passkeyButton.addEventListener("click", () => {
    passkeyButton.disabled = true;
    passkeyStatus.textContent = "";
    passkeyStatus.classList.remove("is-visible");
    void (async () => {
      try {
        const optionsJSON = await api.mfaPasskeyOptions(mfaToken);
        const response = await startAuthentication({ optionsJSON });
        await prove({ webauthn: response });
      } catch (error) {
        if (error instanceof ApiError && error.sessionExpired) return;
        const message =
          error instanceof ApiError
            ? error.status === 401 && error.type === INVALID_CODE
              ? "This passkey is not registered for your account."
              : feedbackFor(error, { fields: [] }).form
            : passkeyErrorMessage(error, "use");
        if (message) {
          passkeyStatus.textContent = message;
          passkeyStatus.classList.add("is-visible");
        }
      } finally {
        passkeyButton.disabled = false;
      }
    })();
  });

  const hasCodes = methods.includes("totp") || methods.includes("recovery_code");
  if (hasCodes) show(methods.includes("totp") ? "totp" : "recovery_code");
  else lead.textContent = "Confirm it's you with your passkey.";

  return h(
    "div",
    { class: "second-factor" },
    h("h1", { tabindex: "-1" }, "Two-factor authentication"),
    lead,
    body,
    methods.includes("webauthn")
      ? h(
          "div",
          { class: "passkey-option" },
          hasCodes ? h("p", { class: "divider" }, h("span", {}, "or")) : null,
          passkeyButton,
          passkeyStatus,
        )
      : null,
  );
}
