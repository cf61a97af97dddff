import { ApiError } from "../api-error.js";
import { h, link } from "../dom.js";
import type { Page } from "../page.js";

/** The page a verification email links to: `/verify-email?token=…`; it confirms at once. */
export const verifyEmailPage: Page = async ({ api, query, setUser }) => {
  const token = query.get("token") ?? "";
  let message: HTMLElement;
  try {
    if (token === "") throw new ApiError({ status: 400, detail: "This link has no token." });
    await api.verifyEmail(token);
    // The cached profile still says "unverified": drop it so the next page loads it afresh.
    setUser(undefined);
    message = h(
      "div",
      { class: "status-message is-success", role: "status" },
      "Your email address is confirmed.",
    );
  } catch (error) {
    if (!(error instanceof ApiError)) throw error;
    message = h(
      "div",
      { class: "status-message is-error", role: "alert" },
      "This verification link is invalid, expired or already used. Sign in and ask for a new one from your profile.",
    );
  }
  return {
    title: "Confirm your email",
    content: h(
      "section",
      { class: "card" },
      h("h1", { tabindex: "-1" }, "Confirm your email"),
      message,
      h("p", { class: "card-footer" }, link(api.isSignedIn() ? "/profile" : "/sign-in", "Continue")),
    ),
  };
};
