import { describe, expect, it } from "vitest";
import { countdownLabel, formatWait, humanizeFieldMessage, passwordLengthHint } from "./wording.js";

describe("formatWait", () => {
  it("counts seconds exactly under a minute", () => {
    expect(formatWait(1)).toBe("1 second");
    expect(formatWait(45)).toBe("45 seconds");
    expect(formatWait(0)).toBe("1 second");
    expect(formatWait(0.4)).toBe("1 second");
  });

  it("rounds up to the minute up to ten minutes", () => {
    expect(formatWait(60)).toBe("1 minute");
    expect(formatWait(61)).toBe("2 minutes");
    expect(formatWait(600)).toBe("10 minutes");
  });

  it("rounds longer waits up to five minutes, then to hours", () => {
    expect(formatWait(796)).toBe("15 minutes");
    expect(formatWait(601)).toBe("15 minutes");
    expect(formatWait(900)).toBe("15 minutes");
    expect(formatWait(901)).toBe("20 minutes");
    expect(formatWait(3599)).toBe("1 hour");
    expect(formatWait(3300)).toBe("55 minutes");
    expect(formatWait(3601)).toBe("2 hours");
    expect(formatWait(7200)).toBe("2 hours");
  });
});

describe("countdownLabel", () => {
  it("names the seconds left, then the bare action", () => {
    expect(countdownLabel("Resend the email", 42)).toBe("Resend the email in 42 s");
    expect(countdownLabel("Resend the email", 0)).toBe("Resend the email");
  });
});

describe("humanizeFieldMessage", () => {
  it("turns bcrypt's byte limit into characters with the caveat", () => {
    expect(humanizeFieldMessage("must be at most 72 bytes in UTF-8")).toBe(
      "too long: at most 72 characters (fewer with accents or emoji)",
    );
    expect(humanizeFieldMessage("at most 72 bytes")).toBe(
      "too long: at most 72 characters (fewer with accents or emoji)",
    );
  });

  it("leaves every other message as it is", () => {
    expect(humanizeFieldMessage("must be at least 8 characters")).toBe("must be at least 8 characters");
    expect(humanizeFieldMessage("is taken")).toBe("is taken");
  });
});

describe("passwordLengthHint", () => {
  it("states both limits without the word bytes", () => {
    expect(passwordLengthHint(12, 72)).toBe(
      "At least 12 characters, at most 72 (fewer with accents or emoji).",
    );
  });
});
