import { DatabaseUnavailableError, EmailTakenError, InvalidDataError } from "../errors.js";

const UNIQUE_VIOLATION = "23505";
/**
 * Everything that means "the database could not answer now" rather than "the request was wrong":
 * postgres.js and Node socket codes, plus SQLSTATE classes 08 (connection
 * exception), 53 (insufficient resources, e.g. too_many_connections), 55 (object not in prerequisite
 * state: a database with `ALLOW_CONNECTIONS false` answers 55000, one in use 55006, a lock not
 * available 55P03) and 57P (operator intervention: admin shutdown, cannot connect now, idle-session
 * timeout), and 3D000 (the database does not exist: dropped, or not yet restored). None is the request's
 * fault, and each can pass, so they are "try again" rather than a bug.
 */
const CONNECTION_CODES = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "ECONNABORTED",
  "ETIMEDOUT",
  "EPIPE",
  "ENOTFOUND",
  "EAI_AGAIN",
  "EHOSTUNREACH",
  "EHOSTDOWN",
  "ENETUNREACH",
  "ENETDOWN",
  "ERR_SOCKET_CLOSED",
  "ERR_STREAM_DESTROYED",
  "CONNECT_TIMEOUT",
  "CONNECTION_CLOSED",
  "CONNECTION_ENDED",
  "CONNECTION_DESTROYED",
  "57014", // query_canceled (statement_timeout)
  "25P03", // idle_in_transaction_session_timeout
  "3D000", // invalid_catalog_name: the database does not exist
]);
const CONNECTION_CLASSES = ["08", "53", "55", "57P"];

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
    (code) => CONNECTION_CODES.has(code) || CONNECTION_CLASSES.some((prefix) => code.startsWith(prefix)),
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
  // Class 22 (data exception: NUL in text, out-of-range values, bad encodings) is the input's fault, not
  // the service's; a safety net behind validation, so such input gets a 4xx and never a 500.
  if (codes.some((code) => code.startsWith("22"))) throw new InvalidDataError({ cause: error });
  throw error;
}
