/**
 * Errors become HTTP here, and only here. Handlers and middleware throw (core's domain errors, auth's
 * token errors, a `RequestProblem` for a request the API cannot read); `app.onError` and `app.notFound`
 * hand what they get to `problemFor`, which picks the problem code, and `TABLE` turns the code into the
 * RFC 9457 response (application/problem+json): status, title, type and the headers that go with it.
 */
import { InvalidTokenError, PasswordHasherBusyError, PasswordTooLongError } from "@app/auth";
import { DomainError, isConnectionFailure, MfaRequiredError, RateLimitedError } from "@app/core";
import type { Context } from "hono";
import { HTTPException } from "hono/http-exception";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import type { AppEnv } from "./app-env.js";
import { logFailure } from "./failure-log.js";

export const PROBLEM_CONTENT_TYPE = "application/problem+json";

/** What a 503 asks clients to wait: long enough for a database failover or restart to be noticed. */
const RETRY_AFTER_UNAVAILABLE_SECONDS = 5;
const REALM = 'Bearer realm="user-management"';

interface ProblemFacts {
  detail: string;
  /** From the error itself (a rate limit's window, the hasher's queue). */
  retryAfterSeconds?: number;
  /** RFC 9457 §3.2 extension members the error carries (the mfa-required 403's `mfa_token`), beside the standard ones. */
  extensions?: Record<string, unknown>;
}

interface ProblemEntry {
  status: ContentfulStatusCode;
  title: string;
  /** Headers the status promises (RFC 6750 `WWW-Authenticate` on 401s, `Retry-After` on 429 and 503). */
  headers?: (facts: ProblemFacts) => Record<string, string>;
  /** The `type` slug when it is not the code's own: two codes that are the same kind of mistake share it. */
  slug?: string;
}

const retryAfter = (fallbackSeconds?: number) => (facts: ProblemFacts) => {
  const seconds = facts.retryAfterSeconds ?? fallbackSeconds;
  return seconds === undefined ? {} : { "Retry-After": String(seconds) };
};

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
  UNAUTHENTICATED: {
    status: 401,
    title: "Authentication required",
    headers: () => ({ "WWW-Authenticate": REALM }),
  },
  INVALID_TOKEN: {
    status: 401,
    title: "Invalid access token",
    headers: ({ detail }) => ({
      "WWW-Authenticate": `${REALM}, error="invalid_token", error_description="${detail}"`,
    }),
  },
  INVALID_REFRESH_TOKEN: { status: 401, title: "Invalid refresh token" },
  INCORRECT_PASSWORD: { status: 401, title: "Incorrect password" },
  FORBIDDEN: { status: 403, title: "Forbidden" },
  // The web app's cookie routes: no custom header, or a foreign Origin (see refresh-cookie.ts).
  CROSS_SITE_REQUEST: { status: 403, title: "Cross-site request refused" },
  // Only a token that verifies reaches this, so it tells the account's own holder, nobody else.
  ACCOUNT_DEACTIVATED: {
    status: 401,
    title: "Account deactivated",
    headers: () => ({
      "WWW-Authenticate": `${REALM}, error="invalid_token", error_description="The account is deactivated."`,
    }),
  },
  EMAIL_NOT_VERIFIED: { status: 403, title: "Email not verified" },
  INVALID_RESET_TOKEN: { status: 400, title: "Invalid or expired password-reset token" },
  INVALID_VERIFICATION_TOKEN: { status: 400, title: "Invalid or expired verification token" },
  LAST_SUPERUSER: { status: 409, title: "Last superuser" },
  USER_NOT_FOUND: { status: 404, title: "User not found" },
  CONFLICT: { status: 409, title: "Conflict" },
  // The 403 carries the second step's ticket, which must not be cached any more than a token response.
  MFA_REQUIRED: {
    status: 403,
    title: "Second factor required",
    headers: () => ({ "Cache-Control": "no-store", Pragma: "no-cache" }),
  },
  INVALID_MFA_CODE: { status: 401, title: "Invalid second-factor code" },
  // The same kind of mistake as at login, but a validation failure of the request, not of a sign-in.
  INVALID_MFA_SETUP_CODE: { status: 422, title: "Invalid second-factor code", slug: "invalid-mfa-code" },
  INVALID_MFA_TOKEN: { status: 401, title: "Invalid or expired mfa_token" },
  MFA_CONFLICT: { status: 409, title: "Not possible with the account's current factors" },
  PASSKEY_NOT_FOUND: { status: 404, title: "Passkey not found" },
  PASSKEY_REGISTRATION_FAILED: { status: 422, title: "Passkey registration failed" },
  PASSKEY_AUTHENTICATION_FAILED: { status: 401, title: "Passkey sign-in failed" },
  IDENTITY_ACCOUNT_EXISTS: { status: 409, title: "An account with this email already exists" },
  IDENTITY_EMAIL_UNVERIFIED: { status: 403, title: "The identity provider did not verify the email" },
  IDENTITY_TAKEN: { status: 409, title: "Identity linked to another account" },
  IDENTITY_NOT_FOUND: { status: 404, title: "Identity not found" },
  LAST_SIGN_IN_METHOD: { status: 409, title: "Last way to sign in" },
  INVALID_LOGIN_CODE: { status: 401, title: "Invalid or expired login code" },
  RATE_LIMITED: { status: 429, title: "Too many requests", headers: retryAfter() },
  DATABASE_UNAVAILABLE: {
    status: 503,
    title: "Service temporarily unavailable",
    headers: retryAfter(RETRY_AFTER_UNAVAILABLE_SECONDS),
  },
  REQUEST_TIMEOUT: {
    status: 503,
    title: "Service temporarily unavailable",
    headers: retryAfter(RETRY_AFTER_UNAVAILABLE_SECONDS),
  },
  SERVER_BUSY: { status: 503, title: "Service temporarily unavailable", headers: retryAfter() },
  INTERNAL: { status: 500, title: "Internal server error" },
} as const satisfies Record<string, ProblemEntry>;

export type ProblemCode = keyof typeof TABLE;

export interface FieldError {
  path: string;
  message: string;
}

/**
 * A request the API cannot take as it is (unreadable, too large, the wrong media type, invalid fields,
 * no route): the problem code and the client-facing detail. It is an HTTPException so Hono's own
 * middleware (the read timeout) can throw it too.
 */
export class RequestProblem extends HTTPException {
  override readonly name = "RequestProblem";
  constructor(
    readonly code: ProblemCode,
    readonly detail: string,
    readonly errors?: FieldError[],
  ) {
    super(TABLE[code].status, { message: detail });
  }
}

/** The 422 of a request whose fields are wrong, one `{path, message}` per field. */
export function invalidFields(where: string, errors: FieldError[]): RequestProblem {
  return new RequestProblem("VALIDATION_FAILED", `The ${where} is invalid: see errors.`, errors);
}

/**
 * The problem response for anything a handler or middleware threw. Failures that are ours (a 500, the
 * database gone) are logged; what the client may see is only the detail chosen here.
 */
export function problemFor(error: Error, c: Context<AppEnv>): Response {
  if (error instanceof RequestProblem) {
    if (error.code === "REQUEST_TIMEOUT") c.var.logger?.warn("request timed out");
    return respond(c, error.code, { detail: error.detail }, error.errors);
  }
  if (error instanceof DomainError) {
    const alias = DOMAIN_ALIASES[error.code];
    const code = alias?.code ?? (isProblemCode(error.code) ? error.code : "INTERNAL");
    if (code === "INTERNAL" || code === "DATABASE_UNAVAILABLE") logFailure(c.var.logger, error);
    const retryAfterSeconds = error instanceof RateLimitedError ? error.retryAfterSeconds : undefined;
    const extensions = error instanceof MfaRequiredError ? mfaRequiredExtensions(error) : undefined;
    return respond(c, code, {
      detail: alias?.detail ?? error.message,
      ...optional({ retryAfterSeconds, extensions }),
    });
  }
  if (error instanceof InvalidTokenError) {
    return respond(c, "INVALID_TOKEN", {
      detail: error.reason === "expired" ? "The access token has expired." : REVOKED_TOKEN_DETAIL,
    });
  }
  if (error instanceof PasswordTooLongError) {
    const problem = invalidFields("request body", [{ path: "password", message: error.message }]);
    return respond(c, problem.code, { detail: problem.detail }, problem.errors);
  }
  if (error instanceof PasswordHasherBusyError) {
    c.var.logger?.warn("password hashing at capacity");
    return respond(c, "SERVER_BUSY", {
      detail: "The service is busy; try again shortly.",
      retryAfterSeconds: error.retryAfterSeconds,
    });
  }
  if (error instanceof HTTPException) {
    const known = httpExceptionProblem(error);
    if (known) return respond(c, known.code, { detail: known.detail });
  }
  logFailure(c.var.logger, error);
  // A connection-level failure that escaped a repository's translation is still the database's fault.
  if (isConnectionFailure(error)) {
    return respond(c, "DATABASE_UNAVAILABLE", { detail: "The database is unavailable; try again shortly." });
  }
  return respond(c, "INTERNAL", {
    detail: `Something went wrong on our side; quote request id ${c.var.requestId}.`,
  });
}

/** What a client needs for the second step: the ticket, which factors it may present, and how long it has. */
function mfaRequiredExtensions(error: MfaRequiredError): Record<string, unknown> {
  return { mfa_token: error.mfaToken, methods: error.methods, mfa_token_expires_in: error.expiresInSeconds };
}

const REVOKED_TOKEN_DETAIL = "The access token is invalid or has been revoked.";

/**
 * An inactive account answers a login exactly like a wrong password (same type, title and detail), so a
 * deactivated email cannot be told apart from an unknown one. A revoked access token answers like any
 * other refused one.
 */
const DOMAIN_ALIASES: Record<string, { code: ProblemCode; detail?: string }> = {
  INACTIVE_USER: { code: "INVALID_CREDENTIALS", detail: "Incorrect email or password." },
  TOKEN_REVOKED: { code: "INVALID_TOKEN", detail: REVOKED_TOKEN_DETAIL },
};

/** What Hono itself throws: unreadable JSON, a body of another media type, a too-large body. */
function httpExceptionProblem(error: HTTPException): { code: ProblemCode; detail: string } | undefined {
  switch (error.status) {
    case 400:
      return /json/i.test(error.message)
        ? { code: "MALFORMED_JSON", detail: "The request body is not valid JSON." }
        : { code: "BAD_REQUEST", detail: "The request could not be read." };
    case 401:
      return { code: "UNAUTHENTICATED", detail: "Authentication required." };
    case 403:
      return { code: "FORBIDDEN", detail: "You are not allowed to do this." };
    case 404:
      return { code: "NOT_FOUND", detail: "Not found." };
    case 413:
      return { code: "PAYLOAD_TOO_LARGE", detail: "The request body is too large." };
    case 415:
      return { code: "UNSUPPORTED_MEDIA_TYPE", detail: "Send the request body as application/json." };
    default:
      return undefined;
  }
}

function isProblemCode(code: string): code is ProblemCode {
  return Object.hasOwn(TABLE, code);
}

export function problemType(code: ProblemCode): string {
  const entry: ProblemEntry = TABLE[code];
  return `/problems/${entry.slug ?? code.toLowerCase().replaceAll("_", "-")}`;
}

function respond(c: Context, code: ProblemCode, facts: ProblemFacts, errors?: FieldError[]): Response {
  const entry: ProblemEntry = TABLE[code];
  const body = {
    ...facts.extensions,
    type: problemType(code),
    title: entry.title,
    status: entry.status,
    detail: facts.detail,
    ...(errors ? { errors } : {}),
  };
  return c.body(JSON.stringify(body), entry.status, {
    "Content-Type": PROBLEM_CONTENT_TYPE,
    ...entry.headers?.(facts),
  });
}

function optional<T extends object>(values: T): { [K in keyof T]?: Exclude<T[K], undefined> } {
  return Object.fromEntries(Object.entries(values).filter(([, value]) => value !== undefined)) as {
    [K in keyof T]?: Exclude<T[K], undefined>;
  };
}
