import { h, link } from "../dom.js";
import { buildForm } from "../form.js";
import type { Page } from "../page.js";
import { newPasswordHint, validatePasswordReset } from "../validation.js";

/** The page a reset email links to: `/reset-password?token=…`. */
export const resetPasswordPage: Page = async ({ api, query, navigate }) => {
  const policy = await api.passwordPolicy();
  const token = query.get("token") ?? "";
  const form = buildForm<{ new_password: string; confirm_password: string }>({
    id: "reset-password",
    fields: [
      {
        name: "new_password",
        label: "New password",
        type: "password",
        autocomplete: "new-password",
        hint: `${newPasswordHint(policy)} Not a well-known password.`,
      },
      {
        name: "confirm_password",
        label: "Repeat the new password",
        type: "password",
        autocomplete: "new-password",
      },
    ],
    submitLabel: "Set the new password",
    busyLabel: "Saving…",
    validate: (values) =>
      validatePasswordReset(
        { newPassword: values.new_password, confirmPassword: values.confirm_password },
        policy,
      ),
    async onSubmit(values) {
      await api.confirmPasswordReset({ token, new_password: values.new_password });
      api.signOut();
      navigate("/sign-in", {
        replace: true,
        flash: { kind: "success", text: "Your password has been changed. Sign in with the new one." },
      });
    },
  });
  const body =
    token === ""
      ? h(
          "div",
          { class: "status-message is-error", role: "alert" },
          "This link has no token. Open the link from the email again, or ask for a new one.",
        )
      : form.element;
  return {
    title: "Choose a new password",
    content: h(
      "section",
      { class: "card auth-card" },
      h("h1", { tabindex: "-1" }, "Choose a new password"),
      body,
      h("p", { class: "card-footer" }, link("/forgot-password", "Ask for a new link")),
    ),
  };
};
