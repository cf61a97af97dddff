import { Writable } from "node:stream";
import { createPasswordHasher, createTokenService } from "@app/auth";
import { createUserService } from "@app/core";
import { openTestDatabase, type TestDatabaseKind } from "@app/core/testing";
import { createApp } from "../../src/app.js";
import type { AppDeps } from "../../src/app-env.js";
import { createLogger } from "../../src/logger.js";

export const TEST_SECRET = "test-secret-0123456789-abcdefghijklmnopqrstuvwxyz";

/** A log sink that keeps every line, so tests can assert on what was (and was not) logged. */
export function captureLogs() {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      lines.push(...chunk.toString("utf8").split("\n").filter(Boolean));
      callback();
    },
  });
  return { lines, stream };
}

/**
 * The real app on a real, freshly migrated database of the given kind. bcrypt runs at cost 4: the
 * algorithm is the same, the suite is 250 times faster.
 */
export async function createTestApp(kind: TestDatabaseKind, overrides: Partial<AppDeps> = {}) {
  const { database, dispose } = await openTestDatabase(kind);
  const logs = captureLogs();
  const logger = createLogger({ env: "test", logLevel: "info" }, logs.stream);
  const deps: AppDeps = {
    logger,
    database,
    users: createUserService({ db: database.db, passwords: createPasswordHasher({ cost: 4 }) }),
    tokens: createTokenService({ secret: TEST_SECRET, ttlSeconds: 1800 }),
    ...overrides,
  };
  const app = createApp(deps);

  const request = (path: string, init: RequestInit = {}) => app.request(path, init);
  const postJson = (path: string, body: unknown, headers: Record<string, string> = {}) =>
    request(path, {
      method: "POST",
      headers: { "content-type": "application/json", ...headers },
      body: JSON.stringify(body),
    });

  async function register(email: string, password = "correct horse battery", fullName?: string) {
    const response = await postJson("/v1/users/", {
      email,
      password,
      ...(fullName ? { full_name: fullName } : {}),
    });
    if (response.status !== 201)
      throw new Error(`register failed: ${response.status} ${await response.text()}`);
    return (await response.json()) as { id: string; email: string };
  }

  async function login(email: string, password = "correct horse battery") {
    const response = await postJson("/v1/users/login", { email, password });
    if (response.status !== 200) throw new Error(`login failed: ${response.status} ${await response.text()}`);
    return ((await response.json()) as { access_token: string }).access_token;
  }

  const me = (token: string) => request("/v1/users/me", { headers: { authorization: `Bearer ${token}` } });

  return { app, deps, database, logs, request, postJson, register, login, me, dispose };
}

export type TestApp = Awaited<ReturnType<typeof createTestApp>>;
