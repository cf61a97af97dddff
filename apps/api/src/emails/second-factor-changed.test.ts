import { describe, expect, it } from "vitest";
import { secondFactorChangedEmail } from "./second-factor-changed.js";

describe("secondFactorChangedEmail", () => {
  const link = "https://app.test/profile";

  it("names the factor added or removed, links the profile, and says what to do if it was not you", () => {
    const added = secondFactorChangedEmail({
      change: { kind: "added", factor: 'the passkey "Laptop"' },
      link,
    });
    expect(added.subject).toBe("A sign-in factor was added");
    expect(added.text).toContain('the passkey "Laptop"');
    expect(added.text).toContain(link);
    expect(added.text).toMatch(/If this was not you/);
    // Names come from users: escaped in HTML.
    expect(added.html).toContain("the passkey &quot;Laptop&quot;");

    const removed = secondFactorChangedEmail({
      change: { kind: "removed", factor: "the authenticator app" },
      link,
    });
    expect(removed.subject).toBe("A sign-in factor was removed");
  });
});
