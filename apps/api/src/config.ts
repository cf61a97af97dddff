/**
 * The only module that reads the environment. Everything else receives a validated `Config`.
 * `loadConfig(env)` takes the environment as an argument so tests can build several configurations.
 */
import { randomBytes } from "node:crypto";
import { fileURLToPath } from "node:url";
import { z } from "zod";

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
    WEB_DIST_DIR: optionalString,
  })
  .superRefine((env, ctx) => {
    if (env.NODE_ENV !== "production") return;
    const problem = weakSecretReason(env.JWT_SECRET);
    if (problem) ctx.addIssue({ code: "custom", path: ["JWT_SECRET"], message: problem });
    if (env.BCRYPT_COST < 10) {
      ctx.addIssue({ code: "custom", path: ["BCRYPT_COST"], message: "must be at least 10 in production" });
    }
  });

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
  /** Folder of the built web app served at `/`. */
  webDistDir: string;
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
    webDistDir: e.WEB_DIST_DIR ?? DEFAULT_WEB_DIST_DIR,
  };
}

/** The entries' way in: the one place that touches `process.env`. */
export function loadConfigFromEnvironment(): Config {
  return loadConfig(process.env);
}
