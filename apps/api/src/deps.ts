import { hkdfSync } from "node:crypto";
import { createPasswordHasher } from "@app/auth";
import type { Database } from "@app/core";
import {
  createAccountRecoveryService,
  createDatabase,
  createIdentityService,
  createMfaService,
  createRateLimiter,
  createSessionService,
  createUserService,
  migrateDatabase,
} from "@app/core";
import { type AccessTokenKeys, createAccessTokenKeys } from "./access-token-keys.js";
import type { AppDeps } from "./app-env.js";
import { type ClientAddressOptions, createClientAddressResolver } from "./client-address.js";
import type { Config } from "./config.js";
import type { Logger } from "./logger.js";
import { createAccountMail } from "./mail/account-mail.js";
import { createMailQueue, createSmtpTransport } from "./mail/mail-queue.js";
import { createMetrics } from "./metrics.js";
import { createFlowCookieSealer } from "./oidc/flow-cookie.js";
import { createIdentityProviders } from "./oidc/relying-party.js";

/**
 * Opens the database and builds the services once per process. The embedded database migrates itself
 * (there is no separate operator to run `pnpm db:migrate` on a laptop); PostgreSQL is migrated by
 * `pnpm db:migrate` or the compose `migrate` service before the API starts. `runtime` carries what only
 * the runtime adapter knows (how to read a request's socket address).
 */
export async function createDeps(
  config: Config,
  logger: Logger,
  runtime: Pick<ClientAddressOptions, "socketAddress"> = {},
): Promise<AppDeps & { accessTokenKeys: AccessTokenKeys }> {
  const database = await openDatabase(config);
  const passwords = createPasswordHasher({ cost: config.bcryptCost, ...config.passwordHashing });
  const accessTokenKeys = await createAccessTokenKeys(config, database, logger);
  const { tokens } = accessTokenKeys;
  const recovery = createAccountRecoveryService({ db: database.db, passwords });
  const transport = config.mail.smtpUrl
    ? createSmtpTransport({ url: config.mail.smtpUrl, from: config.mail.from })
    : undefined;
  const mail = createMailQueue({ transport, logger, env: config.env });
  return {
    logger,
    database,
    users: createUserService({
      db: database.db,
      passwords,
      auditEmailKey: auditEmailKeyFrom(config.jwt.secret),
    }),
    tokens,
    mfa: createMfaService({
      db: database.db,
      passwords,
      // KEY_ENCRYPTION_SECRET when set, else JWT_SECRET (HKDF with its own label): changing that secret
      // makes stored TOTP secrets unreadable.
      secret: config.jwt.signingKeys.encryptionSecret,
      issuer: config.webauthn.rpName,
      webauthn: config.webauthn,
    }),
    jwks: accessTokenKeys,
    accessTokenKeys,
    sessions: createSessionService({
      db: database.db,
      accessTokens: tokens,
      secret: config.jwt.secret,
      refreshTokenTtlSeconds: config.sessions.refreshTokenTtlSeconds,
      reuseGraceSeconds: config.sessions.reuseGraceSeconds,
      requireVerifiedEmail: config.requireVerifiedEmail,
    }),
    // Abuse limits and what the operator sees of them.
    rateLimiter: createRateLimiter({
      db: database.db,
      onCleanupError: (error) =>
        logger.warn({ err: { type: (error as Error).name } }, "rate-limit clean-up failed"),
    }),
    rateLimits: config.rateLimits,
    clientAddress: createClientAddressResolver({
      trustProxyHops: config.http.trustProxyHops,
      socketAddress: runtime.socketAddress,
    }),
    metrics: createMetrics({ database, processMetrics: true }),
    http: config.http,
    recovery,
    mail,
    mailTransport: transport,
    accountMail: createAccountMail({ recovery, mail, publicUrl: config.publicUrl }),
    requireVerifiedEmail: config.requireVerifiedEmail,
    audit: { storeIp: config.audit.storeIp },
    passwordPolicy: config.passwordPolicy,
    webOrigins: [config.publicUrl, ...config.webauthn.origins],
    webDistDir: config.webDistDir,
    oidc: {
      providers: createIdentityProviders(config.oidc.providers),
      identities: createIdentityService({ db: database.db }),
      flowCookies: createFlowCookieSealer(config.jwt.secret),
      publicUrl: config.publicUrl,
    },
  };
}

/** The configured database; the embedded one is migrated on the way (see `createDeps`). */
export async function openDatabase(config: Pick<Config, "database" | "databaseTimeouts">): Promise<Database> {
  const database = await createDatabase(
    config.database.url
      ? {
          url: config.database.url,
          poolSize: config.database.poolSize,
          connectTimeoutSeconds: config.databaseTimeouts.connectSeconds,
          statementTimeoutMs: config.databaseTimeouts.statementMs,
          preparedStatements: config.database.preparedStatements,
        }
      : { dataDir: config.database.dataDir },
  );
  if (database.driver === "pglite") await migrateDatabase(database);
  return database;
}

/** The failed-login email HMAC key, derived so that it is stable across replicas and restarts. */
function auditEmailKeyFrom(secret: string): string {
  return Buffer.from(hkdfSync("sha256", secret, Buffer.alloc(0), "audit email fingerprint v1", 32)).toString(
    "base64url",
  );
}

/**
 * Applies FIRST_SUPERUSER_EMAIL/PASSWORD: creates that superuser when no user has the email, and
 * otherwise leaves the existing user exactly as it is (never promoted, its password never reset: the
 * environment must not be a way to take over an account). Several processes may start at once; the
 * unique email index lets one create it and the others see it.
 */
export async function ensureFirstSuperuser(
  deps: Pick<AppDeps, "users" | "logger">,
  config: Pick<Config, "firstSuperuser">,
): Promise<void> {
  if (!config.firstSuperuser) return;
  const { user, created } = await deps.users.ensureSuperuser(config.firstSuperuser);
  if (created) {
    deps.logger.info({ userId: user.id, email: user.email }, "first superuser created");
  } else if (user.isSuperuser) {
    deps.logger.info({ userId: user.id }, "first superuser already exists; left unchanged");
  } else {
    deps.logger.warn(
      { userId: user.id },
      "FIRST_SUPERUSER_EMAIL belongs to an existing user who is not a superuser; left unchanged",
    );
  }
}
