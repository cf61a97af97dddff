import { describe, expect, it } from "vitest";
import { MAX_PASSWORD_UTF8_BYTES } from "./credential-limits.js";
import {
  createEmailRule,
  createFullNameRule,
  createNewPasswordRule,
  utf8ByteLength,
} from "./credential-rules.js";

const firstMessage = (result: { error?: { issues: { message: string }[] } | undefined }) =>
  result.error?.issues[0]?.message;

describe("createEmailRule", () => {
  it.each([
    "ada@example.com",
    "  ada@example.com  ",
    "first.last+tag@sub.example.co.uk",
    "o'brien@example.ie",
  ])("accepts %j and trims it", (email) => {
    expect(createEmailRule().parse(email)).toBe(email.trim());
  });

  it.each([
    "ada",
    "ada@",
    "@example.com",
    "ada@example",
    "ada..lovelace@example.com",
    "ada lovelace@example.com",
  ])("refuses %j as not an email address", (email) => {
    expect(firstMessage(createEmailRule().safeParse(email))).toBe("must be a valid email address");
  });

  it("refuses more than 254 characters even when the pattern matches", () => {
    const email = `${"a".repeat(64)}@${"b".repeat(186)}.com`;
    expect(email.length).toBe(255);
    expect(firstMessage(createEmailRule().safeParse(email))).toBe("must be at most 254 characters");
    expect(createEmailRule().safeParse(email.slice(1)).success).toBe(true);
  });
});

describe("createNewPasswordRule", () => {
  it("counts code points: 7 emoji are too short, 8 are enough", () => {
    expect(firstMessage(createNewPasswordRule().safeParse("😀".repeat(7)))).toBe(
      "must be at least 8 characters",
    );
    expect(createNewPasswordRule().safeParse("😀".repeat(8)).success).toBe(true);
  });

  it("follows a configured minimum", () => {
    expect(firstMessage(createNewPasswordRule(12).safeParse("a".repeat(11)))).toBe(
      "must be at least 12 characters",
    );
    expect(createNewPasswordRule(12).safeParse("a".repeat(12)).success).toBe(true);
  });

  it("accepts exactly 72 bytes and refuses 73, multi-byte characters included", () => {
    expect(createNewPasswordRule().safeParse("a".repeat(72)).success).toBe(true);
    expect(createNewPasswordRule().safeParse("é".repeat(36)).success).toBe(true);
    for (const tooLong of ["a".repeat(73), `${"é".repeat(36)}a`, "😀".repeat(19)]) {
      expect(firstMessage(createNewPasswordRule().safeParse(tooLong))).toBe(
        `must be at most ${MAX_PASSWORD_UTF8_BYTES} bytes in UTF-8`,
      );
    }
  });

  it("runs an extra check only on a password that passed on length", () => {
    const seen: string[] = [];
    const rule = createNewPasswordRule(8, {
      accepts: (password) => {
        seen.push(password);
        return password !== "password1";
      },
      message: "is too common",
    });
    expect(firstMessage(rule.safeParse("password1"))).toBe("is too common");
    expect(rule.safeParse("short").success).toBe(false);
    expect(rule.safeParse("a".repeat(73)).success).toBe(false);
    expect(rule.safeParse("correct horse").success).toBe(true);
    expect(seen).toEqual(["password1", "correct horse"]);
  });
});

describe("createFullNameRule", () => {
  it("trims, allows 255 characters and refuses 256 or a NUL", () => {
    expect(createFullNameRule().parse(` ${"x".repeat(255)} `)).toBe("x".repeat(255));
    expect(firstMessage(createFullNameRule().safeParse("x".repeat(256)))).toBe(
      "must be at most 255 characters",
    );
    expect(firstMessage(createFullNameRule().safeParse("Ada\u0000"))).toBe("must not contain NUL characters");
  });
});

describe("utf8ByteLength", () => {
  it("measures UTF-8 bytes as bcrypt does", () => {
    expect(utf8ByteLength("a")).toBe(1);
    expect(utf8ByteLength("é")).toBe(2);
    expect(utf8ByteLength("€")).toBe(3);
    expect(utf8ByteLength("😀")).toBe(4);
  });
});
