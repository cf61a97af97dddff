/**
 * The only module that reads the environment. Everything else receives a validated `Config`.
 * `loadConfig(env)` takes the environment as an argument so tests can build several configurations.
 */
import { randomBytes } from "node:crypto";
import { availableParallelism } from "node:os";
import { fileURLToPath } from "node:url";
import {
  DEFAULT_ACCESS_TOKEN_TTL_SECONDS,
  DEFAULT_ARGON2ID_PARAMETERS,
  DEFAULT_LEEWAY_SECONDS,
  meetsOwaspArgon2idMinimum,
} from "@app/auth/defaults";
import { MAX_PASSWORD_MIN_LENGTH, MIN_PASSWORD_CHARACTERS, type PasswordPolicy } from "@app/validators";
import { z } from "zod";
import { type OidcSettings, parseOidcSettings } from "./oidc/oidc-settings.js";
import { createEmailRule, createNewPasswordRule } from "./passwords/credential-rules.js";

const MIN_SECRET_BYTES = 32;
const KNOWN_PLACEHOLDER_SECRETS = new Set([
  "changeme",
  "change-me",
  "secret",
  "please-change-me",
  "replace-me",
]);

/**
 * apps/web/dist, found from this module's own location (apps/api/src or apps/api/dist), so the
 * single-process start works from any working directory.
 */
export const DEFAULT_WEB_DIST_DIR = fileURLToPath(new URL("../../web/dist", import.meta.url));

const integer = (min: number, max: number) => z.coerce.number().int().min(min).max(max);
const optionalString = z
  .string()
  .optional()
  .transform((value) => (value === undefined || value.trim() === "" ? undefined : value.trim()));

/**
 * Every variable once, with its one default; `.transform` turns the flat environment into the nested
 * `Config`, whose type is derived from it.
 */
const configSchema = z
  .object({
    NODE_ENV: z.enum(["development", "production", "test"]).default("development"),
    PORT: integer(0, 65_535).default(3000),
    HOST: z.string().min(1).default("0.0.0.0"),
    DATABASE_URL: optionalString.pipe(
      z
        .string()
        .regex(/^postgres(ql)?:\/\//, "must be a postgres:// or postgresql:// URL")
        .optional(),
    ),
    DATABASE_POOL_SIZE: integer(1, 100).default(10),
    // Off behind a transaction-mode pooler that does not track prepared statements (PgBouncer < 1.21).
    DATABASE_PREPARED_STATEMENTS: z
      .enum(["true", "false", ""], { error: "must be true or false" })
      .default("true")
      .transform((value) => value !== "false"),
    DATA_DIR: z.string().min(1).default("./.data"),
    JWT_SECRET: optionalString,
    ACCESS_TOKEN_TTL_SECONDS: integer(60, 7 * 24 * 3600).default(DEFAULT_ACCESS_TOKEN_TTL_SECONDS),
    JWT_LEEWAY_SECONDS: integer(0, 60).default(DEFAULT_LEEWAY_SECONDS),
    JWT_ALGORITHM: z.enum(["EdDSA", "HS256"], { error: "must be EdDSA or HS256" }).default("EdDSA"),
    JWT_ISSUER: optionalString.pipe(z.url({ error: "must be a URL" }).optional()),
    JWT_AUDIENCE: z.string().trim().min(1).default("user-management"),
    KEY_ENCRYPTION_SECRET: optionalString,
    JWT_KEY_ROTATION_DAYS: integer(1, 3650).default(30),
    // Also the JWKS max-age: a verifier that cached the key set just before a new key appeared still
    // sees it before it signs.
    JWT_KEY_PUBLISH_AHEAD_SECONDS: integer(60, 3600).default(3600),
    JWT_KEY_RELOAD_SECONDS: integer(1, 3600).default(60),
    REFRESH_TOKEN_TTL_SECONDS: integer(300, 365 * 24 * 3600).default(30 * 24 * 3600),
    REFRESH_REUSE_GRACE_SECONDS: integer(0, 300).default(10),
    BCRYPT_COST: integer(4, 16).default(12),
    // New hashes; stored hashes of either kind verify, and a login replaces those that fall short.
    PASSWORD_HASH: z.enum(["bcrypt", "argon2id"], { error: "must be bcrypt or argon2id" }).default("bcrypt"),
    // Argon2id's floor is 8 KiB per lane; below 1 MiB it is no longer a memory-hard hash worth the name.
    ARGON2_MEMORY_KIB: integer(1024, 4 * 1024 * 1024).default(DEFAULT_ARGON2ID_PARAMETERS.memoryKib),
    ARGON2_ITERATIONS: integer(1, 64).default(DEFAULT_ARGON2ID_PARAMETERS.iterations),
    ARGON2_PARALLELISM: integer(1, 16).default(DEFAULT_ARGON2ID_PARAMETERS.parallelism),
    PASSWORD_HASH_MAX_QUEUE: integer(0, 10_000).default(16),
    LOG_LEVEL: z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info"),
    // Worker processes of the Node entry; only used with a PostgreSQL DATABASE_URL.
    NODE_OPTIONS: z.string().default(""),
    WEB_CONCURRENCY: optionalString.pipe(z.coerce.number<string>().int().min(1).max(256).optional()),
    FIRST_SUPERUSER_EMAIL: optionalString,
    // Not trimmed: spaces may be part of a password.
    FIRST_SUPERUSER_PASSWORD: z
      .string()
      .optional()
      .transform((value) => (value === "" ? undefined : value)),
    DATABASE_CONNECT_TIMEOUT_SECONDS: integer(1, 120).default(5),
    DATABASE_STATEMENT_TIMEOUT_MS: integer(0, 600_000).default(5000),
    REQUEST_TIMEOUT_MS: integer(100, 600_000).default(10_000),
    READY_TIMEOUT_MS: integer(50, 60_000).default(2000),
    SHUTDOWN_TIMEOUT_MS: integer(0, 600_000).default(10_000),
    LOGIN_LIMIT_PER_ACCOUNT_AND_ADDRESS: integer(1, 1_000_000_000).default(10),
    // NIST SP 800-63B: at most 100 consecutive failed attempts on one account.
    LOGIN_LIMIT_PER_ACCOUNT: integer(1, 100).default(100),
    LOGIN_LIMIT_PER_ADDRESS: integer(1, 1_000_000_000).default(100),
    REGISTER_LIMIT_PER_ADDRESS: integer(1, 1_000_000_000).default(30),
    REFRESH_LIMIT_PER_ADDRESS: integer(1, 1_000_000_000).default(300),
    RATE_LIMIT_WINDOW_SECONDS: integer(1, 7 * 24 * 3600).default(900),
    TRUST_PROXY: optionalString.pipe(
      z
        .string()
        .regex(/^(true|false|[0-9]{1,2})$/i, "must be true, false or a number of proxy hops")
        .optional(),
    ),
    CORS_ORIGINS: optionalString.pipe(
      z
        .string()
        .refine(
          (value) => value.split(",").every((origin) => /^https?:\/\/[^/\s]+$/.test(origin.trim())),
          "must be a comma-separated list of origins such as https://app.example.com (no path, no *)",
        )
        .optional(),
    ),
    LOKI_URL: optionalString.pipe(
      z.url({ protocol: /^https?$/, error: "must be an http(s) URL" }).optional(),
    ),
    LOKI_BATCH_INTERVAL_SECONDS: z.coerce.number().min(0.1).max(60).default(5),
    RECOVERY_LIMIT_PER_ACCOUNT: integer(1, 1_000_000_000).default(5),
    RECOVERY_LIMIT_PER_ADDRESS: integer(1, 1_000_000_000).default(30),
    SMTP_URL: optionalString.pipe(
      z.url({ protocol: /^smtps?$/, error: "must be an smtp:// or smtps:// URL" }).optional(),
    ),
    MAIL_FROM: z.string().trim().min(3).default("User Management <no-reply@localhost>"),
    PUBLIC_URL: optionalString.pipe(
      z
        .url({ protocol: /^https?$/, error: "must be an http(s) URL" })
        .default("http://localhost:3000")
        .transform((value) => value.replace(/\/+$/, "")),
    ),
    // Never below the contract's 8; capped so a password can still fit bcrypt's 72 bytes.
    PASSWORD_MIN_LENGTH: integer(MIN_PASSWORD_CHARACTERS, MAX_PASSWORD_MIN_LENGTH).default(
      MIN_PASSWORD_CHARACTERS,
    ),
    REQUIRE_VERIFIED_EMAIL: z
      .enum(["true", "false", ""], { error: "must be true or false" })
      .default("false")
      .transform((value) => value === "true"),
    EMAIL_CHANGE_LIMIT_PER_USER: integer(1, 1_000_000_000).default(5),
    EMAIL_CHANGE_LIMIT_PER_NEW_EMAIL: integer(1, 1_000_000_000).default(3),
    MAINTENANCE_INTERVAL_SECONDS: integer(0, 7 * 24 * 3600).default(600),
    MAINTENANCE_BATCH_SIZE: integer(1, 100_000).default(1000),
    AUDIT_RETENTION_DAYS: integer(1, 36_500).default(365),
    AUDIT_STORE_IP: z
      .enum(["true", "false", ""], { error: "must be true or false" })
      .default("true")
      .transform((value) => value !== "false"),
    OUTBOX_POLL_INTERVAL_MS: integer(0, 600_000).default(2000),
    WEB_DIST_DIR: optionalString,
    // Passkeys: unset, they follow PUBLIC_URL (its host name as RP ID, its origin as the one origin).
    WEBAUTHN_RP_ID: optionalString.pipe(
      z
        .string()
        .regex(/^[a-z0-9.-]+$/i, "must be a host name (no scheme, port or path)")
        .optional(),
    ),
    WEBAUTHN_RP_NAME: z.string().trim().min(1).max(200).default("User Management"),
    WEBAUTHN_ORIGINS: optionalString.pipe(
      z
        .string()
        .transform((value) =>
          value
            .split(",")
            .map((origin) => origin.trim())
            .filter(Boolean),
        )
        .pipe(
          z.array(
            z
              .url({ protocol: /^https?$/, error: "must be a comma-separated list of http(s) origins" })
              .transform((origin) => new URL(origin).origin),
          ),
        )
        .optional(),
    ),
  })
  .superRefine((env, ctx) => {
    checkFirstSuperuser(env, ctx);
    if (env.NODE_ENV !== "production") return;
    const problem = weakSecretReason(env.JWT_SECRET);
    if (problem) ctx.addIssue({ code: "custom", path: ["JWT_SECRET"], message: problem });
    if (env.KEY_ENCRYPTION_SECRET !== undefined) {
      const keyProblem = weakSecretReason(env.KEY_ENCRYPTION_SECRET);
      if (keyProblem) ctx.addIssue({ code: "custom", path: ["KEY_ENCRYPTION_SECRET"], message: keyProblem });
    }
    if (env.BCRYPT_COST < 10) {
      ctx.addIssue({ code: "custom", path: ["BCRYPT_COST"], message: "must be at least 10 in production" });
    }
    const argon2 = {
      memoryKib: env.ARGON2_MEMORY_KIB,
      iterations: env.ARGON2_ITERATIONS,
      parallelism: env.ARGON2_PARALLELISM,
    };
    if (!meetsOwaspArgon2idMinimum(argon2)) {
      ctx.addIssue({
        code: "custom",
        path: ["ARGON2_MEMORY_KIB"],
        message:
          "ARGON2_MEMORY_KIB and ARGON2_ITERATIONS are below OWASP's minimum for production (one of m=47104 t=1, m=19456 t=2, m=12288 t=3, m=9216 t=4, m=7168 t=5)",
      });
    }
  })
  .transform((e) => {
    const secret = e.JWT_SECRET ?? randomBytes(32).toString("hex");
    const secretWasGenerated = e.JWT_SECRET === undefined;
    return {
      env: e.NODE_ENV,
      port: e.PORT,
      host: e.HOST,
      database: {
        url: e.DATABASE_URL,
        poolSize: e.DATABASE_POOL_SIZE,
        dataDir: e.DATA_DIR,
        /** Named prepared statements; `false` behind a transaction-mode pooler that does not keep them. */
        preparedStatements: e.DATABASE_PREPARED_STATEMENTS,
      },
      // Outside production a missing secret is replaced by a random one per process: tokens then die with
      // the process, which is what a developer wants and what no deployment should rely on.
      jwt: {
        secret,
        ttlSeconds: e.ACCESS_TOKEN_TTL_SECONDS,
        /** How far past `exp` a token is still accepted, for clock differences between hosts. */
        leewaySeconds: e.JWT_LEEWAY_SECONDS,
        secretWasGenerated,
        /** `EdDSA`: tokens any service can verify through the JWKS; `HS256`: only this service can. */
        algorithm: e.JWT_ALGORITHM,
        /** `iss` of every token (default the public URL), required when verifying. */
        issuer: e.JWT_ISSUER ?? e.PUBLIC_URL,
        /** `aud` of every token, required when verifying. */
        audience: e.JWT_AUDIENCE,
        /** EdDSA signing keys in the database; see the README's "Signing keys". */
        signingKeys: {
          /** Private keys are encrypted at rest under a key derived from this. */
          encryptionSecret: e.KEY_ENCRYPTION_SECRET ?? secret,
          /** Where `encryptionSecret` came from: a generated one dies with the process (and its workers). */
          encryptionSecretSource: (e.KEY_ENCRYPTION_SECRET !== undefined
            ? "KEY_ENCRYPTION_SECRET"
            : secretWasGenerated
              ? "generated"
              : "JWT_SECRET") as "KEY_ENCRYPTION_SECRET" | "JWT_SECRET" | "generated",
          rotationDays: e.JWT_KEY_ROTATION_DAYS,
          /** A new key is published this long before it signs; also the JWKS `Cache-Control` max-age. */
          publishAheadSeconds: e.JWT_KEY_PUBLISH_AHEAD_SECONDS,
          /** How often each process reloads the keys (and rotates them when due). */
          reloadIntervalSeconds: e.JWT_KEY_RELOAD_SECONDS,
        },
      },
      /** Refresh tokens: lifetime, and how long a duplicate refresh gets the same pair (see the README's Sessions). */
      sessions: {
        refreshTokenTtlSeconds: e.REFRESH_TOKEN_TTL_SECONDS,
        reuseGraceSeconds: e.REFRESH_REUSE_GRACE_SECONDS,
      },
      bcryptCost: e.BCRYPT_COST,
      /**
       * Password hashing per process: the algorithm of new hashes (`argon2` applies to Argon2id, `bcryptCost`
       * to bcrypt), how many run at once (the cores) and how many may wait beyond them.
       */
      passwordHashing: {
        algorithm: e.PASSWORD_HASH,
        argon2: {
          memoryKib: e.ARGON2_MEMORY_KIB,
          iterations: e.ARGON2_ITERATIONS,
          parallelism: e.ARGON2_PARALLELISM,
        },
        concurrency: availableParallelism(),
        maxQueue: e.PASSWORD_HASH_MAX_QUEUE,
      },
      logLevel: e.LOG_LEVEL,
      /** Node cluster workers (`WEB_CONCURRENCY`, default the available cores); `explicit` when the variable was set. */
      webConcurrency: {
        workers: e.WEB_CONCURRENCY ?? availableParallelism(),
        explicit: e.WEB_CONCURRENCY !== undefined,
      },
      /** Node's own flags from the environment: a heap flag set there wins over the workers' default. */
      nodeOptions: e.NODE_OPTIONS,
      /** Created at start-up when no user has this email (see `ensureFirstSuperuser`). */
      firstSuperuser:
        e.FIRST_SUPERUSER_EMAIL !== undefined && e.FIRST_SUPERUSER_PASSWORD !== undefined
          ? { email: e.FIRST_SUPERUSER_EMAIL, password: e.FIRST_SUPERUSER_PASSWORD }
          : undefined,
      /** Folder of the built web app served at `/`. */
      webDistDir: e.WEB_DIST_DIR ?? DEFAULT_WEB_DIST_DIR,
      /** PostgreSQL timeouts (the embedded database ignores them). */
      databaseTimeouts: {
        connectSeconds: e.DATABASE_CONNECT_TIMEOUT_SECONDS,
        statementMs: e.DATABASE_STATEMENT_TIMEOUT_MS,
      },
      /** Attempt budgets per fixed window; see the README's rate-limiting section. */
      rateLimits: {
        /** Failed logins (and wrong current passwords) per account from one client address. */
        loginPerAccountAndAddress: e.LOGIN_LIMIT_PER_ACCOUNT_AND_ADDRESS,
        /** The account-wide ceiling on those failures, whatever the address. */
        loginPerAccount: e.LOGIN_LIMIT_PER_ACCOUNT,
        loginPerAddress: e.LOGIN_LIMIT_PER_ADDRESS,
        registerPerAddress: e.REGISTER_LIMIT_PER_ADDRESS,
        refreshPerAddress: e.REFRESH_LIMIT_PER_ADDRESS,
        /** Password-reset requests and verification resends per account, and all recovery routes per address. */
        recoveryPerAccount: e.RECOVERY_LIMIT_PER_ACCOUNT,
        recoveryPerAddress: e.RECOVERY_LIMIT_PER_ADDRESS,
        /** Email changes per user, and per new address (so one address cannot be mailed from many accounts). */
        emailChangePerUser: e.EMAIL_CHANGE_LIMIT_PER_USER,
        emailChangePerNewEmail: e.EMAIL_CHANGE_LIMIT_PER_NEW_EMAIL,
        windowSeconds: e.RATE_LIMIT_WINDOW_SECONDS,
      },
      http: {
        /** How many reverse proxies in front append to X-Forwarded-For (0 = trust the socket only). */
        trustProxyHops: trustProxyHops(e.TRUST_PROXY),
        /** Browser origins allowed by CORS; empty = no CORS headers at all. */
        corsOrigins: e.CORS_ORIGINS ? e.CORS_ORIGINS.split(",").map((origin) => origin.trim()) : [],
        /** Backstop: a request still running after this answers 503. */
        requestTimeoutMs: e.REQUEST_TIMEOUT_MS,
        /** How long `/ready` waits for `select 1`. */
        readyTimeoutMs: e.READY_TIMEOUT_MS,
        /** How long shutdown waits for in-flight requests before exiting anyway. */
        shutdownTimeoutMs: e.SHUTDOWN_TIMEOUT_MS,
      },
      /** Where logs are also shipped, when set. */
      loki: e.LOKI_URL ? { url: e.LOKI_URL, batchIntervalSeconds: e.LOKI_BATCH_INTERVAL_SECONDS } : undefined,
      /** `smtpUrl` undefined: mails are logged (development) or dropped with a warning (production). */
      mail: { smtpUrl: e.SMTP_URL, from: e.MAIL_FROM },
      /** Where the web app is reached; email links point there. */
      publicUrl: e.PUBLIC_URL,
      /** Login refuses accounts whose email is not verified (403). */
      requireVerifiedEmail: e.REQUIRE_VERIFIED_EMAIL,
      /** Rules for new passwords (`PASSWORD_MIN_LENGTH`; the common-password list always applies). */
      passwordPolicy: { minLength: e.PASSWORD_MIN_LENGTH } satisfies PasswordPolicy,
      /**
       * Passkeys: the relying party (its id must be the public host or a registrable parent of it) and the
       * origins whose browsers may use them. Also the issuer name authenticator apps show for TOTP.
       */
      webauthn: {
        rpId: e.WEBAUTHN_RP_ID ?? new URL(e.PUBLIC_URL).hostname,
        rpName: e.WEBAUTHN_RP_NAME,
        origins: e.WEBAUTHN_ORIGINS ?? [new URL(e.PUBLIC_URL).origin],
      },
      /** The periodic sweep of spent tokens (see `startMaintenance`); `intervalSeconds: 0` turns it off. */
      maintenance: {
        intervalSeconds: e.MAINTENANCE_INTERVAL_SECONDS,
        batchSize: e.MAINTENANCE_BATCH_SIZE,
        auditRetentionDays: e.AUDIT_RETENTION_DAYS,
      },
      /** The security log: `storeIp: false` keeps client addresses out of it and out of sessions. */
      audit: { storeIp: e.AUDIT_STORE_IP },
      /** How often the outbox sender looks for mail to send; 0 = this process never sends. */
      outbox: { pollIntervalMs: e.OUTBOX_POLL_INTERVAL_MS },
    };
  });

/** `oidc`: the identity providers (`OIDC_PROVIDERS`, see oidc/oidc-settings.ts). */
export type Config = z.output<typeof configSchema> & { oidc: OidcSettings };
export type SessionSettings = Config["sessions"];
export type RateLimitSettings = Config["rateLimits"];
export type HttpSettings = Config["http"];
export type MaintenanceSettings = Config["maintenance"];
export type SigningKeySettings = Config["jwt"]["signingKeys"];

/** Both or neither, with the rules registration applies, so a typo stops the start-up instead of being ignored. */
function checkFirstSuperuser(
  env: {
    FIRST_SUPERUSER_EMAIL?: string | undefined;
    FIRST_SUPERUSER_PASSWORD?: string | undefined;
    PASSWORD_MIN_LENGTH: number;
  },
  ctx: z.RefinementCtx,
): void {
  const { FIRST_SUPERUSER_EMAIL: email, FIRST_SUPERUSER_PASSWORD: password } = env;
  if (email === undefined && password === undefined) return;
  if (email === undefined || password === undefined) {
    const missing = email === undefined ? "FIRST_SUPERUSER_EMAIL" : "FIRST_SUPERUSER_PASSWORD";
    ctx.addIssue({
      code: "custom",
      path: [missing],
      message: "FIRST_SUPERUSER_EMAIL and FIRST_SUPERUSER_PASSWORD must be set together",
    });
    return;
  }
  const emailProblem = createEmailRule().safeParse(email).error?.issues[0]?.message;
  if (emailProblem) ctx.addIssue({ code: "custom", path: ["FIRST_SUPERUSER_EMAIL"], message: emailProblem });
  const passwordProblem = createNewPasswordRule(env.PASSWORD_MIN_LENGTH).safeParse(password).error?.issues[0]
    ?.message;
  if (passwordProblem) {
    ctx.addIssue({ code: "custom", path: ["FIRST_SUPERUSER_PASSWORD"], message: passwordProblem });
  }
}

function weakSecretReason(secret: string | undefined): string | undefined {
  if (secret === undefined)
    return "is required in production (at least 32 random bytes, e.g. `openssl rand -hex 32`)";
  if (Buffer.byteLength(secret) < MIN_SECRET_BYTES)
    return `must be at least ${MIN_SECRET_BYTES} bytes in production`;
  if (KNOWN_PLACEHOLDER_SECRETS.has(secret.toLowerCase()) || new Set(secret).size < 10) {
    return "looks like a placeholder, not a random secret";
  }
  return undefined;
}

export class ConfigError extends Error {
  override readonly name = "ConfigError";
  constructor(readonly problems: string[]) {
    super(`invalid configuration:\n${problems.map((p) => `  - ${p}`).join("\n")}`);
  }
}

/** Validates the environment once. Throws ConfigError listing every bad variable. */
export function loadConfig(env: Record<string, string | undefined>): Config {
  const parsed = configSchema.safeParse(env);
  const nodeEnv = parsed.success ? parsed.data.env : "development";
  const oidc = parseOidcSettings(env, nodeEnv);
  if (!parsed.success || oidc.problems.length > 0) {
    throw new ConfigError([
      ...(parsed.error?.issues ?? []).map(
        (issue) => `${issue.path.join(".") || "environment"}: ${issue.message}`,
      ),
      ...oidc.problems,
    ]);
  }
  return { ...parsed.data, oidc: oidc.settings };
}

/** `TRUST_PROXY`: unset/false = 0 hops, true = 1 (Traefik alone in front), or an explicit count. */
function trustProxyHops(value: string | undefined): number {
  if (value === undefined || value.toLowerCase() === "false") return 0;
  if (value.toLowerCase() === "true") return 1;
  return Number(value);
}

/** The entries' way in: the one place that touches `process.env`. */
export function loadConfigFromEnvironment(): Config {
  return loadConfig(process.env);
}
