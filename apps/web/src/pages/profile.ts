import type { ApiClient, User } from "../api-client.js";
import { ApiError } from "../api-error.js";
import { formatDate, h, link } from "../dom.js";
import { buildForm, feedbackFor } from "../form.js";
import type { Page } from "../page.js";
import { createResendButton } from "../resend-button.js";
import { validateProfile } from "../validation.js";
import { activitySection } from "./profile-activity.js";
import { identitiesSection } from "./profile-identities.js";
import { mfaSection } from "./profile-mfa.js";
import { passkeysSection } from "./profile-passkeys.js";
import { sessionsSection } from "./profile-sessions.js";

export const profilePage: Page = ({ api, user: cached, setUser, navigate }) => {
  if (!cached) throw new Error("the profile page needs a signed-in user");
  let user: User = cached;

  const summary = h("dl", { class: "summary" });
  const verification = h("div");
  const heading = h("h1", { tabindex: "-1" });
  function renderSummary(): void {
    heading.textContent = user.full_name ?? user.email;
    verification.replaceChildren(...(user.email_verified ? [] : [verificationNotice(api)]));
    summary.replaceChildren(
      ...row("Email", user.email),
      ...row("Email confirmed", user.email_verified ? "Yes" : "Not yet"),
      ...row("Full name", user.full_name ?? "Not set"),
      ...row("Role", user.is_superuser ? "Administrator" : "Member"),
      ...row("Member since", formatDate(user.created_at)),
    );
  }
  renderSummary();

  const emailChanged = (email: string) => email.trim().toLowerCase() !== user.email;
  const form = buildForm<{ full_name: string; email: string; current_password: string }>({
    id: "profile",
    fields: [
      {
        name: "full_name",
        label: "Full name",
        autocomplete: "name",
        value: user.full_name ?? "",
        required: false,
      },
      { name: "email", label: "Email", type: "email", autocomplete: "email", value: user.email },
      {
        name: "current_password",
        label: "Current password",
        type: "password",
        autocomplete: "current-password",
        hint: "Needed to change your email.",
        required: false,
      },
    ],
    submitLabel: "Save changes",
    validate: (values) => ({
      ...validateProfile({ email: values.email, fullName: values.full_name }),
      ...(emailChanged(values.email) && values.current_password === ""
        ? { current_password: "Enter your current password to change your email." }
        : {}),
    }),
    errors: { conflictField: "email", unauthorizedField: "current_password" },
    async onSubmit(values) {
      const fullName = values.full_name.trim();
      const email = values.email.trim();
      user = await api.updateMe({
        full_name: fullName === "" ? null : fullName,
        ...(emailChanged(email) ? { email, current_password: values.current_password } : {}),
      });
      setUser(user);
      renderSummary();
      form.input("email").value = user.email;
      form.input("full_name").value = user.full_name ?? "";
      form.input("current_password").value = "";
      showPasswordWhenEmailChanges();
      form.showSuccess("Your profile has been saved.");
    },
  });

  // The password field appears only while the email differs from the current one.
  const passwordField = form.input("current_password").closest<HTMLElement>(".field");
  function showPasswordWhenEmailChanges(): void {
    if (passwordField) passwordField.hidden = !emailChanged(form.input("email").value);
  }
  form.input("email").addEventListener("input", showPasswordWhenEmailChanges);
  showPasswordWhenEmailChanges();

  const everywhereError = h("p", { class: "form-error", role: "alert" });
  const everywhere = h("button", { type: "button", class: "button button-danger" }, "Sign out everywhere");
  everywhere.addEventListener("click", async () => {
    everywhere.disabled = true;
    everywhereError.textContent = "";
    everywhereError.classList.remove("is-visible");
    try {
      await api.signOutEverywhere();
    } catch (error) {
      everywhere.disabled = false;
      if (error instanceof ApiError && error.sessionExpired) return;
      everywhereError.textContent = feedbackFor(error, { fields: [] }).form ?? "Something went wrong.";
      everywhereError.classList.add("is-visible");
      return;
    }
    setUser(undefined);
    navigate("/sign-in", {
      replace: true,
      flash: { kind: "info", text: "You have signed out on every device." },
    });
  });

  const twoFactor = mfaSection(api, user);
  const passkeys = passkeysSection(api, { onChange: () => void twoFactor.refresh() });

  return {
    title: "Your profile",
    content: h(
      "div",
      { class: "stack" },
      h(
        "section",
        { class: "card", "aria-labelledby": "profile-heading" },
        h("p", { class: "eyebrow" }, "Your profile"),
        Object.assign(heading, { id: "profile-heading" }),
        summary,
        verification,
      ),
      h(
        "section",
        { class: "card", "aria-labelledby": "edit-heading" },
        h("h2", { id: "edit-heading" }, "Edit profile"),
        form.element,
      ),
      twoFactor.element,
      passkeys.element,
      identitiesSection(api),
      h(
        "section",
        { class: "card", "aria-labelledby": "security-heading" },
        h("h2", { id: "security-heading" }, "Security"),
        h(
          "ul",
          { class: "link-list" },
          h("li", {}, link("/password", "Change your password")),
          h("li", {}, link("/delete-account", "Delete your account", { class: "danger-link" })),
        ),
        h(
          "p",
          { class: "lead" },
          "Signed in somewhere you no longer use? End every session of this account, here included.",
        ),
        h("div", { class: "form-actions" }, everywhere),
        everywhereError,
      ),
      sessionsSection(api),
      activitySection(api),
    ),
  };
};

function row(term: string, value: string): HTMLElement[] {
  return [h("dt", {}, term), h("dd", {}, value)];
}

/** Shown while the email is unverified: one button that mails a new link (the API answers 202). */
function verificationNotice(api: ApiClient): HTMLElement {
  return h(
    "div",
    { class: "verification-notice" },
    h("p", {}, "Your email address is not confirmed yet: follow the link we emailed you."),
    createResendButton({
      label: "Resend the verification email",
      waitSeconds: 30,
      send: () => api.resendVerification(),
      sentMessage: "We have sent a new link to your email address.",
    }),
  );
}
