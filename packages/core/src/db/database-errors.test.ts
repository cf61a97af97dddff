import { describe, expect, it } from "vitest";
import { DatabaseUnavailableError, EmailTakenError, InvalidDataError } from "../errors.js";
import { isConnectionFailure, translateDatabaseError } from "./database-errors.js";

const withCode = (code: string, message = "driver failure") => Object.assign(new Error(message), { code });
/** How Drizzle wraps a driver error: the SQL in the message, the driver error as cause. */
const wrapped = (cause: Error) => new Error("Failed query: insert into users …", { cause });

describe("database error classification", () => {
  it.each([
    "ECONNREFUSED",
    "ECONNRESET",
    "ETIMEDOUT",
    "EPIPE",
    "EHOSTUNREACH",
    "CONNECT_TIMEOUT",
    "CONNECTION_CLOSED",
    "CONNECTION_ENDED",
    "CONNECTION_DESTROYED",
    "57014", // statement_timeout
    "57P01", // admin shutdown
    "57P03", // cannot connect now
    "08006", // connection failure
    "53300", // too many connections
    "25P03", // idle in transaction timeout
    "55000", // object not in prerequisite state (database with ALLOW_CONNECTIONS false)
    "55006", // object in use
    "55P03", // lock not available
    "3D000", // database does not exist
  ])("treats %s, however deeply wrapped, as the database being unavailable", (code) => {
    expect(isConnectionFailure(withCode(code))).toBe(true);
    expect(isConnectionFailure(wrapped(withCode(code)))).toBe(true);
    expect(() => translateDatabaseError(wrapped(withCode(code)))).toThrow(DatabaseUnavailableError);
  });

  it("sees a refused connection inside an AggregateError (several addresses tried)", () => {
    const aggregate = Object.assign(new AggregateError([withCode("ECONNREFUSED")], "connect failed"), {});
    expect(isConnectionFailure(wrapped(aggregate))).toBe(true);
  });

  it.each(["22021", "22P05", "22003"])(
    "maps data exception %s (bad input, e.g. NUL in text) to InvalidDataError",
    (code) => {
      expect(() => translateDatabaseError(wrapped(withCode(code)))).toThrow(InvalidDataError);
    },
  );

  it("maps a unique violation to EmailTakenError and leaves other errors alone", () => {
    expect(() => translateDatabaseError(wrapped(withCode("23505")))).toThrow(EmailTakenError);
    for (const code of ["42601", "3D001", "3F000", "23514"]) {
      const other = wrapped(withCode(code));
      expect(isConnectionFailure(other)).toBe(false);
      expect(() => translateDatabaseError(other)).toThrow(other);
    }
  });
});
