import { h, link } from "../dom.js";
import type { Page } from "../page.js";

/** The client's 404: an address no route knows. It offers the way back that fits the visitor. */
export const notFoundPage: Page = ({ api }) => ({
  title: "Page not found",
  content: h(
    "section",
    { class: "card" },
    h("p", { class: "eyebrow" }, "Error 404"),
    h("h1", { tabindex: "-1" }, "Page not found"),
    h("p", { class: "lead" }, "There is nothing at this address. Check the link, or start again from here:"),
    h(
      "div",
      { class: "form-actions" },
      api.isSignedIn()
        ? link("/profile", "Go to your profile", { class: "button button-primary" })
        : link("/sign-in", "Go to sign in", { class: "button button-primary" }),
    ),
  ),
});

export const forbiddenPage: Page = () => ({
  title: "Not allowed",
  content: h(
    "section",
    { class: "card" },
    h("h1", { tabindex: "-1" }, "Not allowed"),
    h("p", { class: "lead" }, "Only administrators can see this page."),
    h("p", {}, link("/profile", "Back to your profile")),
  ),
});
