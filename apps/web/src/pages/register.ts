import { h, link } from "../dom.js";
import { buildForm } from "../form.js";
import type { Page } from "../page.js";
import { createResendButton } from "../resend-button.js";
import { newPasswordHint, validateRegister } from "../validation.js";

/** Seconds between two "resend" clicks: long enough for a mail to arrive, short enough to not feel stuck. */
const RESEND_WAIT_SECONDS = 30;

export const registerPage: Page = async ({ api, navigate }) => {
  const policy = await api.passwordPolicy();
  const card = h("section", { class: "card auth-card" });
  const form = buildForm<{ email: string; full_name: string; password: string }>({
    id: "register",
    fields: [
      // "username": the address is what signs in, so password managers save it with the new password.
      { name: "email", label: "Email", type: "email", autocomplete: "username" },
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
      showCheckInbox(user.email);
    },
  });

  function showCheckInbox(email: string): void {
    const continueButton = h(
      "button",
      { type: "button", class: "button button-primary" },
      "Continue to sign in",
    );
    continueButton.addEventListener("click", () =>
      navigate("/sign-in", {
        flash: { kind: "success", text: "Your account is ready. Sign in to continue." },
        email,
      }),
    );
    card.replaceChildren(
      h("div", { class: "inbox-mark", "aria-hidden": "true" }),
      h("h1", { tabindex: "-1" }, "Check your inbox"),
      h(
        "p",
        { class: "lead" },
        "We have sent a link to ",
        h("strong", { class: "address" }, email),
        ". Open it to confirm your address; you can sign in meanwhile.",
      ),
      h("div", { class: "form-actions" }, continueButton),
      h("p", { class: "resend-hint" }, "No email after a minute? Check your spam folder, or:"),
      createResendButton({
        label: "Resend the email",
        waitSeconds: RESEND_WAIT_SECONDS,
        startWaiting: true,
        send: () => api.resendVerificationTo(email),
        sentMessage: "We have sent a new link.",
      }),
    );
    document.title = "Check your inbox · Accounts";
    card.querySelector<HTMLElement>("h1")?.focus();
  }

  card.append(
    h("h1", { tabindex: "-1" }, "Create an account"),
    h("p", { class: "lead" }, "It takes a few seconds. You can change everything later."),
    form.element,
    h("p", { class: "card-footer" }, "Already have an account? ", link("/sign-in", "Sign in")),
  );
  return { title: "Create an account", content: card };
};
