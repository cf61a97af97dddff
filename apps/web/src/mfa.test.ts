import { describe, expect, it } from "vitest";
import {
  groupSecret,
  normalizeTotpCode,
  readMfaChallenge,
  recoveryCodesFile,
  recoveryCodesFileName,
} from "./mfa.js";

const MFA_REQUIRED = {
  type: "/problems/mfa-required",
  title: "Second factor required",
  status: 403,
  detail: "This account has a second factor: present it with the mfa_token to finish signing in.",
  mfa_token: "mfa-token-abc",
  methods: ["totp", "recovery_code", "webauthn"],
  mfa_token_expires_in: 300,
};

describe("readMfaChallenge", () => {
  it("reads the token and the methods of a 403 mfa-required problem", () => {
    expect(readMfaChallenge(403, MFA_REQUIRED)).toEqual({
      mfaToken: "mfa-token-abc",
      methods: ["totp", "recovery_code", "webauthn"],
    });
  });

  it("keeps the account's methods only, in a stable order, and drops unknown ones", () => {
    expect(readMfaChallenge(403, { ...MFA_REQUIRED, methods: ["webauthn", "sms", "recovery_code"] })).toEqual(
      {
        mfaToken: "mfa-token-abc",
        methods: ["recovery_code", "webauthn"],
      },
    );
  });

  it("falls back to code and recovery code when the methods are missing or unusable", () => {
    for (const methods of [undefined, "totp", [], ["sms"]]) {
      expect(readMfaChallenge(403, { ...MFA_REQUIRED, methods })?.methods).toEqual(["totp", "recovery_code"]);
    }
  });

  it("is not a challenge for any other answer", () => {
    expect(readMfaChallenge(401, MFA_REQUIRED)).toBeUndefined();
    expect(readMfaChallenge(403, { ...MFA_REQUIRED, type: "/problems/forbidden" })).toBeUndefined();
    expect(readMfaChallenge(403, { ...MFA_REQUIRED, mfa_token: "" })).toBeUndefined();
    expect(readMfaChallenge(403, { ...MFA_REQUIRED, mfa_token: 42 })).toBeUndefined();
    expect(readMfaChallenge(403, undefined)).toBeUndefined();
    expect(readMfaChallenge(403, "mfa-required")).toBeUndefined();
    expect(readMfaChallenge(403, null)).toBeUndefined();
  });
});

describe("groupSecret", () => {
  it("groups a base32 secret in fours for typing", () => {
    expect(groupSecret("JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PX")).toBe("JBSW Y3DP EHPK 3PXP JBSW Y3DP EHPK 3PX");
  });
  it("ignores padding, spaces and case", () => {
    expect(groupSecret("jbsw y3dp==")).toBe("JBSW Y3DP");
    expect(groupSecret("")).toBe("");
  });
});

describe("normalizeTotpCode", () => {
  it("drops the spaces and hyphens people type or paste", () => {
    expect(normalizeTotpCode(" 123 456 ")).toBe("123456");
    expect(normalizeTotpCode("123-456")).toBe("123456");
    expect(normalizeTotpCode("12a456")).toBe("12a456");
  });
});

describe("recovery codes file", () => {
  const codes = Array.from({ length: 10 }, (_, index) => `k3vq-7h2m-x9pa-4df${index}`);

  it("names the account and date, then lists every code on its own line", () => {
    const text = recoveryCodesFile(codes, "ada@example.com", new Date("2026-11-30T04:00:00Z"));
    const lines = text.split("\n");
    expect(lines[0]).toBe("Recovery codes for ada@example.com");
    expect(lines[1]).toMatch(/^Issued 2026-11-30\./);
    expect(lines.filter((line) => /^k3vq-/.test(line))).toEqual(codes);
    expect(text.endsWith("\n")).toBe(true);
  });

  it("has a file name safe on every file system", () => {
    expect(recoveryCodesFileName("ada@example.com")).toBe("recovery-codes-ada-example.com.txt");
    expect(recoveryCodesFileName("../../etc/passwd")).toBe("recovery-codes-..-..-etc-passwd.txt");
    expect(recoveryCodesFileName("@@@")).toBe("recovery-codes-account.txt");
  });
});
