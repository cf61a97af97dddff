/**
 * A "Resend" button that waits between sends and says how long ("Resend the email in 42 s"): each send
 * spends the account's mail allowance, and a second click a moment after the first only spends more.
 */
import { ApiError } from "./api-error.js";
import { h } from "./dom.js";
import { feedbackFor } from "./form.js";
import { countdownLabel } from "./wording.js";

export interface ResendButtonOptions {
  label: string;
  /** Seconds to wait after a send (and at first, when a mail has just gone out). */
  waitSeconds: number;
  /** Start with the wait, because the first mail has just been sent. */
  startWaiting?: boolean;
  send(): Promise<void>;
  sentMessage: string;
}

export function createResendButton(options: ResendButtonOptions): HTMLElement {
  const button = h("button", { type: "button", class: "button" }, options.label);
  // Present from the start so each result is announced; the ticking button is not.
  const status = h("p", { class: "status-message", role: "status" });
  let timer: ReturnType<typeof setInterval> | undefined;

  function wait(seconds: number): void {
    let left = seconds;
    button.disabled = true;
    button.textContent = countdownLabel(options.label, left);
    clearInterval(timer);
    timer = setInterval(() => {
      left -= 1;
      button.textContent = countdownLabel(options.label, left);
      // Gone from the page: stop counting for nobody.
      if (left <= 0 || !button.isConnected) {
        clearInterval(timer);
        button.disabled = false;
        button.textContent = options.label;
      }
    }, 1000);
  }

  function say(kind: "success" | "error", text: string): void {
    status.className = `status-message is-${kind}`;
    status.textContent = text;
  }

  button.addEventListener("click", () => {
    button.disabled = true;
    options
      .send()
      .then(() => {
        say("success", options.sentMessage);
        wait(options.waitSeconds);
      })
      .catch((error: unknown) => {
        button.disabled = false;
        // The client has already sent the person to sign-in.
        if (error instanceof ApiError && error.sessionExpired) return;
        const message = feedbackFor(error, { fields: [] }).form;
        if (message) say("error", message);
      });
  });
  if (options.startWaiting) wait(options.waitSeconds);
  return h("div", { class: "resend" }, button, status);
}
