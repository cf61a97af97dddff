import { DatabaseUnavailableError, EmailTakenError } from "../errors.js";

const UNIQUE_VIOLATION = "23505";
/** postgres.js and Node socket codes, plus SQLSTATE classes 08 (connection) and 57P (shutdown/cancel). */
const CONNECTION_CODES = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "ETIMEDOUT",
  "EPIPE",
  "ENOTFOUND",
  "EAI_AGAIN",
  "CONNECT_TIMEOUT",
  "CONNECTION_CLOSED",
  "CONNECTION_ENDED",
  "CONNECTION_DESTROYED",
  "57014", // query_canceled (statement_timeout)
  "53300", // too_many_connections
]);

/** Drizzle wraps driver errors (`DrizzleQueryError`, whose message holds the SQL); the code is on a cause. */
function codesOf(error: unknown): string[] {
  const codes: string[] = [];
  let current: unknown = error;
  for (let depth = 0; depth < 5 && current instanceof Error; depth++) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === "string") codes.push(code);
    const nested = (current as { errors?: unknown }).errors; // AggregateError from a multi-address connect
    if (Array.isArray(nested)) {
      for (const inner of nested) {
        const innerCode = (inner as { code?: unknown }).code;
        if (typeof innerCode === "string") codes.push(innerCode);
      }
    }
    current = current.cause;
  }
  return codes;
}

export function isConnectionFailure(error: unknown): boolean {
  return codesOf(error).some(
    (code) => CONNECTION_CODES.has(code) || code.startsWith("08") || code.startsWith("57P"),
  );
}

/**
 * Turns a driver failure into a domain error where one applies: a unique violation on email becomes
 * `EmailTakenError`, a lost connection `DatabaseUnavailableError`. Anything else is rethrown as it is.
 */
export function translateDatabaseError(error: unknown): never {
  const codes = codesOf(error);
  if (codes.includes(UNIQUE_VIOLATION)) throw new EmailTakenError({ cause: error });
  if (isConnectionFailure(error)) throw new DatabaseUnavailableError({ cause: error });
  throw error;
}
