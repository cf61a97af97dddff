import { type RenderedEmail, renderLinkEmail } from "./layout.js";

/** What changed, in the words the email uses. */
export type SecondFactorChange =
  | { kind: "added"; factor: string }
  | { kind: "removed"; factor: string }
  | { kind: "removed_by_admin" };

/**
 * The notice sent when a second factor is added or removed: the owner learns of a change they did not
 * make while there is still a session to act from. Links to the profile page (`${PUBLIC_URL}/profile`).
 */
export function secondFactorChangedEmail({
  change,
  link,
}: {
  change: SecondFactorChange;
  link: string;
}): RenderedEmail {
  const intro =
    change.kind === "added"
      ? `A second sign-in factor was added to this account: ${change.factor}.`
      : change.kind === "removed"
        ? `A second sign-in factor was removed from this account: ${change.factor}.`
        : "An administrator removed every second sign-in factor from this account. Signing in now needs only your password; set up a new factor soon.";
  return renderLinkEmail({
    subject: change.kind === "added" ? "A sign-in factor was added" : "A sign-in factor was removed",
    intro,
    action: "Review your security settings",
    link,
    outro:
      "If this was not you, change your password at once and sign out everywhere from your profile, then contact support.",
  });
}
