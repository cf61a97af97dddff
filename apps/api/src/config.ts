/**
 * The only module that reads the environment. Everything else receives a validated `Config`.
 * `loadConfig(env)` takes the environment as an argument so tests can build several configurations.
 */
import { randomBytes } from "node:crypto";
import { availableParallelism } from "node:os";
import { z } from "zod";
import { emailSchema, newPasswordSchema } from "./routes/v1/users/users.wire.js";

const MIN_SECRET_BYTES = 32;
const KNOWN_PLACEHOLDER_SECRETS = new Set([
  "changeme",
  "change-me",
  "secret",
  "please-change-me",
  "replace-me",
]);

const integer = (min: number, max: number) => z.coerce.number().int().min(min).max(max);
const optionalString = z
  .string()
  .optional()
  .transform((value) => (value === undefined || value.trim() === "" ? undefined : value.trim()));

const schema = z
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
    DATA_DIR: z.string().min(1).default("./.data"),
    JWT_SECRET: optionalString,
    ACCESS_TOKEN_TTL_SECONDS: integer(60, 7 * 24 * 3600).default(1800),
    BCRYPT_COST: integer(4, 16).default(12),
    LOG_LEVEL: z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info"),
    // issue 7 (cluster mode): worker processes of the Node entry; only used with a PostgreSQL DATABASE_URL.
    WEB_CONCURRENCY: optionalString.pipe(z.coerce.number<string>().int().min(1).max(256).optional()),
    FIRST_SUPERUSER_EMAIL: optionalString,
    // Not trimmed: spaces may be part of a password.
    FIRST_SUPERUSER_PASSWORD: z
      .string()
      .optional()
      .transform((value) => (value === "" ? undefined : value)),
  })
  .superRefine((env, ctx) => {
    checkFirstSuperuser(env, ctx);
    if (env.NODE_ENV !== "production") return;
    const problem = weakSecretReason(env.JWT_SECRET);
    if (problem) ctx.addIssue({ code: "custom", path: ["JWT_SECRET"], message: problem });
    if (env.BCRYPT_COST < 10) {
      ctx.addIssue({ code: "custom", path: ["BCRYPT_COST"], message: "must be at least 10 in production" });
    }
  });

/** Both or neither, with the rules registration applies, so a typo stops the start-up instead of being ignored. */
function checkFirstSuperuser(
  env: { FIRST_SUPERUSER_EMAIL?: string | undefined; FIRST_SUPERUSER_PASSWORD?: string | undefined },
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
  const emailProblem = emailSchema.safeParse(email).error?.issues[0]?.message;
  if (emailProblem) ctx.addIssue({ code: "custom", path: ["FIRST_SUPERUSER_EMAIL"], message: emailProblem });
  const passwordProblem = newPasswordSchema.safeParse(password).error?.issues[0]?.message;
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

export interface Config {
  env: "development" | "production" | "test";
  port: number;
  host: string;
  database: { url: string | undefined; poolSize: number; dataDir: string };
  jwt: { secret: string; ttlSeconds: number; secretWasGenerated: boolean };
  bcryptCost: number;
  logLevel: "fatal" | "error" | "warn" | "info" | "debug" | "trace" | "silent";
  /** Node cluster workers (`WEB_CONCURRENCY`, default the available cores); `explicit` when the variable was set. */
  webConcurrency: { workers: number; explicit: boolean };
  /** Created at start-up when no user has this email (see `ensureFirstSuperuser`). */
  firstSuperuser: { email: string; password: string } | undefined;
}

export class ConfigError extends Error {
  override readonly name = "ConfigError";
  constructor(readonly problems: string[]) {
    super(`invalid configuration:\n${problems.map((p) => `  - ${p}`).join("\n")}`);
  }
}

/** Validates the environment once. Throws ConfigError listing every bad variable. */
export function loadConfig(env: Record<string, string | undefined>): Config {
  const parsed = schema.safeParse(env);
  if (!parsed.success) {
    throw new ConfigError(
      parsed.error.issues.map((issue) => `${issue.path.join(".") || "environment"}: ${issue.message}`),
    );
  }
  const e = parsed.data;
  // Outside production a missing secret is replaced by a random one per process: tokens then die with
  // the process, which is what a developer wants and what no deployment should rely on.
  const secretWasGenerated = e.JWT_SECRET === undefined;
  return {
    env: e.NODE_ENV,
    port: e.PORT,
    host: e.HOST,
    database: { url: e.DATABASE_URL, poolSize: e.DATABASE_POOL_SIZE, dataDir: e.DATA_DIR },
    jwt: {
      secret: e.JWT_SECRET ?? randomBytes(32).toString("hex"),
      ttlSeconds: e.ACCESS_TOKEN_TTL_SECONDS,
      secretWasGenerated,
    },
    bcryptCost: e.BCRYPT_COST,
    logLevel: e.LOG_LEVEL,
    webConcurrency: {
      workers: e.WEB_CONCURRENCY ?? availableParallelism(),
      explicit: e.WEB_CONCURRENCY !== undefined,
    },
    firstSuperuser:
      e.FIRST_SUPERUSER_EMAIL !== undefined && e.FIRST_SUPERUSER_PASSWORD !== undefined
        ? { email: e.FIRST_SUPERUSER_EMAIL, password: e.FIRST_SUPERUSER_PASSWORD }
        : undefined,
  };
}

/** The entries' way in: the one place that touches `process.env`. */
export function loadConfigFromEnvironment(): Config {
  return loadConfig(process.env);
}
