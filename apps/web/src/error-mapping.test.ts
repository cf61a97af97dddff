import { describe, expect, it } from "vitest";
import { ApiError, apiErrorFromProblem } from "./api-error.js";
import { mapApiError, sentence } from "./error-mapping.js";

const REGISTER = { fields: ["email", "full_name", "password"], conflictField: "email" } as const;

describe("apiErrorFromProblem", () => {
  it("reads an RFC 9457 problem with field errors", () => {
    const error = apiErrorFromProblem(422, {
      type: "/problems/validation-failed",
      title: "Your request parameters didn't validate",
      status: 422,
      detail: "The request body is invalid: see errors.",
      errors: [
        { path: "password", message: "must be at least 8 characters" },
        { path: "password", message: "must be at most 72 bytes in UTF-8" },
        { path: "email", message: "must be a valid email address" },
      ],
    });
    expect(error).toBeInstanceOf(ApiError);
    expect(error).toMatchObject({
      status: 422,
      type: "/problems/validation-failed",
      title: "Your request parameters didn't validate",
      detail: "The request body is invalid: see errors.",
      fieldErrors: { password: "must be at least 8 characters", email: "must be a valid email address" },
      sessionExpired: false,
    });
  });

  it("survives bodies that are not problems", () => {
    for (const body of [
      undefined,
      null,
      "text",
      [],
      { errors: "nope" },
      { errors: [null, 3, { message: 1 }] },
    ]) {
      const error = apiErrorFromProblem(502, body);
      expect(error.status).toBe(502);
      expect(error.title).toBe("HTTP 502");
      expect(error.detail).toBe("");
    }
    expect(apiErrorFromProblem(422, { errors: [{ message: "bad" }] }).fieldErrors).toEqual({ body: "bad" });
  });

  it("reads Retry-After seconds and ignores dates or junk", () => {
    expect(apiErrorFromProblem(429, {}, "30").retryAfterSeconds).toBe(30);
    expect(apiErrorFromProblem(429, {}, "soon").retryAfterSeconds).toBeUndefined();
    expect(apiErrorFromProblem(429, {}, null).retryAfterSeconds).toBeUndefined();
  });
});

describe("mapApiError", () => {
  it("puts each 422 error next to its field, as a sentence", () => {
    const error = apiErrorFromProblem(422, {
      detail: "The request body is invalid: see errors.",
      errors: [
        { path: "email", message: "must be a valid email address" },
        { path: "password", message: "must be at most 72 bytes in UTF-8" },
      ],
    });
    expect(mapApiError(error, REGISTER)).toEqual({
      fields: {
        email: "Must be a valid email address.",
        password: "Too long: at most 72 characters (fewer with accents or emoji).",
      },
      form: undefined,
    });
  });

  it("shows errors for fields the form does not have at form level, never drops them", () => {
    const error = apiErrorFromProblem(422, {
      detail: "The request body is invalid: see errors.",
      errors: [
        { path: "email", message: "must be a valid email address" },
        { path: "body", message: "expected object" },
        { path: "is_superuser", message: "unrecognized key" },
      ],
    });
    expect(mapApiError(error, REGISTER)).toEqual({
      fields: { email: "Must be a valid email address." },
      form: "Request: expected object; is superuser: unrecognized key.",
    });
  });

  it("maps nested paths to their top-level field", () => {
    const error = apiErrorFromProblem(422, { errors: [{ path: "email.0", message: "bad" }] });
    expect(mapApiError(error, REGISTER).fields).toEqual({ email: "Bad." });
  });

  it("uses the detail when a 422 has no field errors", () => {
    const error = apiErrorFromProblem(422, { detail: "Nothing to update." });
    expect(mapApiError(error, REGISTER)).toEqual({ fields: {}, form: "Nothing to update." });
  });

  it("puts a 409 on the conflicting field when there is one, at form level otherwise", () => {
    const error = apiErrorFromProblem(409, {
      type: "/problems/email-taken",
      title: "Email already registered",
      detail: "A user with this email already exists",
    });
    expect(mapApiError(error, REGISTER)).toEqual({
      fields: { email: "A user with this email already exists." },
      form: undefined,
    });
    expect(mapApiError(error, { fields: [] })).toEqual({
      fields: {},
      form: "A user with this email already exists.",
    });
  });

  it("shows a sign-in 401 at form level, and a wrong current password next to its field", () => {
    const error = apiErrorFromProblem(401, {
      type: "/problems/invalid-credentials",
      title: "Invalid credentials",
      detail: "Incorrect email or password.",
    });
    expect(mapApiError(error, { fields: ["email", "password"] })).toEqual({
      fields: {},
      form: "Incorrect email or password.",
    });
    expect(
      mapApiError(error, { fields: ["current_password"], unauthorizedField: "current_password" }),
    ).toEqual({
      fields: { current_password: "Incorrect email or password." },
      form: undefined,
    });
  });

  it("explains rate limits with the wait from Retry-After", () => {
    expect(mapApiError(apiErrorFromProblem(429, {}, "1"), REGISTER).form).toBe(
      "Too many attempts. Please try again in 1 second.",
    );
    expect(mapApiError(apiErrorFromProblem(429, {}, "45"), REGISTER).form).toBe(
      "Too many attempts. Please try again in 45 seconds.",
    );
    expect(mapApiError(apiErrorFromProblem(429, {}, "61"), REGISTER).form).toBe(
      "Too many attempts. Please try again in 2 minutes.",
    );
    expect(mapApiError(apiErrorFromProblem(429, {}, "796"), REGISTER).form).toBe(
      "Too many attempts. Please try again in 15 minutes.",
    );
    expect(mapApiError(apiErrorFromProblem(429, {}), REGISTER).form).toBe(
      "Too many attempts. Please try again in a moment.",
    );
  });

  it("has a message for network failures and server errors", () => {
    expect(mapApiError(new ApiError({ status: 0 }), REGISTER).form).toMatch(/could not reach the server/i);
    expect(mapApiError(apiErrorFromProblem(500, {}), REGISTER).form).toMatch(/on our side/);
    expect(
      mapApiError(
        apiErrorFromProblem(500, { detail: "Something went wrong on our side; quote request id abc." }),
        REGISTER,
      ).form,
    ).toContain("quote request id abc");
  });

  it("lets a page override the message for a status", () => {
    const error = apiErrorFromProblem(403, { detail: "You are not allowed to do this." });
    expect(mapApiError(error, { fields: [], messages: { 403: "Only administrators can do this." } })).toEqual(
      {
        fields: {},
        form: "Only administrators can do this.",
      },
    );
    expect(mapApiError(error, { fields: [] }).form).toBe("You are not allowed to do this.");
  });
});

describe("sentence", () => {
  it("capitalises and ends with a full stop once", () => {
    expect(sentence("must be at least 8 characters")).toBe("Must be at least 8 characters.");
    expect(sentence("Already fine.")).toBe("Already fine.");
    expect(sentence("Really?")).toBe("Really?");
    expect(sentence("  ")).toBe("");
  });
});
