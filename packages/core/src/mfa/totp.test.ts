import { describe, expect, it } from "vitest";
import { matchTotpStep, totpCodeForStep, totpKeyUri, totpSecretToBase32, totpStepAt } from "./totp.js";

// RFC 6238 appendix B: the SHA-1 key is the ASCII string "12345678901234567890", codes have 8 digits.
const RFC_SHA1_KEY = new TextEncoder().encode("12345678901234567890");
const RFC_SHA1_VECTORS: Array<[seconds: number, code: string]> = [
  [59, "94287082"],
  [1111111109, "07081804"],
  [1111111111, "14050471"],
  [1234567890, "89005924"],
  [2000000000, "69279037"],
  [20000000000, "65353130"],
];

describe("TOTP (RFC 6238)", () => {
  it.each(RFC_SHA1_VECTORS)("at %i s the SHA-1 code is %s (RFC 6238 appendix B)", (seconds, code) => {
    expect(totpCodeForStep(RFC_SHA1_KEY, totpStepAt(seconds * 1000), 8)).toBe(code);
  });

  it("accepts the current step and one either side, and nothing further", () => {
    const at = 1_700_000_000_000;
    const step = totpStepAt(at);
    for (const offset of [-1, 0, 1]) {
      expect(matchTotpStep(RFC_SHA1_KEY, totpCodeForStep(RFC_SHA1_KEY, step + offset), at, null)).toBe(
        step + offset,
      );
    }
    for (const offset of [-2, 2]) {
      expect(matchTotpStep(RFC_SHA1_KEY, totpCodeForStep(RFC_SHA1_KEY, step + offset), at, null)).toBeNull();
    }
  });

  it("never matches a step at or before the last accepted one", () => {
    const at = 1_700_000_000_000;
    const step = totpStepAt(at);
    const code = totpCodeForStep(RFC_SHA1_KEY, step);
    expect(matchTotpStep(RFC_SHA1_KEY, code, at, step)).toBeNull();
    expect(matchTotpStep(RFC_SHA1_KEY, code, at, step - 1)).toBe(step);
    expect(matchTotpStep(RFC_SHA1_KEY, totpCodeForStep(RFC_SHA1_KEY, step - 1), at, step - 1)).toBeNull();
  });

  it("refuses anything that is not six digits", () => {
    for (const code of ["", "12345", "1234567", "abcdef", " 123456"]) {
      expect(matchTotpStep(RFC_SHA1_KEY, code, 0, null)).toBeNull();
    }
  });

  it("writes the key URI authenticator apps read", () => {
    const uri = new URL(totpKeyUri("User Management", "ada@example.com", RFC_SHA1_KEY));
    expect(uri.protocol).toBe("otpauth:");
    expect(uri.searchParams.get("secret")).toBe(totpSecretToBase32(RFC_SHA1_KEY));
    expect(uri.searchParams.get("issuer")).toBe("User Management");
    expect(uri.searchParams.get("digits")).toBe("6");
    expect(uri.searchParams.get("period")).toBe("30");
    expect(totpSecretToBase32(RFC_SHA1_KEY)).toBe("GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ");
  });
});
