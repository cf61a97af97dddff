import {
  browserSupportsWebAuthn,
  browserSupportsWebAuthnAutofill,
  startAuthentication,
  WebAuthnAbortService,
} from "@simplewebauthn/browser";
import { ApiError } from "../api-error.js";
import { h, link } from "../dom.js";
import { buildForm, feedbackFor } from "../form.js";
import type { Page } from "../page.js";
import { passkeyErrorMessage } from "../passkey-errors.js";
import { returnPathFrom } from "../return-to.js";
import { validateSignIn } from "../validation.js";
import { providerButtons } from "./provider-buttons.js";
import { secondFactorStep } from "./sign-in-mfa.js";

export const signInPage: Page = ({ api, navigate, email, query }) => {
  const card = h("section", { class: "card auth-card" });
  // Back to the page that sent the person here (only a path of this site, see return-to.ts).
  const signedIn = () => navigate(returnPathFrom(query), { replace: true });

  const form = buildForm<{ email: string; password: string }>({
    id: "sign-in",
    fields: [
      {
        name: "email",
        label: "Email",
        type: "email",
        // "webauthn" lets the browser offer this site's passkeys in the email field's autofill.
        autocomplete: "username webauthn",
        value: email ?? "",
      },
      {
        name: "password",
        label: "Password",
        type: "password",
        autocomplete: "current-password",
        labelAside: link("/forgot-password", "Forgot password?", { class: "quiet-link" }),
      },
    ],
    submitLabel: "Sign in",
    busyLabel: "Signing in…",
    validate: validateSignIn,
    clearOnError: ["password"],
    async onSubmit(values) {
      const result = await api.signIn({ email: values.email.trim(), password: values.password });
      if (result.kind === "signed-in") {
        WebAuthnAbortService.cancelCeremony();
        signedIn();
        return;
      }
      WebAuthnAbortService.cancelCeremony();
      card.replaceChildren(
        secondFactorStep({
          api,
          challenge: result.challenge,
          onSignedIn: signedIn,
          onRestart(message) {
            showPasswordStep();
            form.input("password").value = "";
            form.showFeedback({ fields: {}, form: message });
          },
        }),
      );
      card.querySelector<HTMLElement>("h1")?.focus();
    },
  });

  const passkeyStatus = h("p", { class: "form-error", role: "alert" });
  function showPasskeyError(message: string | undefined): void {
    passkeyStatus.textContent = message ?? "";
    passkeyStatus.classList.toggle("is-visible", Boolean(message));
  }

  /** One passkey sign-in: a button press (modal) or the email field's autofill (conditional). */
  async function passkeySignIn(autofill: boolean): Promise<void> {
    const optionsJSON = await api.passkeySignInOptions();
    // The page may have been left while the options were on their way.
    if (autofill && !form.element.isConnected) return;
    const response = await startAuthentication({ optionsJSON, useBrowserAutofill: autofill });
    await api.signInWithPasskey(response);
    signedIn();
  }

  function passkeyFailure(error: unknown): string | undefined {
    if (error instanceof ApiError) return feedbackFor(error, { fields: [] }).form;
    return passkeyErrorMessage(error, "use");
  }

  const passkeyButton = h("button", { type: "button", class: "button" }, "Sign in with a passkey");
  passkeyButton.addEventListener("click", () => {
    passkeyButton.disabled = true;
    showPasskeyError(undefined);
    passkeySignIn(false)
      .catch((error: unknown) => showPasskeyError(passkeyFailure(error)))
      .finally(() => {
        passkeyButton.disabled = false;
      });
  });

  const passkeyOption = browserSupportsWebAuthn()
    ? h(
        "div",
        { class: "passkey-option" },
        h("p", { class: "divider" }, h("span", {}, "or")),
        passkeyButton,
        passkeyStatus,
      )
    : null;

  // Other ways to sign in (identity providers) go here, under the form; empty, it takes no room.
  const providers = h("div", { class: "sign-in-providers", id: "sign-in-providers" }, providerButtons(api));

  function showPasswordStep(): void {
    card.replaceChildren(
      h("h1", { tabindex: "-1" }, "Sign in"),
      h("p", { class: "lead" }, "Welcome back. Sign in to manage your account."),
      form.element,
      ...(passkeyOption ? [passkeyOption] : []),
      providers,
      h("p", { class: "card-footer" }, "New here? ", link("/register", "Create an account")),
    );
  }
  showPasswordStep();

  // The email field offers this site's passkeys in its autofill. The request starts when the field is
  // first focused, not on every visit: each one asks the API for a challenge from the login budget.
  let autofillStarted = false;
  form.input("email").addEventListener("focus", () => {
    if (autofillStarted) return;
    autofillStarted = true;
    void browserSupportsWebAuthnAutofill().then((supported) => {
      if (!supported) return;
      passkeySignIn(true).catch((error: unknown) => {
        // Autofill waits silently; it only speaks when a chosen passkey was refused.
        if (error instanceof ApiError) showPasskeyError(passkeyFailure(error));
      });
    });
  });

  return { title: "Sign in", content: card };
};
