import { h, link } from "../dom.js";
import { buildForm } from "../form.js";
import type { Page } from "../page.js";
import { validateForgotPassword } from "../validation.js";

/** Asks for a reset link. The confirmation is the same whether or not the address has an account. */
export const forgotPasswordPage: Page = ({ api, email }) => {
  const confirmation = h(
    "div",
    { class: "status-message is-success", role: "status", hidden: true },
    "If an account uses this address, we have sent it a link to choose a new password. The link works once, for 30 minutes.",
  );
  const form = buildForm<{ email: string }>({
    id: "forgot-password",
    fields: [{ name: "email", label: "Email", type: "email", autocomplete: "username", value: email ?? "" }],
    submitLabel: "Send the link",
    busyLabel: "Sending…",
    validate: validateForgotPassword,
    async onSubmit(values) {
      await api.requestPasswordReset(values.email.trim());
      form.element.hidden = true;
      confirmation.hidden = false;
    },
  });
  return {
    title: "Forgot your password",
    content: h(
      "section",
      { class: "card" },
      h("h1", { tabindex: "-1" }, "Forgot your password?"),
      h("p", { class: "lead" }, "Enter your email and we will send you a link to choose a new password."),
      form.element,
      confirmation,
      h("p", { class: "card-footer" }, link("/sign-in", "Back to sign in")),
    ),
  };
};
