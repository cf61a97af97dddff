import { describe, expect, it } from "vitest";
import {
  newPasswordHint,
  validateEmail,
  validateFullName,
  validateNewPassword,
  validatePasswordChange,
  validateProfile,
  validateRegister,
  validateSignIn,
} from "./validation.js";

const DEFAULT_POLICY = { minLength: 8 };

describe("validateEmail (the API's rules: trimmed, ≤ 254 characters, zod's email pattern)", () => {
  it.each([
    "ada@example.com",
    "  ada@example.com  ",
    "first.last+tag@sub.example.co.uk",
    "o'brien@example.ie",
    `${"a".repeat(64)}@${"b".repeat(180)}.com`,
  ])("accepts %s", (email) => {
    expect(validateEmail(email)).toBeUndefined();
  });

  it.each([
    ["", /enter your email/i],
    ["   ", /enter your email/i],
    ["ada", /valid email/i],
    ["ada@", /valid email/i],
    ["@example.com", /valid email/i],
    ["ada@example", /valid email/i],
    ["ada@@example.com", /valid email/i],
    ["ada..lovelace@example.com", /valid email/i],
    [".ada@example.com", /valid email/i],
    ["ada lovelace@example.com", /valid email/i],
    ["ada@-example.com", /valid email/i],
  ])("refuses %j", (email, message) => {
    expect(validateEmail(email)).toMatch(message);
  });

  it("refuses more than 254 characters even when the pattern matches", () => {
    const email = `${"a".repeat(64)}@${"b".repeat(186)}.com`;
    expect(email.length).toBe(255);
    expect(validateEmail(email)).toMatch(/at most 254/);
    expect(validateEmail(email.slice(1))).toBeUndefined();
  });
});

describe("validateNewPassword (≥ 8 characters as code points, ≤ 72 bytes in UTF-8)", () => {
  it("counts characters, not UTF-16 units: 7 emoji are too short, 8 are enough", () => {
    expect("😀".repeat(7).length).toBe(14);
    expect(validateNewPassword("😀".repeat(7), DEFAULT_POLICY)).toMatch(/at least 8/);
    expect(validateNewPassword("😀".repeat(8), DEFAULT_POLICY)).toBeUndefined();
  });

  it("accepts exactly 8 characters and exactly 72 bytes", () => {
    expect(validateNewPassword("12345678", DEFAULT_POLICY)).toBeUndefined();
    expect(validateNewPassword("a".repeat(72), DEFAULT_POLICY)).toBeUndefined();
    expect(validateNewPassword("é".repeat(36), DEFAULT_POLICY)).toBeUndefined();
  });

  it("refuses 73 bytes, including when multi-byte characters push it over", () => {
    expect(validateNewPassword("a".repeat(73), DEFAULT_POLICY)).toBe(
      "Too long: at most 72 characters (fewer with accents or emoji).",
    );
    expect(validateNewPassword(`${"é".repeat(36)}a`, DEFAULT_POLICY)).toBe(
      "Too long: at most 72 characters (fewer with accents or emoji).",
    );
    expect(validateNewPassword("😀".repeat(19), DEFAULT_POLICY)).toBe(
      "Too long: at most 72 characters (fewer with accents or emoji).",
    );
  });

  it("refuses empty and short passwords", () => {
    expect(validateNewPassword("", DEFAULT_POLICY)).toMatch(/choose a password/i);
    expect(validateNewPassword("1234567", DEFAULT_POLICY)).toMatch(/at least 8/);
  });

  it("follows the server's PASSWORD_MIN_LENGTH: 12 refuses a 10-character password", () => {
    const policy = { minLength: 12 };
    expect(validateNewPassword("ten chars!", policy)).toBe("Must be at least 12 characters.");
    expect(validateNewPassword("eleven char", policy)).toMatch(/at least 12/);
    expect(validateNewPassword("twelve chars", policy)).toBeUndefined();
    expect(newPasswordHint(policy)).toBe("At least 12 characters, at most 72 (fewer with accents or emoji).");
  });
});

describe("form validators", () => {
  it("register: reports every bad field at once, keyed by the API's field names", () => {
    expect(
      validateRegister({ email: "nope", fullName: "x".repeat(256), password: "short" }, DEFAULT_POLICY),
    ).toEqual({
      email: expect.stringMatching(/valid email/),
      full_name: expect.stringMatching(/at most 255/),
      password: expect.stringMatching(/at least 8/),
    });
    expect(
      validateRegister({ email: "ada@example.com", fullName: "", password: "correct horse" }, DEFAULT_POLICY),
    ).toEqual({});
  });

  it("full name is optional and trimmed before counting; a NUL is refused as the API does", () => {
    expect(validateFullName("")).toBeUndefined();
    expect(validateFullName(` ${"x".repeat(255)} `)).toBeUndefined();
    expect(validateFullName("Ada\u0000")).toBe("Must not contain NUL characters.");
  });

  it("sign-in only needs something typed (the password rules apply when a password is set)", () => {
    expect(validateSignIn({ email: " ", password: "" })).toEqual({
      email: expect.any(String),
      password: expect.any(String),
    });
    expect(validateSignIn({ email: "ada@example.com", password: "x" })).toEqual({});
  });

  it("profile: email rules apply, the name is optional", () => {
    expect(validateProfile({ email: "ada@example", fullName: "" })).toEqual({ email: expect.any(String) });
    expect(validateProfile({ email: "ada@example.com", fullName: "" })).toEqual({});
  });

  it("password change: current required, new follows the rules, confirmation must match", () => {
    expect(
      validatePasswordChange(
        { currentPassword: "", newPassword: "short", confirmPassword: "x" },
        DEFAULT_POLICY,
      ),
    ).toEqual({
      current_password: expect.any(String),
      new_password: expect.stringMatching(/at least 8/),
      confirm_password: expect.stringMatching(/do not match/),
    });
    expect(
      validatePasswordChange(
        { currentPassword: "old password", newPassword: "new password 1", confirmPassword: "new password 1" },
        DEFAULT_POLICY,
      ),
    ).toEqual({});
  });
});
