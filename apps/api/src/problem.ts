/**
 * Every error response is an RFC 9457 problem (application/problem+json). This file is the one table
 * from error code to status, title and type; `app.onError` and the validation hook are its only callers.
 */
import type { Context } from "hono";
import type { ContentfulStatusCode } from "hono/utils/http-status";

export const PROBLEM_CONTENT_TYPE = "application/problem+json";

const TABLE = {
  VALIDATION_FAILED: { status: 422, title: "Your request parameters didn't validate" },
  INVALID_DATA: { status: 422, title: "Your request contains a value that cannot be stored" },
  MALFORMED_JSON: { status: 400, title: "Malformed JSON body" },
  BAD_REQUEST: { status: 400, title: "Bad request" },
  UNSUPPORTED_MEDIA_TYPE: { status: 415, title: "Unsupported media type" },
  PAYLOAD_TOO_LARGE: { status: 413, title: "Request body too large" },
  NOT_FOUND: { status: 404, title: "Not found" },
  EMAIL_TAKEN: { status: 409, title: "Email already registered" },
  INVALID_CREDENTIALS: { status: 401, title: "Invalid credentials" },
  UNAUTHENTICATED: { status: 401, title: "Authentication required" },
  INVALID_TOKEN: { status: 401, title: "Invalid access token" },
  INVALID_REFRESH_TOKEN: { status: 401, title: "Invalid refresh token" },
  INCORRECT_PASSWORD: { status: 401, title: "Incorrect password" },
  FORBIDDEN: { status: 403, title: "Forbidden" },
  EMAIL_NOT_VERIFIED: { status: 403, title: "Email not verified" },
  INVALID_RESET_TOKEN: { status: 400, title: "Invalid or expired password-reset token" },
  INVALID_VERIFICATION_TOKEN: { status: 400, title: "Invalid or expired verification token" },
  LAST_SUPERUSER: { status: 409, title: "Last superuser" },
  USER_NOT_FOUND: { status: 404, title: "User not found" },
  CONFLICT: { status: 409, title: "Conflict" },
  MFA_REQUIRED: { status: 403, title: "Second factor required" },
  INVALID_MFA_CODE: { status: 401, title: "Invalid second-factor code" },
  // The same kind of mistake as at login, but a validation failure of the request, not of a sign-in.
  INVALID_MFA_SETUP_CODE: { status: 422, title: "Invalid second-factor code", slug: "invalid-mfa-code" },
  INVALID_MFA_TOKEN: { status: 401, title: "Invalid or expired mfa_token" },
  MFA_CONFLICT: { status: 409, title: "Not possible with the account's current factors" },
  PASSKEY_NOT_FOUND: { status: 404, title: "Passkey not found" },
  PASSKEY_REGISTRATION_FAILED: { status: 422, title: "Passkey registration failed" },
  PASSKEY_AUTHENTICATION_FAILED: { status: 401, title: "Passkey sign-in failed" },
  RATE_LIMITED: { status: 429, title: "Too many requests" },
  DATABASE_UNAVAILABLE: { status: 503, title: "Service temporarily unavailable" },
  REQUEST_TIMEOUT: { status: 503, title: "Service temporarily unavailable" },
  SERVER_BUSY: { status: 503, title: "Service temporarily unavailable" },
  INTERNAL: { status: 500, title: "Internal server error" },
} as const satisfies Record<string, { status: ContentfulStatusCode; title: string; slug?: string }>;

export type ProblemCode = keyof typeof TABLE;

export interface FieldError {
  path: string;
  message: string;
}

export interface Problem {
  type: string;
  title: string;
  status: number;
  detail: string;
  errors?: FieldError[];
}

export function isProblemCode(code: string): code is ProblemCode {
  return Object.hasOwn(TABLE, code);
}

export function problemType(code: ProblemCode): string {
  const entry = TABLE[code];
  const slug = "slug" in entry ? entry.slug : code.toLowerCase().replaceAll("_", "-");
  return `/problems/${slug}`;
}

export function buildProblem(
  code: ProblemCode,
  detail: string,
  errors?: FieldError[],
  extensions?: Record<string, unknown>,
): Problem {
  const { status, title } = TABLE[code];
  return {
    ...extensions,
    type: problemType(code),
    title,
    status,
    detail,
    ...(errors ? { errors } : {}),
  };
}

export function problemResponse(
  c: Context,
  code: ProblemCode,
  detail: string,
  options: {
    errors?: FieldError[];
    headers?: Record<string, string>;
    /** RFC 9457 §3.2 extension members (e.g. `mfa_token`), beside the standard ones. */
    extensions?: Record<string, unknown>;
  } = {},
): Response {
  const problem = buildProblem(code, detail, options.errors, options.extensions);
  return c.body(JSON.stringify(problem), problem.status as ContentfulStatusCode, {
    "Content-Type": PROBLEM_CONTENT_TYPE,
    ...options.headers,
  });
}
