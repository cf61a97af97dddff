/**
 * A list of signed-in sessions with a "Sign out" button on each, shared by the profile (your own
 * sessions) and the administrators' user page (someone else's). Updates are announced in a polite live
 * region; focus never falls off the page when the button that had it disappears.
 */
import type { SessionInfo } from "../api-client.js";
import { ApiError } from "../api-error.js";
import { deviceLabel } from "../device-label.js";
import { h } from "../dom.js";
import { feedbackFor } from "../form.js";
import { formatDateTime, formatRelativeTime } from "../relative-time.js";

export interface SessionListOptions {
  load(): Promise<SessionInfo[]>;
  revoke(session: SessionInfo): Promise<void>;
  /** The profile offers one button that ends every session but the current one. */
  offerSignOutOthers: boolean;
  /** What the list says when there is no session. */
  emptyText: string;
}

export interface SessionList {
  element: HTMLElement;
  reload(): Promise<void>;
}

export function sessionList(options: SessionListOptions): SessionList {
  const status = h("p", { class: "status-message", role: "status", "aria-live": "polite" });
  const list = h("ul", { class: "session-list", tabindex: "-1", "aria-label": "Sessions" });
  const others = h(
    "button",
    { type: "button", class: "button button-danger" },
    "Sign out all other sessions",
  );
  others.hidden = true;
  const actions = h("div", { class: "form-actions" }, others);
  let sessions: SessionInfo[] = [];

  function say(kind: "error" | "success" | "info", text: string): void {
    status.textContent = text;
    status.className = `status-message is-visible is-${kind}`;
  }

  function fail(error: unknown): void {
    // The shell has already sent the person to sign-in.
    if (error instanceof ApiError && error.sessionExpired) return;
    say("error", feedbackFor(error, { fields: [] }).form ?? "Something went wrong.");
  }

  async function reload(): Promise<void> {
    list.setAttribute("aria-busy", "true");
    try {
      sessions = await options.load();
    } finally {
      list.removeAttribute("aria-busy");
    }
    list.replaceChildren(...sessions.map(renderSession));
    if (sessions.length === 0) list.append(h("li", { class: "session-empty" }, options.emptyText));
    others.hidden = !options.offerSignOutOthers || !sessions.some((session) => !session.current);
  }

  /** A session that is already gone counts as signed out. */
  async function revokeQuietly(session: SessionInfo): Promise<void> {
    try {
      await options.revoke(session);
    } catch (error) {
      if (!(error instanceof ApiError && error.status === 404)) throw error;
    }
  }

  function renderSession(session: SessionInfo): HTMLLIElement {
    // The server's label, else ours: it has none for agents it cannot parse (scripts, unusual browsers).
    const device = session.device || deviceLabel(session.user_agent);
    const place = session.ip ?? "unknown address";
    const item = h(
      "li",
      { class: "session-item", "data-session-id": session.id },
      h(
        "div",
        { class: "session-main" },
        h(
          "p",
          { class: "session-device" },
          device,
          session.current ? h("span", { class: "badge" }, "This device") : null,
        ),
        h(
          "p",
          { class: "session-meta" },
          h("span", {}, `IP ${place}`),
          h("span", {}, "Last active ", timeElement(session.last_used_at)),
          h("span", {}, "Signed in ", timeElement(session.created_at)),
        ),
        session.user_agent && session.user_agent !== device
          ? h("p", { class: "session-agent" }, session.user_agent)
          : null,
      ),
    );
    if (session.current && options.offerSignOutOthers) return item;

    const button = h(
      "button",
      {
        type: "button",
        class: "button button-small button-danger-quiet",
        "aria-label": `Sign out ${device}, ${place}`,
      },
      "Sign out",
    );
    button.addEventListener("click", () => {
      button.disabled = true;
      button.textContent = "Signing out…";
      revokeQuietly(session)
        .then(() => reload())
        .then(() => {
          say("success", `Signed out of ${device} (${place}).`);
          list.focus();
        })
        .catch((error: unknown) => {
          button.disabled = false;
          button.textContent = "Sign out";
          fail(error);
        });
    });
    item.append(button);
    return item;
  }

  others.addEventListener("click", async () => {
    others.disabled = true;
    const targets = sessions.filter((session) => !session.current);
    try {
      // One request per session: the API ends sessions one by one and keeps the current one alive.
      for (const session of targets) await revokeQuietly(session);
      await reload();
      say(
        "success",
        targets.length === 1
          ? "Signed out of 1 other session."
          : `Signed out of ${targets.length} other sessions.`,
      );
      list.focus();
    } catch (error) {
      fail(error);
      await reload().catch(() => undefined);
    } finally {
      others.disabled = false;
    }
  });

  return { element: h("div", { class: "session-block" }, status, list, actions), reload };
}

/** A relative time ("5 minutes ago") whose exact value is in `datetime` and the tooltip. */
export function timeElement(iso: string): HTMLTimeElement {
  return h("time", { datetime: iso, title: formatDateTime(iso) }, formatRelativeTime(iso));
}
