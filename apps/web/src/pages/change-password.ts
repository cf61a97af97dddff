import { ApiError } from "../api-error.js";
import { h, link } from "../dom.js";
import { buildForm } from "../form.js";
import type { Page } from "../page.js";
import { newPasswordHint, validatePasswordChange } from "../validation.js";

export const changePasswordPage: Page = async ({ api, user, navigate, setUser }) => {
  if (!user) throw new Error("the password page needs a signed-in user");
  const policy = await api.passwordPolicy();
  const form = buildForm<{ current_password: string; new_password: string; confirm_password: string }>({
    id: "change-password",
    fields: [
      {
        name: "current_password",
        label: "Current password",
        type: "password",
        autocomplete: "current-password",
      },
      {
        name: "new_password",
        label: "New password",
        type: "password",
        autocomplete: "new-password",
        hint: newPasswordHint(policy),
      },
      {
        name: "confirm_password",
        label: "Repeat the new password",
        type: "password",
        autocomplete: "new-password",
      },
    ],
    submitLabel: "Change password",
    validate: (values) =>
      validatePasswordChange(
        {
          currentPassword: values.current_password,
          newPassword: values.new_password,
          confirmPassword: values.confirm_password,
        },
        policy,
      ),
    errors: { unauthorizedField: "current_password" },
    footer: link("/profile", "Cancel", { class: "button button-quiet" }),
    async onSubmit(values) {
      await api.changePassword({
        current_password: values.current_password,
        new_password: values.new_password,
      });
      // A password change refuses every earlier token, this one included: sign in again with the new
      // password so the person stays signed in.
      await api.signOut();
      let signedInAgain: boolean;
      try {
        const result = await api.signIn({ email: user.email, password: values.new_password });
        // A second factor needs the person: the sign-in page asks for it.
        signedInAgain = result.kind === "signed-in";
      } catch (error) {
        if (!(error instanceof ApiError)) throw error;
        signedInAgain = false;
      }
      if (!signedInAgain) {
        setUser(undefined);
        navigate("/sign-in", {
          replace: true,
          email: user.email,
          flash: { kind: "success", text: "Your password has been changed. Sign in with the new one." },
        });
        return;
      }
      navigate("/profile", { flash: { kind: "success", text: "Your password has been changed." } });
    },
  });
  return {
    title: "Change password",
    content: h(
      "section",
      { class: "card" },
      h("h1", { tabindex: "-1" }, "Change password"),
      h("p", { class: "lead" }, "You stay signed in here; sessions elsewhere will have to sign in again."),
      form.element,
    ),
  };
};
