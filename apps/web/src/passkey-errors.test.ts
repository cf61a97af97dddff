import { describe, expect, it } from "vitest";
import { passkeyErrorMessage } from "./passkey-errors.js";

/** The shape @simplewebauthn/browser throws: an Error whose name mirrors the DOMException, plus a code. */
function webAuthnError(name: string, code: string): Error {
  return Object.assign(new Error("ceremony failed"), { name, code });
}

describe("passkeyErrorMessage", () => {
  it("stays silent for a ceremony that was aborted on purpose", () => {
    expect(passkeyErrorMessage(webAuthnError("AbortError", "ERROR_CEREMONY_ABORTED"), "use")).toBeUndefined();
    expect(passkeyErrorMessage(new DOMException("aborted", "AbortError"), "create")).toBeUndefined();
  });

  it("says a cancelled or timed-out dialog saved or used nothing", () => {
    const cancelled = webAuthnError("NotAllowedError", "ERROR_PASSTHROUGH_SEE_CAUSE_PROPERTY");
    expect(passkeyErrorMessage(cancelled, "create")).toBe(
      "No passkey was saved: the request was cancelled or timed out.",
    );
    expect(passkeyErrorMessage(cancelled, "use")).toBe(
      "No passkey was used: the request was cancelled or timed out.",
    );
  });

  it("recognises a device that already holds a passkey for the account", () => {
    const duplicate = webAuthnError("InvalidStateError", "ERROR_AUTHENTICATOR_PREVIOUSLY_REGISTERED");
    expect(passkeyErrorMessage(duplicate, "create")).toBe(
      "This device already holds a passkey for your account.",
    );
  });

  it("says when the browser has no WebAuthn, and has a generic message for the rest", () => {
    expect(passkeyErrorMessage(new Error("WebAuthn is not supported in this browser"), "use")).toBe(
      "This browser cannot use passkeys.",
    );
    expect(passkeyErrorMessage("weird", "create")).toBe(
      "The passkey could not be created. Please try again.",
    );
  });
});
