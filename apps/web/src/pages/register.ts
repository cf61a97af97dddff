import { h, link } from "../dom.js";
import { buildForm } from "../form.js";
import type { Page } from "../page.js";
import { newPasswordHint, validateRegister } from "../validation.js";

export const registerPage: Page = async ({ api, navigate }) => {
  const policy = await api.passwordPolicy();
  const form = buildForm<{ email: string; full_name: string; password: string }>({
    id: "register",
    fields: [
      { name: "email", label: "Email", type: "email", autocomplete: "email" },
      { name: "full_name", label: "Full name", autocomplete: "name", required: false },
      {
        name: "password",
        label: "Password",
        type: "password",
        autocomplete: "new-password",
        hint: `${newPasswordHint(policy)} A few random words make a good one.`,
      },
    ],
    submitLabel: "Create account",
    busyLabel: "Creating account…",
    validate: (values) =>
      validateRegister(
        { email: values.email, fullName: values.full_name, password: values.password },
        policy,
      ),
    errors: { conflictField: "email" },
    async onSubmit(values) {
      const fullName = values.full_name.trim();
      const user = await api.register({
        email: values.email.trim(),
        password: values.password,
        ...(fullName === "" ? {} : { full_name: fullName }),
      });
      navigate("/sign-in", {
        flash: { kind: "success", text: "Your account is ready. Sign in to continue." },
        email: user.email,
      });
    },
  });
  return {
    title: "Create an account",
    content: h(
      "section",
      { class: "card" },
      h("h1", { tabindex: "-1" }, "Create an account"),
      h("p", { class: "lead" }, "It takes a few seconds. You can change everything later."),
      form.element,
      h("p", { class: "card-footer" }, "Already have an account? ", link("/sign-in", "Sign in")),
    ),
  };
};
