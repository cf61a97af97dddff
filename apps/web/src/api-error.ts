/**
 * The one error type the pages see. It is built from an RFC 9457 problem (application/problem+json) or,
 * when there is no usable body, from the status alone; `status` 0 means the server could not be reached.
 */

export interface ProblemFieldError {
  path: string;
  message: string;
}

export class ApiError extends Error {
  override readonly name = "ApiError";
  readonly status: number;
  readonly type: string;
  readonly title: string;
  readonly detail: string;
  /** Field path (e.g. "email", "password") → the API's message for it. */
  readonly fieldErrors: Record<string, string>;
  /** Seconds from a 429's Retry-After header. */
  readonly retryAfterSeconds: number | undefined;
  /** True once the client has ended the session because the token was refused. */
  readonly sessionExpired: boolean;

  constructor(init: {
    status: number;
    type?: string;
    title?: string;
    detail?: string;
    fieldErrors?: Record<string, string>;
    retryAfterSeconds?: number | undefined;
    sessionExpired?: boolean;
  }) {
    const title = init.title ?? (init.status === 0 ? "Network error" : `HTTP ${init.status}`);
    super(init.detail ?? title);
    this.status = init.status;
    this.type = init.type ?? "about:blank";
    this.title = title;
    this.detail = init.detail ?? "";
    this.fieldErrors = init.fieldErrors ?? {};
    this.retryAfterSeconds = init.retryAfterSeconds;
    this.sessionExpired = init.sessionExpired ?? false;
  }
}

/** Builds an ApiError from a status, a parsed body (anything) and a Retry-After header value. */
export function apiErrorFromProblem(
  status: number,
  body: unknown,
  retryAfter: string | null = null,
): ApiError {
  const problem = isRecord(body) ? body : {};
  const fieldErrors: Record<string, string> = {};
  if (Array.isArray(problem["errors"])) {
    for (const entry of problem["errors"]) {
      if (!isRecord(entry)) continue;
      const path = typeof entry["path"] === "string" && entry["path"] !== "" ? entry["path"] : "body";
      const message = typeof entry["message"] === "string" ? entry["message"] : "is invalid";
      // The first message per field is the one to fix first; later ones repeat the same field.
      fieldErrors[path] ??= message;
    }
  }
  const seconds = retryAfter === null ? Number.NaN : Number.parseInt(retryAfter, 10);
  return new ApiError({
    status,
    ...stringField(problem, "type"),
    ...stringField(problem, "title"),
    ...stringField(problem, "detail"),
    fieldErrors,
    retryAfterSeconds: Number.isFinite(seconds) && seconds >= 0 ? seconds : undefined,
  });
}

function stringField<K extends string>(record: Record<string, unknown>, key: K): Partial<Record<K, string>> {
  const value = record[key];
  return typeof value === "string" && value !== "" ? ({ [key]: value } as Record<K, string>) : {};
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
