import { h, link } from "../dom.js";
import { buildForm } from "../form.js";
import type { Page } from "../page.js";
import { validateForgotPassword } from "../validation.js";

const SENT =
  "If an account uses this address, we have sent it a link to choose a new password. The link works once, for 30 minutes.";

/** Asks for a reset link. The confirmation is the same whether or not the address has an account. */
export const forgotPasswordPage: Page = ({ api, email }) => {
  // Empty but present from the start, so filling it is announced.
  const confirmation = h("div", { class: "status-message", role: "status", tabindex: "-1" });
  let sent = false;
  const form = buildForm<{ email: string }>({
    id: "forgot-password",
    fields: [{ name: "email", label: "Email", type: "email", autocomplete: "username", value: email ?? "" }],
    submitLabel: "Send the link",
    busyLabel: "Sending…",
    validate: validateForgotPassword,
    async onSubmit(values) {
      // Each request spends the account's allowance: one per visit to this page.
      if (sent) return;
      await api.requestPasswordReset(values.email.trim());
      sent = true;
      form.element.hidden = true;
      lead.hidden = true;
      confirmation.classList.add("is-success");
      confirmation.textContent = SENT;
      confirmation.focus();
    },
  });
  const lead = h(
    "p",
    { class: "lead" },
    "Enter your email and we will send you a link to choose a new password.",
  );
  return {
    title: "Forgot your password",
    content: h(
      "section",
      { class: "card auth-card" },
      h("h1", { tabindex: "-1" }, "Forgot your password?"),
      lead,
      form.element,
      confirmation,
      h("p", { class: "card-footer" }, link("/sign-in", "Back to sign in")),
    ),
  };
};
