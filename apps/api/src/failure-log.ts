import { DomainError } from "@app/core";
import type { Logger } from "./logger.js";

/**
 * Logs a failure the client sees as a 500 or 503. Messages of errors we do not own carry what must
 * never reach a log: Drizzle puts the SQL in the message and its parameters (emails, bcrypt hashes) on
 * the stack's second line, JWT errors embed the token. So for those we log the class, the code (the
 * SQLSTATE) and the stack frames only.
 */
export function logFailure(logger: Logger | undefined, error: Error): void {
  const owned = error instanceof DomainError;
  logger?.error(
    {
      err: {
        type: error.name,
        code: codeOf(error),
        ...(owned ? { message: error.message } : {}),
        stack: stackFramesOf(error),
      },
      sqlState: sqlStateOf(error),
      cause:
        error.cause instanceof Error
          ? { type: error.cause.name, code: codeOf(error.cause), stack: stackFramesOf(error.cause) }
          : undefined,
    },
    "request failed",
  );
}

function codeOf(error: Error): unknown {
  return (error as { code?: unknown }).code;
}

/** The PostgreSQL error code, wherever the driver's error sits in the cause chain (Drizzle wraps it). */
function sqlStateOf(error: Error): string | undefined {
  let current: unknown = error;
  for (let depth = 0; depth < 5 && current instanceof Error; depth++) {
    const code = codeOf(current);
    if (typeof code === "string" && /^[0-9A-Z]{5}$/.test(code)) return code;
    current = current.cause;
  }
  return undefined;
}

/** Only the `    at …` lines: a stack starts with the message, which may span several lines. */
function stackFramesOf(error: Error): string | undefined {
  const frames = error.stack?.split("\n").filter((line) => line.startsWith("    at "));
  return frames?.length ? frames.join("\n") : undefined;
}
