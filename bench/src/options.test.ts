import { describe, expect, it } from "vitest";
import { parseOptions, UsageError } from "./options.js";

describe("parseOptions", () => {
  it("defaults to the issue's shape: 10 s × 64 connections, bcrypt phases 20 s × 16, cost 12, one process per core", () => {
    const options = parseOptions([], { PATH: "/bin" }, 2);
    expect(options).toMatchObject({
      databaseUrl: "postgres://postgres@127.0.0.1:5432/postgres",
      duration: 10,
      connections: 64,
      bcryptDuration: 20,
      bcryptConnections: 16,
      cost: 12,
      webConcurrency: 2,
      poolSize: 10,
      logLevel: "warn",
      smallUsers: 1000,
      largeUsers: 1_000_000,
      scaleSmallOnly: false,
      only: [],
      path: "/bin",
      runtime: "both",
      skipNode24: false,
      passwordHashes: ["bcrypt", "argon2id"],
      argon2: { memoryKib: 19_456, iterations: 2, parallelism: 1 },
      mfaUsers: 2_000,
    });
  });

  it("reads the runtimes, the password hashes and the Argon2id parameters", () => {
    const options = parseOptions(
      [
        "--runtime",
        "bun",
        "--skip-node24",
        "--password-hash",
        "argon2id",
        "--argon2-memory-kib",
        "7168",
        "--argon2-iterations",
        "5",
        "--argon2-parallelism",
        "2",
        "--mfa-users",
        "300",
        "--only",
        "refresh,mfa",
      ],
      {},
      2,
    );
    expect(options).toMatchObject({
      runtime: "bun",
      skipNode24: true,
      passwordHashes: ["argon2id"],
      argon2: { memoryKib: 7168, iterations: 5, parallelism: 2 },
      mfaUsers: 300,
      only: ["refresh", "mfa"],
    });
    expect(() => parseOptions(["--runtime", "deno"], {})).toThrow(UsageError);
    expect(() => parseOptions(["--password-hash", "md5"], {})).toThrow(UsageError);
    expect(() => parseOptions(["--argon2-iterations", "0"], {})).toThrow(UsageError);
  });

  it("reads every flag", () => {
    const options = parseOptions(
      [
        "--duration",
        "2",
        "--connections",
        "8",
        "--bcrypt-duration",
        "3",
        "--bcrypt-connections",
        "4",
        "--cost",
        "10",
        "--web-concurrency",
        "3",
        "--pool-size",
        "5",
        "--log-level",
        "info",
        "--scale-small-only",
        "--only",
        "me, login",
        "--cpu-prof",
        "/tmp/p",
        "--database-url",
        "postgres://x/y",
      ],
      {},
      2,
    );
    expect(options).toMatchObject({
      duration: 2,
      connections: 8,
      bcryptDuration: 3,
      bcryptConnections: 4,
      cost: 10,
      webConcurrency: 3,
      poolSize: 5,
      logLevel: "info",
      scaleSmallOnly: true,
      only: ["me", "login"],
      cpuProfDir: "/tmp/p",
      databaseUrl: "postgres://x/y",
    });
  });

  it("takes the database from BENCH_DATABASE_URL, then TEST_DATABASE_URL", () => {
    expect(parseOptions([], { TEST_DATABASE_URL: "postgres://t/t" })).toMatchObject({
      databaseUrl: "postgres://t/t",
    });
    expect(
      parseOptions([], { TEST_DATABASE_URL: "postgres://t/t", BENCH_DATABASE_URL: "postgres://b/b" }),
    ).toMatchObject({ databaseUrl: "postgres://b/b" });
  });

  it("refuses nonsense", () => {
    expect(() => parseOptions(["--duration", "0"], {})).toThrow(UsageError);
    expect(() => parseOptions(["--connections", "1.5"], {})).toThrow(UsageError);
    expect(() => parseOptions(["--cost", "3"], {})).toThrow(UsageError);
    expect(() => parseOptions(["--only", "everything"], {})).toThrow(UsageError);
    expect(() => parseOptions(["--large-users", "10"], {})).toThrow(UsageError);
    expect(() => parseOptions(["--bogus"], {})).toThrow();
  });

  it("answers --help", () => {
    expect(parseOptions(["--help"], {})).toBe("help");
  });
});
