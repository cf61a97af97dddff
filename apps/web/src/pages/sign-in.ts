import { h, link } from "../dom.js";
import { buildForm } from "../form.js";
import type { Page } from "../page.js";
import { validateSignIn } from "../validation.js";

export const signInPage: Page = ({ api, navigate, email }) => {
  const form = buildForm<{ email: string; password: string }>({
    id: "sign-in",
    fields: [
      { name: "email", label: "Email", type: "email", autocomplete: "username", value: email ?? "" },
      { name: "password", label: "Password", type: "password", autocomplete: "current-password" },
    ],
    submitLabel: "Sign in",
    busyLabel: "Signing in…",
    validate: validateSignIn,
    async onSubmit(values) {
      await api.signIn({ email: values.email.trim(), password: values.password });
      navigate("/profile", { replace: true });
    },
  });
  return {
    title: "Sign in",
    content: h(
      "section",
      { class: "card" },
      h("h1", { tabindex: "-1" }, "Sign in"),
      h("p", { class: "lead" }, "Welcome back. Sign in to manage your account."),
      form.element,
      h("p", { class: "card-footer" }, link("/forgot-password", "Forgot your password?")),
      h("p", { class: "card-footer" }, "New here? ", link("/register", "Create an account")),
    ),
  };
};
