import { ApiError } from "../api-error.js";
import { h, link } from "../dom.js";
import { feedbackFor } from "../form.js";
import type { Page } from "../page.js";

/** Two steps: the first button only reveals the confirmation; the second one deletes. */
export const deleteAccountPage: Page = ({ api, user, navigate, setUser }) => {
  if (!user) throw new Error("the delete page needs a signed-in user");
  const status = h("div", { class: "form-error", "aria-live": "polite" });
  const start = h("button", { type: "button", class: "button button-danger" }, "Delete my account…");
  const confirm = h("button", { type: "button", class: "button button-danger" }, "Yes, delete my account");
  const cancel = h("button", { type: "button", class: "button button-quiet" }, "Cancel");
  const confirmHeading = h("h2", { id: "confirm-heading", tabindex: "-1" }, "Are you sure?");
  const confirmation = h(
    "div",
    { class: "confirm-panel", role: "group", "aria-labelledby": "confirm-heading", hidden: true },
    confirmHeading,
    h(
      "p",
      {},
      "This permanently deletes ",
      h("strong", {}, user.email),
      " and everything stored with it. It cannot be undone.",
    ),
    h("div", { class: "form-actions" }, confirm, cancel),
  );

  start.addEventListener("click", () => {
    confirmation.hidden = false;
    start.hidden = true;
    confirmHeading.focus();
  });
  cancel.addEventListener("click", () => {
    confirmation.hidden = true;
    start.hidden = false;
    status.textContent = "";
    status.classList.remove("is-visible");
    start.focus();
  });
  confirm.addEventListener("click", () => {
    if (confirm.disabled) return;
    confirm.disabled = true;
    cancel.disabled = true;
    confirm.textContent = "Deleting…";
    status.textContent = "";
    status.classList.remove("is-visible");
    api
      .deleteMe()
      .then(() => {
        setUser(undefined);
        navigate("/sign-in", {
          replace: true,
          flash: { kind: "info", text: "Your account has been deleted. We are sorry to see you go." },
        });
      })
      .catch((error: unknown) => {
        if (error instanceof ApiError && error.sessionExpired) return;
        status.textContent = feedbackFor(error, { fields: [] }).form ?? "";
        status.classList.add("is-visible");
        confirm.disabled = false;
        cancel.disabled = false;
        confirm.textContent = "Yes, delete my account";
      });
  });

  return {
    title: "Delete account",
    content: h(
      "section",
      { class: "card" },
      h("h1", { tabindex: "-1" }, "Delete account"),
      h(
        "p",
        { class: "lead" },
        "Deleting your account signs you out and removes your profile. The email address can be used to register again.",
      ),
      status,
      h(
        "div",
        { class: "form-actions" },
        start,
        link("/profile", "Back to profile", { class: "button button-quiet" }),
      ),
      confirmation,
    ),
  };
};
