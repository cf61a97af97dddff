import { type RenderedEmail, renderLinkEmail } from "./layout.js";

/** What changed, in the words the email uses. */
export type SecondFactorChange = { kind: "added"; factor: string } | { kind: "removed"; factor: string };

/**
 * The notice sent when a second factor is added, or removed while another remains: the owner learns of a
 * change they did not make while there is still a session to act from. When none remains, the durable
 * "two-factor authentication was turned off" notice of the outbox is sent instead. Links to the profile
 * page (`${PUBLIC_URL}/profile`).
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
      : `A second sign-in factor was removed from this account: ${change.factor}.`;
  return renderLinkEmail({
    subject: change.kind === "added" ? "A sign-in factor was added" : "A sign-in factor was removed",
    intro,
    action: "Review your security settings",
    link,
    outro:
      "If this was not you, change your password at once and sign out everywhere from your profile, then contact support.",
  });
}
