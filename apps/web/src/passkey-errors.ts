/**
 * What to tell a person when the browser's passkey ceremony fails. A ceremony that was aborted on
 * purpose (another one started, the page changed) says nothing: it is not a failure they caused.
 */

/** The message for a failed `startRegistration`/`startAuthentication`, or undefined to stay silent. */
export function passkeyErrorMessage(error: unknown, ceremony: "create" | "use"): string | undefined {
  const name = error instanceof Error ? error.name : "";
  const code = typeof error === "object" && error !== null && "code" in error ? String(error.code) : "";
  if (name === "AbortError" || code === "ERROR_CEREMONY_ABORTED") return undefined;
  if (code === "ERROR_AUTHENTICATOR_PREVIOUSLY_REGISTERED" || name === "InvalidStateError") {
    return "This device already holds a passkey for your account.";
  }
  if (name === "NotAllowedError") {
    return ceremony === "create"
      ? "No passkey was saved: the request was cancelled or timed out."
      : "No passkey was used: the request was cancelled or timed out.";
  }
  if (error instanceof Error && /not supported/i.test(error.message)) {
    return "This browser cannot use passkeys.";
  }
  return ceremony === "create"
    ? "The passkey could not be created. Please try again."
    : "The passkey could not be used. Please try again.";
}
