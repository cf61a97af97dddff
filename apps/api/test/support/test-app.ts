import { Writable } from "node:stream";
import { createPasswordHasher, createTokenService } from "@app/auth";
import {
  createAccountRecoveryService,
  createRateLimiter,
  createSessionService,
  createUserService,
} from "@app/core";
import { openTestDatabase, type TestDatabase, type TestDatabaseKind } from "@app/core/testing";
import { createApp } from "../../src/app.js";
import type { AppDeps } from "../../src/app-env.js";
import { createClientAddressResolver } from "../../src/client-address.js";
import type { RateLimitSettings } from "../../src/config.js";
import { accessTokenIssuer } from "../../src/deps.js";
import { createLogger } from "../../src/logger.js";
import { createAccountMail } from "../../src/mail/account-mail.js";
import { createMailQueue, type MailTransport } from "../../src/mail/mail-queue.js";
import { createMetrics } from "../../src/metrics.js";

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
 * Budgets so high that suites which are not about rate limiting never meet them (every in-process
 * request shares one "unknown" address); rate-limit tests pass their own `rateLimits`.
 */
export const GENEROUS_RATE_LIMITS: RateLimitSettings = {
  loginPerAccountAndAddress: 1_000_000,
  loginPerAccount: 1_000_000,
  loginPerAddress: 1_000_000,
  registerPerAddress: 1_000_000,
  refreshPerAddress: 1_000_000,
  recoveryPerAccount: 1_000_000,
  recoveryPerAddress: 1_000_000,
  emailChangePerUser: 1_000_000,
  emailChangePerNewEmail: 1_000_000,
  windowSeconds: 900,
};

export interface TokenBody {
  access_token: string;
  token_type: string;
  expires_in: number;
  refresh_token: string;
  refresh_expires_in: number;
}

/**
 * The real app on a real, freshly migrated database of the given kind. bcrypt runs at cost 4: the
 * algorithm is the same, the suite is 250 times faster. `database` may be passed in (a fault-injection
 * test points it through a proxy); it is then the caller's to close.
 */
export async function createTestApp(
  kind: TestDatabaseKind,
  overrides: Partial<AppDeps> = {},
  options: {
    database?: TestDatabase;
    sessions?: { reuseGraceSeconds?: number; refreshTokenTtlSeconds?: number };
    mail?: MailOptions;
  } = {},
) {
  const { database, dispose, url } = options.database ?? (await openTestDatabase(kind));
  const tokens = overrides.tokens ?? createTokenService({ secret: TEST_SECRET, ttlSeconds: 900 });
  const logs = captureLogs();
  const logger = createLogger({ env: "test", logLevel: "info" }, logs.stream);
  const passwords = createPasswordHasher({ cost: 4 });
  // Without a transport the queue logs each message; mail tests pass a real SMTP transport, a clock, TTLs.
  const mailDeps = createMailDeps({ ...options.mail, database, passwords, logger });
  const deps: AppDeps = {
    logger,
    database,
    users: createUserService({ db: database.db, passwords }),
    tokens,
    jwks: { keySet: () => ({ keys: [] }), maxAgeSeconds: 3600 },
    sessions: createSessionService({
      db: database.db,
      accessTokens: accessTokenIssuer(tokens),
      secret: TEST_SECRET,
      ...options.sessions,
    }),
    ...mailDeps,
    requireVerifiedEmail: false,
    rateLimiter: createRateLimiter({ db: database.db }),
    rateLimits: GENEROUS_RATE_LIMITS,
    clientAddress: createClientAddressResolver({ trustProxyHops: 0 }),
    metrics: createMetrics({ database }),
    http: { corsOrigins: [], requestTimeoutMs: 10_000, readyTimeoutMs: 1000 },
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
    return (await loginPair(email, password)).access_token;
  }

  /** The whole token response: access and refresh token. */
  async function loginPair(email: string, password = "correct horse battery") {
    const response = await postJson("/v1/users/login", { email, password });
    if (response.status !== 200) throw new Error(`login failed: ${response.status} ${await response.text()}`);
    return (await response.json()) as TokenBody;
  }

  const me = (token: string) => request("/v1/users/me", { headers: { authorization: `Bearer ${token}` } });

  return { app, deps, database, url, logs, request, postJson, register, login, loginPair, me, dispose };
}

export interface MailOptions {
  transport?: MailTransport;
  now?: () => Date;
  ttl?: { passwordResetMs?: number; verifyEmailMs?: number };
  publicUrl?: string;
  backoffMs?: number;
}

/** The recovery service, mail queue and account mail, over any transport, clock and TTLs. */
function createMailDeps({
  database,
  passwords,
  logger,
  transport,
  now,
  ttl,
  publicUrl = "http://app.test",
  backoffMs = 20,
}: MailOptions & {
  database: TestDatabase["database"];
  passwords: ReturnType<typeof createPasswordHasher>;
  logger: AppDeps["logger"];
}): Pick<AppDeps, "recovery" | "mail" | "accountMail"> {
  const recovery = createAccountRecoveryService({
    db: database.db,
    passwords,
    ...(now ? { now } : {}),
    ...(ttl ? { ttl } : {}),
  });
  const mail = createMailQueue({ transport, logger, env: "test", backoffMs });
  return { recovery, mail, accountMail: createAccountMail({ recovery, mail, publicUrl }) };
}

export type TestApp = Awaited<ReturnType<typeof createTestApp>>;
