import { describe, expect, it } from "vitest";
import { eventDetailsText, eventTypeLabel, isWarningEvent, KNOWN_EVENT_TYPES } from "./event-labels.js";

describe("eventTypeLabel", () => {
  it("names every type the contract lists", () => {
    const contractTypes = [
      "user.registered",
      "login.succeeded",
      "login.failed",
      "mfa.failed",
      "password.changed",
      "password.reset",
      "email.changed",
      "email.verified",
      "mfa.enabled",
      "mfa.disabled",
      "passkey.added",
      "passkey.removed",
      "session.revoked",
      "sessions.revoked_all",
      "refresh.reuse_detected",
      "user.updated_by_admin",
      "user.deleted",
      "identity.linked",
      "identity.unlinked",
    ];
    expect([...KNOWN_EVENT_TYPES].sort()).toEqual([...contractTypes].sort());
    const labels = contractTypes.map(eventTypeLabel);
    for (const [index, label] of labels.entries()) {
      // A label is words for people, not the code with its dots.
      expect(label, contractTypes[index]).not.toContain(".");
      expect(label, contractTypes[index]).toMatch(/^[A-Z]/);
    }
    expect(new Set(labels).size).toBe(labels.length);
  });

  it.each([
    ["login.succeeded", "Signed in"],
    ["login.failed", "Failed sign-in attempt"],
    ["sessions.revoked_all", "Signed out everywhere"],
  ])("%s → %s", (type, label) => {
    expect(eventTypeLabel(type)).toBe(label);
  });

  it("turns an unknown type into words instead of showing the code", () => {
    expect(eventTypeLabel("webhook.secret_rotated")).toBe("Webhook secret rotated");
    expect(eventTypeLabel("")).toBe("Unknown event");
    expect(eventTypeLabel("...")).toBe("Unknown event");
  });

  it("marks the events worth a second look", () => {
    expect(isWarningEvent("login.failed")).toBe(true);
    expect(isWarningEvent("refresh.reuse_detected")).toBe(true);
    expect(isWarningEvent("login.succeeded")).toBe(false);
  });
});

describe("eventDetailsText", () => {
  it("lists the details in words, leaving empty values out", () => {
    expect(
      eventDetailsText({ reason: "bad_password", device: "", session_id: "abc", attempts: 3, extra: null }),
    ).toBe("reason: bad_password · session id: abc · attempts: 3");
    expect(eventDetailsText({ changed: { is_active: false } })).toBe('changed: {"is_active":false}');
    expect(eventDetailsText({})).toBe("");
    expect(eventDetailsText(null)).toBe("");
  });
});
