import { ApiError } from "../api-error.js";
import { h } from "../dom.js";
import { feedbackFor } from "../form.js";

/**
 * Fills a part of a page after the page is shown, so one slow or failing list never blanks the rest. A
 * failure is shown inside `container` with a "Try again" button; an ended session is left to the shell,
 * which has already sent the person to sign-in.
 */
export function loadSection(container: HTMLElement, load: () => Promise<void>): void {
  const problem = h("div", { class: "section-problem" });
  container.append(problem);
  const attempt = (): void => {
    problem.replaceChildren();
    container.setAttribute("aria-busy", "true");
    load()
      .catch((error: unknown) => {
        if (error instanceof ApiError && error.sessionExpired) return;
        const retry = h("button", { type: "button", class: "button button-small" }, "Try again");
        retry.addEventListener("click", attempt);
        problem.replaceChildren(
          h(
            "p",
            { class: "form-error is-visible", role: "alert" },
            feedbackFor(error, { fields: [] }).form ?? "Something went wrong.",
          ),
          retry,
        );
      })
      .finally(() => container.removeAttribute("aria-busy"));
  };
  attempt();
}
