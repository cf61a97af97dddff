import { ApiError } from "../api-error.js";
import { h, link } from "../dom.js";
import { feedbackFor } from "../form.js";
import type { Page } from "../page.js";

const INVALID_LINK =
  "This verification link is invalid, expired or already used. Sign in and ask for a new one from your profile.";

/**
 * The page a verification email links to: `/verify-email?token=…`. It confirms only when the person
 * presses the button: mail scanners and link previews open links too, and must not confirm an address.
 */
export const verifyEmailPage: Page = ({ api, query, setUser }) => {
  const token = query.get("token") ?? "";
  const status = h("div", { role: "status", "aria-live": "polite" });
  const button = h("button", { type: "button", class: "button button-primary" }, "Confirm my email");
  const actions = h("div", { class: "form-actions" }, button);

  function show(kind: "success" | "error", text: string): void {
    status.className = `status-message is-${kind}`;
    status.setAttribute("role", kind === "error" ? "alert" : "status");
    status.textContent = text;
  }

  if (token === "") {
    actions.hidden = true;
    show("error", INVALID_LINK);
  }
  button.addEventListener("click", () => {
    button.disabled = true;
    api
      .verifyEmail(token)
      .then(() => {
        // The cached profile still says "unverified": drop it so the next page loads it afresh.
        setUser(undefined);
        actions.hidden = true;
        show("success", "Your email address is confirmed.");
      })
      .catch((error: unknown) => {
        if (error instanceof ApiError && error.status === 400) {
          actions.hidden = true;
          show("error", INVALID_LINK);
          return;
        }
        button.disabled = false;
        if (error instanceof ApiError && error.sessionExpired) return;
        show("error", feedbackFor(error, { fields: [] }).form ?? "Something went wrong.");
      });
  });

  return {
    title: "Confirm your email",
    content: h(
      "section",
      { class: "card auth-card" },
      h("h1", { tabindex: "-1" }, "Confirm your email"),
      h("p", { class: "lead" }, "Press the button to confirm that this email address is yours."),
      actions,
      status,
      h("p", { class: "card-footer" }, link(api.isSignedIn() ? "/profile" : "/sign-in", "Continue")),
    ),
  };
};
