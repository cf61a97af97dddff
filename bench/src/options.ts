import { availableParallelism } from "node:os";
import { parseArgs } from "node:util";

export interface BenchOptions {
  databaseUrl: string;
  /** Seconds and connections of the cheap phases (/health, /me). */
  duration: number;
  connections: number;
  /** Seconds and connections of the bcrypt-bound phases (login, registration, failed login). */
  bcryptDuration: number;
  bcryptConnections: number;
  /** Seconds each ceiling (bcrypt, database) is measured for. */
  ceilingDuration: number;
  cost: number;
  webConcurrency: number;
  poolSize: number;
  logLevel: string;
  smallUsers: number;
  largeUsers: number;
  scaleSmallOnly: boolean;
  /** Phase names to run (all when empty): health, me, login, register, login-wrong. */
  only: string[];
  output: string;
  /** When set, the server runs under `node --cpu-prof` and writes its profiles here. */
  cpuProfDir: string | undefined;
  /** PATH handed to the server and the migrator, which otherwise get a clean environment. */
  path: string;
  /** Which runtimes to measure: Node (also Node 24 when installed), Bun, or both, each with its own ceilings. */
  runtime: "node" | "bun" | "both";
  /** Leave Node 24 out even when installed (a quicker run). */
  skipNode24: boolean;
  /** PASSWORD_HASH values the login and registration phases run with, each against its own ceiling. */
  passwordHashes: Array<"bcrypt" | "argon2id">;
  /** Argon2id parameters of the server (ARGON2_*) and of its ceiling. */
  argon2: { memoryKib: number; iterations: number; parallelism: number };
  /** Users with TOTP for the second-factor phase (each accepts about one code per 30 s step). */
  mfaUsers: number;
}

export const PHASE_NAMES = ["health", "me", "refresh", "mfa", "login", "register", "login-wrong"] as const;
export const RUNTIME_CHOICES = ["node", "bun", "both"] as const;
export const PASSWORD_HASHES = ["bcrypt", "argon2id"] as const;

export const USAGE = `pnpm bench [-- flags]

  --duration <s>             seconds per cheap phase (/health, /me)           default 10
  --connections <n>          connections for cheap phases                     default 64
  --bcrypt-duration <s>      seconds per bcrypt-bound phase                   default 20
  --bcrypt-connections <n>   connections for bcrypt-bound phases              default 16
  --ceiling-duration <s>     seconds for the bcrypt and database ceilings     default 5
  --cost <n>                 BCRYPT_COST of the server and the bcrypt ceiling default 12
  --web-concurrency <n>      WEB_CONCURRENCY (server processes)               default available cores
  --pool-size <n>            DATABASE_POOL_SIZE per process                   default 10
  --log-level <level>        LOG_LEVEL of the server                          default warn
  --small-users <n>          users seeded for the small scale                 default 1000
  --large-users <n>          users in the table for the large scale           default 1000000
  --scale-small-only         skip the large scale
  --only <a,b>               run only these phases (${PHASE_NAMES.join(", ")})
  --output <file>            JSON results                                     default bench/results/latest.json
  --cpu-prof <dir>           run the server under node --cpu-prof, profiles written to <dir>
  --runtime <r>              node (and Node 24 when installed), bun, or both  default both
  --skip-node24              leave Node 24 out even when it is installed
  --password-hash <a,b>      PASSWORD_HASH values for login/registration      default bcrypt,argon2id
  --argon2-memory-kib <n>    ARGON2_MEMORY_KIB of the server and its ceiling  default 19456
  --argon2-iterations <n>    ARGON2_ITERATIONS                                default 2
  --argon2-parallelism <n>   ARGON2_PARALLELISM                               default 1
  --mfa-users <n>            users with TOTP for the second-factor phase      default 2000
  --database-url <url>       PostgreSQL server (default BENCH_DATABASE_URL, TEST_DATABASE_URL,
                             or postgres://postgres@127.0.0.1:5432/postgres)
  --help`;

export class UsageError extends Error {
  override readonly name = "UsageError";
}

function positive(name: string, value: string | undefined, fallback: number, integer = true): number {
  if (value === undefined) return fallback;
  const parsed = Number(value);
  if (!Number.isFinite(parsed) || parsed <= 0 || (integer && !Number.isInteger(parsed))) {
    throw new UsageError(`--${name} must be a positive ${integer ? "integer" : "number"}, got "${value}"`);
  }
  return parsed;
}

/**
 * Reads the command line. `env` supplies the database URL fallbacks and `cores` the default process
 * count, so tests need neither the real environment nor the real machine.
 */
export function parseOptions(
  argv: string[],
  env: Record<string, string | undefined>,
  cores: number = availableParallelism(),
): BenchOptions | "help" {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    allowPositionals: false,
    options: {
      duration: { type: "string" },
      connections: { type: "string" },
      "bcrypt-duration": { type: "string" },
      "bcrypt-connections": { type: "string" },
      "ceiling-duration": { type: "string" },
      cost: { type: "string" },
      "web-concurrency": { type: "string" },
      "pool-size": { type: "string" },
      "log-level": { type: "string" },
      "small-users": { type: "string" },
      "large-users": { type: "string" },
      "scale-small-only": { type: "boolean" },
      only: { type: "string" },
      output: { type: "string" },
      "cpu-prof": { type: "string" },
      "database-url": { type: "string" },
      runtime: { type: "string" },
      "skip-node24": { type: "boolean" },
      "password-hash": { type: "string" },
      "argon2-memory-kib": { type: "string" },
      "argon2-iterations": { type: "string" },
      "argon2-parallelism": { type: "string" },
      "mfa-users": { type: "string" },
      help: { type: "boolean" },
    },
  });
  if (values.help) return "help";
  const only = (values.only ?? "")
    .split(",")
    .map((name) => name.trim())
    .filter((name) => name !== "");
  for (const name of only) {
    if (!(PHASE_NAMES as readonly string[]).includes(name)) {
      throw new UsageError(`--only: unknown phase "${name}" (known: ${PHASE_NAMES.join(", ")})`);
    }
  }
  const runtime = values.runtime ?? "both";
  if (!(RUNTIME_CHOICES as readonly string[]).includes(runtime)) {
    throw new UsageError(`--runtime must be one of ${RUNTIME_CHOICES.join(", ")}, got "${runtime}"`);
  }
  const passwordHashes = (values["password-hash"] ?? PASSWORD_HASHES.join(","))
    .split(",")
    .map((name) => name.trim())
    .filter((name) => name !== "");
  for (const name of passwordHashes) {
    if (!(PASSWORD_HASHES as readonly string[]).includes(name)) {
      throw new UsageError(
        `--password-hash: unknown algorithm "${name}" (known: ${PASSWORD_HASHES.join(", ")})`,
      );
    }
  }
  if (passwordHashes.length === 0) throw new UsageError("--password-hash needs at least one algorithm");
  const cost = positive("cost", values.cost, 12);
  if (cost < 4 || cost > 16) throw new UsageError("--cost must be between 4 and 16");
  const smallUsers = positive("small-users", values["small-users"], 1_000);
  const largeUsers = positive("large-users", values["large-users"], 1_000_000);
  if (largeUsers <= smallUsers) throw new UsageError("--large-users must be more than --small-users");
  return {
    databaseUrl:
      values["database-url"] ??
      env["BENCH_DATABASE_URL"] ??
      env["TEST_DATABASE_URL"] ??
      "postgres://postgres@127.0.0.1:5432/postgres",
    duration: positive("duration", values.duration, 10, false),
    connections: positive("connections", values.connections, 64),
    bcryptDuration: positive("bcrypt-duration", values["bcrypt-duration"], 20, false),
    bcryptConnections: positive("bcrypt-connections", values["bcrypt-connections"], 16),
    ceilingDuration: positive("ceiling-duration", values["ceiling-duration"], 5, false),
    cost,
    webConcurrency: positive("web-concurrency", values["web-concurrency"], cores),
    poolSize: positive("pool-size", values["pool-size"], 10),
    logLevel: values["log-level"] ?? "warn",
    smallUsers,
    largeUsers,
    scaleSmallOnly: values["scale-small-only"] ?? false,
    only,
    output: values.output ?? "bench/results/latest.json",
    cpuProfDir: values["cpu-prof"],
    path: env["PATH"] ?? "",
    runtime: runtime as BenchOptions["runtime"],
    skipNode24: values["skip-node24"] ?? false,
    passwordHashes: [...new Set(passwordHashes)] as BenchOptions["passwordHashes"],
    argon2: {
      memoryKib: positive("argon2-memory-kib", values["argon2-memory-kib"], 19_456),
      iterations: positive("argon2-iterations", values["argon2-iterations"], 2),
      parallelism: positive("argon2-parallelism", values["argon2-parallelism"], 1),
    },
    mfaUsers: positive("mfa-users", values["mfa-users"], 2_000),
  };
}
