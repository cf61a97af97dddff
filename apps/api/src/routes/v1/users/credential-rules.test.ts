import { MAX_PASSWORD_BYTES } from "@app/auth";
import { describe, expect, it } from "vitest";
import { createEmailRule, createNewPasswordRule, MAX_PASSWORD_UTF8_BYTES } from "./credential-rules.js";
import { emailSchema, newPasswordSchema } from "./users.wire.js";

describe("credential rules", () => {
  it("use bcrypt's byte limit from @app/auth", () => {
    expect(MAX_PASSWORD_UTF8_BYTES).toBe(MAX_PASSWORD_BYTES);
  });

  it.each(["a@example.com", " A@Example.com ", "not-an-email", `${"a".repeat(250)}@x.io`])(
    "judge the email %j as the wire schema does",
    (email) => {
      expect(createEmailRule().safeParse(email).success).toBe(emailSchema.safeParse(email).success);
    },
  );

  it.each(["1234567", "12345678", "é".repeat(36), `${"é".repeat(36)}x`, "🔑🔑🔑🔑🔑🔑🔑🔑", "password1"])(
    "judge the password %j as the wire schema does",
    (password) => {
      expect(createNewPasswordRule().safeParse(password).success).toBe(
        newPasswordSchema.safeParse(password).success,
      );
    },
  );
});
