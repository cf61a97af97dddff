import { h, link } from "../dom.js";
import type { Page } from "../page.js";

export const notFoundPage: Page = () => ({
  title: "Page not found",
  content: h(
    "section",
    { class: "card" },
    h("h1", { tabindex: "-1" }, "Page not found"),
    h("p", { class: "lead" }, "There is nothing at this address."),
    h("p", {}, link("/", "Go to the start page")),
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
