/**
 * Where a sign-in through an identity provider lands. The API put a one-time login code (or what went
 * wrong) in the URL fragment, which never reaches a server; this page removes it from the address bar
 * at once, exchanges the code, and then goes on like a password sign-in, second factor included.
 */
import { h, link } from "../dom.js";
import { feedbackFor } from "../form.js";
import type { Page } from "../page.js";
import { secondFactorStep } from "./sign-in-mfa.js";

const ERRORS: Record<string, string> = {
  account_exists:
    "An account with this email address already exists. Sign in to it with your password, then link this provider from your profile.",
  email_unverified: "The provider did not confirm your email address, so it cannot be used to sign in here.",
  identity_taken: "This provider account is already linked to another account.",
  account_inactive: "This account is deactivated.",
  link_expired: "Linking took too long or your session changed. Please try again from your profile.",
  provider_denied: "The sign-in was cancelled at the provider.",
  provider_unavailable: "The provider could not be reached. Please try again shortly.",
};
const GENERIC_ERROR = "The sign-in with this provider could not be completed. Please try again.";

/** Only a path of this site is followed after signing in. */
function safeReturnTo(value: string | null): string {
  return value && /^\/(?![/\\])/.test(value) ? value : "/profile";
}

export const oidcCallbackPage: Page = ({ api, navigate, setUser }) => {
  const fragment = new URLSearchParams(window.location.hash.slice(1));
  // The code is single use, but it has no business in the history or a bookmark either.
  window.history.replaceState(null, "", window.location.pathname);
  const card = h("section", { class: "card" }, h("h1", { tabindex: "-1" }, "Signing you in…"));
  const returnTo = safeReturnTo(fragment.get("return_to"));
  const signedIn = () => {
    setUser(undefined);
    navigate(returnTo, { replace: true });
  };
  const showError = (message: string) =>
    card.replaceChildren(
      h("h1", { tabindex: "-1" }, "Sign-in not completed"),
      h("p", { class: "form-error is-visible", role: "alert" }, message),
      h("p", { class: "card-footer" }, link(api.isSignedIn() ? "/profile" : "/sign-in", "Back")),
    );

  const linked = fragment.get("linked");
  const error = fragment.get("error");
  const code = fragment.get("code");
  if (linked) {
    queueMicrotask(() =>
      navigate("/profile", {
        replace: true,
        flash: { kind: "success", text: "The provider was linked to your account." },
      }),
    );
  } else if (error || !code) {
    showError(ERRORS[error ?? ""] ?? GENERIC_ERROR);
  } else {
    void api
      .signInWithLoginCode(code)
      .then((result) => {
        if (result.kind === "signed-in") return signedIn();
        card.replaceChildren(
          secondFactorStep({
            api,
            challenge: result.challenge,
            onSignedIn: signedIn,
            onRestart: (message) => showError(message),
          }),
        );
        card.querySelector<HTMLElement>("h1")?.focus();
      })
      .catch((failure: unknown) => showError(feedbackFor(failure, { fields: [] }).form ?? GENERIC_ERROR));
  }
  return { title: "Signing in", content: card };
};
