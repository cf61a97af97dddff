/**
 * Where the database tests find PostgreSQL, and the one clear failure when it is not there. Free of
 * Vitest imports, so the global setup (which runs outside the test workers) can use it.
 */
import postgres from "postgres";

export const DEFAULT_TEST_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/postgres";

export function testDatabaseUrl(): string {
  return process.env.TEST_DATABASE_URL || DEFAULT_TEST_DATABASE_URL;
}

/** What to do when the test server cannot be used: which URL, why, and how to get one. */
export function postgresUnavailableMessage(serverUrl: string, error: unknown): string {
  const code = (error as { code?: unknown } | null)?.code;
  const reason =
    error instanceof Error
      ? `${typeof code === "string" ? code : error.name}: ${error.message}`
      : String(error);
  return [
    `PostgreSQL is required for the database tests and cannot be used at ${redactPassword(serverUrl)}`,
    `(${reason}). They run against a real server and never skip. Start PostgreSQL`,
    "(Debian: `pg_ctlcluster <version> main start`; `.ci/run` starts or installs it), or set",
    "TEST_DATABASE_URL to a server where that user may create databases.",
  ].join(" ");
}

/**
 * Connects once and runs `select 1`; throws an Error carrying {@link postgresUnavailableMessage} if the
 * server is down, refuses the credentials or does not answer within 5 s.
 */
export async function assertPostgresReachable(serverUrl = testDatabaseUrl()): Promise<void> {
  const sql = postgres(serverUrl, { max: 1, onnotice: () => {}, connect_timeout: 5 });
  try {
    await sql`select 1`;
  } catch (error) {
    const failure = new Error(postgresUnavailableMessage(serverUrl, error));
    // A missing service, not a bug: the message says everything, a stack through Vitest would bury it.
    failure.stack = `${failure.name}: ${failure.message}`;
    throw failure;
  } finally {
    await sql.end({ timeout: 1 });
  }
}

export function redactPassword(url: string): string {
  const parsed = new URL(url);
  if (parsed.password) parsed.password = "***";
  return parsed.toString();
}
