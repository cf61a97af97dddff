import { fileURLToPath } from "node:url";
import { DEFAULT_ACCESS_TOKEN_TTL_SECONDS, DEFAULT_LEEWAY_SECONDS } from "@app/auth";
import { describe, expect, it } from "vitest";
import { primaryShutdownDeadlineMs } from "../src/cluster.js";
import { ConfigError, DEFAULT_WEB_DIST_DIR, loadConfig } from "../src/config.js";

const strongSecret = "f3a9c2e7b14d6e8a0c5b9d2f7e1a4c6b8d0e2f4a6c8e0b2d";

describe("loadConfig", () => {
  it("has documented defaults and generates a dev secret", () => {
    const config = loadConfig({});
    expect(config).toMatchObject({
      env: "development",
      port: 3000,
      host: "0.0.0.0",
      database: { url: undefined, dataDir: "./.data", poolSize: 10 },
      jwt: { ttlSeconds: 900, leewaySeconds: 5, secretWasGenerated: true },
      sessions: { refreshTokenTtlSeconds: 30 * 24 * 3600, reuseGraceSeconds: 10 },
      rateLimits: { refreshPerAddress: 300 },
      bcryptCost: 12,
      logLevel: "info",
    });
    expect(Buffer.byteLength(config.jwt.secret)).toBeGreaterThanOrEqual(32);
    expect(loadConfig({}).jwt.secret).not.toBe(config.jwt.secret);
    expect(config.webDistDir).toBe(DEFAULT_WEB_DIST_DIR);
    // One set of token defaults: the api's are @app/auth's, so a token service built without them agrees.
    expect(config.jwt.ttlSeconds).toBe(DEFAULT_ACCESS_TOKEN_TTL_SECONDS);
    expect(config.jwt.leewaySeconds).toBe(DEFAULT_LEEWAY_SECONDS);
    expect(DEFAULT_WEB_DIST_DIR).toBe(fileURLToPath(new URL("../../web/dist", import.meta.url)));
  });

  it("reads and coerces every variable", () => {
    const config = loadConfig({
      NODE_ENV: "production",
      PORT: "8080",
      HOST: "127.0.0.1",
      DATABASE_URL: "postgres://u@db:5432/app",
      DATA_DIR: "/var/lib/app",
      JWT_SECRET: strongSecret,
      ACCESS_TOKEN_TTL_SECONDS: "600",
      JWT_LEEWAY_SECONDS: "0",
      REFRESH_TOKEN_TTL_SECONDS: "86400",
      REFRESH_REUSE_GRACE_SECONDS: "0",
      BCRYPT_COST: "11",
      LOG_LEVEL: "warn",
      WEB_DIST_DIR: "/srv/web",
    });
    expect(config).toMatchObject({
      env: "production",
      port: 8080,
      host: "127.0.0.1",
      database: { url: "postgres://u@db:5432/app", dataDir: "/var/lib/app" },
      jwt: { secret: strongSecret, ttlSeconds: 600, leewaySeconds: 0, secretWasGenerated: false },
      sessions: { refreshTokenTtlSeconds: 86_400, reuseGraceSeconds: 0 },
      bcryptCost: 11,
      logLevel: "warn",
      webDistDir: "/srv/web",
    });
  });

  it("keeps JWT_LEEWAY_SECONDS within 0–60", () => {
    expect(loadConfig({ JWT_LEEWAY_SECONDS: "60" }).jwt.leewaySeconds).toBe(60);
    expect(() => loadConfig({ JWT_LEEWAY_SECONDS: "61" })).toThrow(/JWT_LEEWAY_SECONDS/);
    expect(() => loadConfig({ JWT_LEEWAY_SECONDS: "-1" })).toThrow(/JWT_LEEWAY_SECONDS/);
  });

  it("treats an empty DATABASE_URL as unset (embedded database)", () => {
    expect(loadConfig({ DATABASE_URL: "" }).database.url).toBeUndefined();
  });

  it.each([
    ["missing", {}],
    ["short", { JWT_SECRET: "too-short-secret" }],
    ["a placeholder", { JWT_SECRET: "a".repeat(40) }],
  ])("refuses a %s JWT_SECRET in production", (_name, env) => {
    expect(() => loadConfig({ NODE_ENV: "production", ...env })).toThrow(/JWT_SECRET/);
  });

  it("names every bad variable at once", () => {
    try {
      loadConfig({ PORT: "eighty", BCRYPT_COST: "99", DATABASE_URL: "mysql://x", LOG_LEVEL: "loud" });
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigError);
      const message = (error as ConfigError).message;
      for (const key of ["PORT", "BCRYPT_COST", "DATABASE_URL", "LOG_LEVEL"]) expect(message).toContain(key);
    }
  });

  it("signs EdDSA tokens by default, issued by the public URL for user-management", () => {
    const { jwt } = loadConfig({ PUBLIC_URL: "https://id.example.com/" });
    expect(jwt).toMatchObject({
      algorithm: "EdDSA",
      issuer: "https://id.example.com",
      audience: "user-management",
      signingKeys: {
        encryptionSecretSource: "generated",
        rotationDays: 30,
        publishAheadSeconds: 3600,
        reloadIntervalSeconds: 60,
      },
    });
    expect(jwt.signingKeys.encryptionSecret).toBe(jwt.secret);
  });

  it("reads the token and signing-key variables", () => {
    const { jwt } = loadConfig({
      JWT_ALGORITHM: "HS256",
      JWT_ISSUER: "https://issuer.example.com",
      JWT_AUDIENCE: "orders",
      JWT_KEY_ROTATION_DAYS: "7",
      JWT_KEY_PUBLISH_AHEAD_SECONDS: "600",
      JWT_KEY_RELOAD_SECONDS: "5",
    });
    expect(jwt).toMatchObject({
      algorithm: "HS256",
      issuer: "https://issuer.example.com",
      audience: "orders",
      signingKeys: { rotationDays: 7, publishAheadSeconds: 600, reloadIntervalSeconds: 5 },
    });
    expect(() => loadConfig({ JWT_ALGORITHM: "RS256" })).toThrow(/JWT_ALGORITHM/);
    // The JWKS max-age is the publish-ahead time, and the contract caps it at an hour.
    expect(() => loadConfig({ JWT_KEY_PUBLISH_AHEAD_SECONDS: "3601" })).toThrow(/JWT_KEY_PUBLISH_AHEAD/);
  });

  it("encrypts signing keys under KEY_ENCRYPTION_SECRET, else JWT_SECRET", () => {
    const other = "0d9e8f7a6b5c4d3e2f1a0b9c8d7e6f5a4b3c2d1e0f9a8b7c";
    expect(loadConfig({ JWT_SECRET: strongSecret }).jwt.signingKeys).toMatchObject({
      encryptionSecret: strongSecret,
      encryptionSecretSource: "JWT_SECRET",
    });
    expect(
      loadConfig({ JWT_SECRET: strongSecret, KEY_ENCRYPTION_SECRET: other }).jwt.signingKeys,
    ).toMatchObject({ encryptionSecret: other, encryptionSecretSource: "KEY_ENCRYPTION_SECRET" });
  });

  it("refuses a weak KEY_ENCRYPTION_SECRET in production", () => {
    expect(() =>
      loadConfig({ NODE_ENV: "production", JWT_SECRET: strongSecret, KEY_ENCRYPTION_SECRET: "changeme" }),
    ).toThrow(/KEY_ENCRYPTION_SECRET/);
  });

  it("refuses a low bcrypt cost in production", () => {
    expect(() => loadConfig({ NODE_ENV: "production", JWT_SECRET: strongSecret, BCRYPT_COST: "4" })).toThrow(
      /BCRYPT_COST/,
    );
  });
});

describe("loadConfig: password hashing", () => {
  it("defaults to bcrypt, with OWASP's Argon2id parameters ready for a switch", () => {
    expect(loadConfig({}).passwordHashing).toMatchObject({
      algorithm: "bcrypt",
      argon2: { memoryKib: 19_456, iterations: 2, parallelism: 1 },
      maxQueue: 16,
    });
  });

  it("reads PASSWORD_HASH and ARGON2_*", () => {
    const config = loadConfig({
      PASSWORD_HASH: "argon2id",
      ARGON2_MEMORY_KIB: "65536",
      ARGON2_ITERATIONS: "3",
      ARGON2_PARALLELISM: "2",
    });
    expect(config.passwordHashing).toMatchObject({
      algorithm: "argon2id",
      argon2: { memoryKib: 65_536, iterations: 3, parallelism: 2 },
    });
  });

  it.each([
    ["PASSWORD_HASH", "scrypt"],
    ["ARGON2_MEMORY_KIB", "512"],
    ["ARGON2_MEMORY_KIB", "lots"],
    ["ARGON2_ITERATIONS", "0"],
    ["ARGON2_PARALLELISM", "0"],
    ["ARGON2_PARALLELISM", "17"],
  ])("refuses %s=%s anywhere", (key, value) => {
    expect(() => loadConfig({ [key]: value })).toThrow(new RegExp(key));
  });

  it("accepts cheap Argon2id parameters outside production (tests, laptops)", () => {
    const env = { PASSWORD_HASH: "argon2id", ARGON2_MEMORY_KIB: "1024", ARGON2_ITERATIONS: "1" };
    expect(loadConfig(env).passwordHashing.argon2).toMatchObject({ memoryKib: 1024, iterations: 1 });
  });

  it.each([
    ["19455", "2"],
    ["19456", "1"],
    ["7168", "4"],
    ["47103", "1"],
  ])("refuses Argon2id m=%s t=%s in production (below OWASP's table)", (memory, iterations) => {
    expect(() =>
      loadConfig({
        NODE_ENV: "production",
        JWT_SECRET: strongSecret,
        PASSWORD_HASH: "argon2id",
        ARGON2_MEMORY_KIB: memory,
        ARGON2_ITERATIONS: iterations,
      }),
    ).toThrow(/ARGON2_MEMORY_KIB.*OWASP/);
  });

  it.each([
    ["47104", "1"],
    ["19456", "2"],
    ["12288", "3"],
    ["9216", "4"],
    ["7168", "5"],
  ])("accepts Argon2id m=%s t=%s in production (a row of OWASP's table)", (memory, iterations) => {
    const config = loadConfig({
      NODE_ENV: "production",
      JWT_SECRET: strongSecret,
      PASSWORD_HASH: "argon2id",
      ARGON2_MEMORY_KIB: memory,
      ARGON2_ITERATIONS: iterations,
    });
    expect(config.passwordHashing.argon2).toMatchObject({
      memoryKib: Number(memory),
      iterations: Number(iterations),
    });
  });
});

describe("loadConfig: limits, timeouts, proxies and logs", () => {
  it("defaults: the documented budgets, timeouts, no proxy trust, no CORS, no Loki", () => {
    const config = loadConfig({});
    expect(config.rateLimits).toEqual({
      loginPerAccountAndAddress: 10,
      loginPerAccount: 100,
      loginPerAddress: 100,
      registerPerAddress: 30,
      refreshPerAddress: 300,
      recoveryPerAccount: 5,
      recoveryPerAddress: 30,
      emailChangePerUser: 5,
      emailChangePerNewEmail: 3,
      windowSeconds: 900,
    });
    expect(config.http).toEqual({
      trustProxyHops: 0,
      corsOrigins: [],
      requestTimeoutMs: 10_000,
      readyTimeoutMs: 2000,
      shutdownTimeoutMs: 10_000,
    });
    expect(config.databaseTimeouts).toEqual({ connectSeconds: 5, statementMs: 5000 });
    expect(config.loki).toBeUndefined();
  });

  it("reads every variable", () => {
    const config = loadConfig({
      LOGIN_LIMIT_PER_ACCOUNT_AND_ADDRESS: "4",
      LOGIN_LIMIT_PER_ACCOUNT: "5",
      LOGIN_LIMIT_PER_ADDRESS: "50",
      REGISTER_LIMIT_PER_ADDRESS: "7",
      REFRESH_LIMIT_PER_ADDRESS: "9",
      RECOVERY_LIMIT_PER_ACCOUNT: "3",
      RECOVERY_LIMIT_PER_ADDRESS: "9",
      EMAIL_CHANGE_LIMIT_PER_USER: "4",
      EMAIL_CHANGE_LIMIT_PER_NEW_EMAIL: "2",
      RATE_LIMIT_WINDOW_SECONDS: "60",
      TRUST_PROXY: "true",
      CORS_ORIGINS: "https://app.example.com, http://localhost:5173",
      REQUEST_TIMEOUT_MS: "3000",
      READY_TIMEOUT_MS: "500",
      SHUTDOWN_TIMEOUT_MS: "2000",
      DATABASE_CONNECT_TIMEOUT_SECONDS: "2",
      DATABASE_STATEMENT_TIMEOUT_MS: "1500",
      LOKI_URL: "http://loki:3100",
      LOKI_BATCH_INTERVAL_SECONDS: "1",
    });
    expect(config.rateLimits).toEqual({
      loginPerAccountAndAddress: 4,
      loginPerAccount: 5,
      loginPerAddress: 50,
      registerPerAddress: 7,
      refreshPerAddress: 9,
      recoveryPerAccount: 3,
      recoveryPerAddress: 9,
      emailChangePerUser: 4,
      emailChangePerNewEmail: 2,
      windowSeconds: 60,
    });
    expect(config.http).toEqual({
      trustProxyHops: 1,
      corsOrigins: ["https://app.example.com", "http://localhost:5173"],
      requestTimeoutMs: 3000,
      readyTimeoutMs: 500,
      shutdownTimeoutMs: 2000,
    });
    expect(config.databaseTimeouts).toEqual({ connectSeconds: 2, statementMs: 1500 });
    expect(config.loki).toEqual({ url: "http://loki:3100", batchIntervalSeconds: 1 });
    expect(loadConfig({ TRUST_PROXY: "false" }).http.trustProxyHops).toBe(0);
    expect(loadConfig({ TRUST_PROXY: "2" }).http.trustProxyHops).toBe(2);
  });

  it("refuses nonsense, naming each variable", () => {
    try {
      loadConfig({
        LOGIN_LIMIT_PER_ACCOUNT: "101",
        LOGIN_LIMIT_PER_ACCOUNT_AND_ADDRESS: "0",
        TRUST_PROXY: "maybe",
        CORS_ORIGINS: "*",
        LOKI_URL: "ftp://loki",
        RATE_LIMIT_WINDOW_SECONDS: "-1",
      });
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigError);
      const message = (error as ConfigError).message;
      for (const key of [
        "LOGIN_LIMIT_PER_ACCOUNT:",
        "LOGIN_LIMIT_PER_ACCOUNT_AND_ADDRESS",
        "TRUST_PROXY",
        "CORS_ORIGINS",
        "LOKI_URL",
        "RATE_LIMIT_WINDOW_SECONDS",
      ]) {
        expect(message).toContain(key);
      }
    }
  });
});

describe("loadConfig: passkeys (WebAuthn relying party)", () => {
  it("defaults the RP ID and the one origin to PUBLIC_URL's host and origin", () => {
    expect(loadConfig({}).webauthn).toEqual({
      rpId: "localhost",
      rpName: "User Management",
      origins: ["http://localhost:3000"],
    });
    expect(loadConfig({ PUBLIC_URL: "https://users.example.com/app/" }).webauthn).toEqual({
      rpId: "users.example.com",
      rpName: "User Management",
      origins: ["https://users.example.com"],
    });
  });

  it("reads WEBAUTHN_RP_ID, WEBAUTHN_RP_NAME and a comma-separated WEBAUTHN_ORIGINS (as origins)", () => {
    const config = loadConfig({
      WEBAUTHN_RP_ID: "example.com",
      WEBAUTHN_RP_NAME: "Example Accounts",
      WEBAUTHN_ORIGINS: "https://id.example.com, https://app.example.com:8443/path",
    });
    expect(config.webauthn).toEqual({
      rpId: "example.com",
      rpName: "Example Accounts",
      origins: ["https://id.example.com", "https://app.example.com:8443"],
    });
  });

  it("refuses an RP ID with a scheme or port, and origins that are not http(s) URLs", () => {
    expect(() => loadConfig({ WEBAUTHN_RP_ID: "https://example.com" })).toThrow(/WEBAUTHN_RP_ID/);
    expect(() => loadConfig({ WEBAUTHN_ORIGINS: "example.com" })).toThrow(/WEBAUTHN_ORIGINS/);
  });
});

describe("loadConfig: mail, verification and password rules", () => {
  it("defaults: no SMTP, a local PUBLIC_URL, verification not required", () => {
    const config = loadConfig({});
    expect(config.mail).toEqual({ smtpUrl: undefined, from: "User Management <no-reply@localhost>" });
    expect(config.publicUrl).toBe("http://localhost:3000");
    expect(config.requireVerifiedEmail).toBe(false);
    expect(config.passwordPolicy).toEqual({ minLength: 8 });
  });

  it("PASSWORD_MIN_LENGTH raises the minimum (never below 8), and FIRST_SUPERUSER_PASSWORD must meet it", () => {
    expect(loadConfig({ PASSWORD_MIN_LENGTH: "12" }).passwordPolicy).toEqual({ minLength: 12 });
    expect(() => loadConfig({ PASSWORD_MIN_LENGTH: "6" })).toThrow(/PASSWORD_MIN_LENGTH/);
    expect(() =>
      loadConfig({
        PASSWORD_MIN_LENGTH: "12",
        FIRST_SUPERUSER_EMAIL: "root@example.com",
        FIRST_SUPERUSER_PASSWORD: "eleven char",
      }),
    ).toThrow(/FIRST_SUPERUSER_PASSWORD: must be at least 12 characters/);
  });

  it("reads SMTP_URL, MAIL_FROM, PUBLIC_URL (trailing slash dropped) and REQUIRE_VERIFIED_EMAIL", () => {
    const config = loadConfig({
      SMTP_URL: "smtp://mailpit:1025",
      MAIL_FROM: "Accounts <accounts@example.com>",
      PUBLIC_URL: "https://users.example.com/",
      REQUIRE_VERIFIED_EMAIL: "true",
    });
    expect(config.mail).toEqual({ smtpUrl: "smtp://mailpit:1025", from: "Accounts <accounts@example.com>" });
    expect(config.publicUrl).toBe("https://users.example.com");
    expect(config.requireVerifiedEmail).toBe(true);
  });

  it("refuses a non-SMTP SMTP_URL, a non-http PUBLIC_URL and a non-boolean REQUIRE_VERIFIED_EMAIL", () => {
    expect(() =>
      loadConfig({ SMTP_URL: "http://mailpit", PUBLIC_URL: "ftp://x", REQUIRE_VERIFIED_EMAIL: "yes" }),
    ).toThrow(/SMTP_URL[\s\S]*PUBLIC_URL[\s\S]*REQUIRE_VERIFIED_EMAIL/);
  });
});

describe("settings other modules derive from the configuration", () => {
  it("the cluster primary waits longer than its workers' SHUTDOWN_TIMEOUT_MS, whatever it is", () => {
    expect(primaryShutdownDeadlineMs(loadConfig({}).http)).toBe(15_000);
    for (const workerGrace of ["0", "20000", "600000"]) {
      const { http } = loadConfig({ SHUTDOWN_TIMEOUT_MS: workerGrace });
      expect(primaryShutdownDeadlineMs(http)).toBeGreaterThanOrEqual(http.shutdownTimeoutMs + 5000);
    }
  });

  it("database timeouts default to what the server and the migration both use", () => {
    expect(loadConfig({}).databaseTimeouts).toEqual({ connectSeconds: 5, statementMs: 5000 });
    expect(
      loadConfig({ DATABASE_CONNECT_TIMEOUT_SECONDS: "1", DATABASE_STATEMENT_TIMEOUT_MS: "0" })
        .databaseTimeouts,
    ).toEqual({ connectSeconds: 1, statementMs: 0 });
  });
});
