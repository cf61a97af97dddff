import { describe, expect, it } from "vitest";
import { fromPasswordPolicyResource, toPasswordPolicyResource } from "./password-policy.js";

describe("password policy on the wire", () => {
  it("carries the configured minimum and bcrypt's byte limit", () => {
    expect(toPasswordPolicyResource({ minLength: 12 })).toEqual({ min_length: 12, max_bytes: 72 });
    expect(fromPasswordPolicyResource({ min_length: 12, max_bytes: 72 })).toEqual({ minLength: 12 });
  });

  it("never goes below 8, whatever a response says", () => {
    expect(fromPasswordPolicyResource({ min_length: 3, max_bytes: 72 })).toEqual({ minLength: 8 });
  });
});
