/**
 * Human words for the security log's event types. The API may add types before this app knows them, so
 * an unknown type still reads as a sentence rather than a code.
 */
const EVENT_LABELS: Record<string, string> = {
  "user.registered": "Account created",
  "login.succeeded": "Signed in",
  "login.failed": "Failed sign-in attempt",
  "mfa.failed": "Failed two-step verification",
  "password.changed": "Password changed",
  "password.reset": "Password reset by email link",
  "email.changed": "Email address changed",
  "email.verified": "Email address confirmed",
  "mfa.enabled": "Two-step verification turned on",
  "mfa.disabled": "Two-step verification turned off",
  "passkey.added": "Passkey added",
  "passkey.removed": "Passkey removed",
  "session.revoked": "Signed out of a session",
  "sessions.revoked_all": "Signed out everywhere",
  "refresh.reuse_detected": "Stolen sign-in suspected: sessions ended",
  "user.updated_by_admin": "Account changed by an administrator",
  "user.deleted": "Account deleted",
  "identity.linked": "Sign-in provider linked",
  "identity.unlinked": "Sign-in provider unlinked",
};

/** The event types the audit-log filter offers, in the order the contract lists them. */
export const KNOWN_EVENT_TYPES: readonly string[] = Object.keys(EVENT_LABELS);

/** Events a person should look at twice (shown with a warning mark). */
const WARNING_TYPES = new Set(["login.failed", "mfa.failed", "refresh.reuse_detected", "mfa.disabled"]);

export function eventTypeLabel(type: string): string {
  const known = EVENT_LABELS[type];
  if (known !== undefined) return known;
  // "some_area.thing_happened" → "Some area thing happened"
  const words = type.replace(/[._-]+/g, " ").trim();
  return words === "" ? "Unknown event" : words.charAt(0).toUpperCase() + words.slice(1);
}

export function isWarningEvent(type: string): boolean {
  return WARNING_TYPES.has(type);
}

/**
 * `{reason: "bad_password", attempts: 3}` → "reason: bad_password · attempts: 3", empty values left out.
 * The API never puts a password, token, code or hash in `details`.
 */
export function eventDetailsText(details: Record<string, unknown> | null | undefined): string {
  if (!details) return "";
  return Object.entries(details)
    .filter(([, value]) => value !== null && value !== undefined && value !== "")
    .map(
      ([key, value]) =>
        `${key.replaceAll("_", " ")}: ${typeof value === "string" ? value : JSON.stringify(value)}`,
    )
    .join(" · ");
}
