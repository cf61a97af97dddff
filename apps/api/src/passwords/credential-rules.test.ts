import { MAX_PASSWORD_BYTES } from "@app/auth";
import { MAX_PASSWORD_UTF8_BYTES } from "@app/validators";
import { describe, expect, it } from "vitest";
import { emailSchema, fullNameSchema, newPasswordSchema } from "../routes/v1/users/users.wire.js";
import { createEmailRule, createFullNameRule, createNewPasswordRule } from "./credential-rules.js";

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

  it.each(["Ada", "x".repeat(255), "x".repeat(256), "Ada\u0000"])(
    "judge the full name %j as the wire schema does",
    (name) => {
      expect(createFullNameRule().safeParse(name).success).toBe(fullNameSchema.safeParse(name).success);
    },
  );

  it("add the common-password list to the shared rules", () => {
    expect(createNewPasswordRule().safeParse("password1").error?.issues[0]?.message).toBe(
      "is too common; choose another",
    );
    expect(createNewPasswordRule().safeParse("correct horse battery").success).toBe(true);
  });
});
