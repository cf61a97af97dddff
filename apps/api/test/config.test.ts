import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
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
      jwt: { ttlSeconds: 1800, secretWasGenerated: true },
      bcryptCost: 12,
      logLevel: "info",
    });
    expect(Buffer.byteLength(config.jwt.secret)).toBeGreaterThanOrEqual(32);
    expect(loadConfig({}).jwt.secret).not.toBe(config.jwt.secret);
    expect(config.webDistDir).toBe(DEFAULT_WEB_DIST_DIR);
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
      BCRYPT_COST: "11",
      LOG_LEVEL: "warn",
      WEB_DIST_DIR: "/srv/web",
    });
    expect(config).toMatchObject({
      env: "production",
      port: 8080,
      host: "127.0.0.1",
      database: { url: "postgres://u@db:5432/app", dataDir: "/var/lib/app" },
      jwt: { secret: strongSecret, ttlSeconds: 600, secretWasGenerated: false },
      bcryptCost: 11,
      logLevel: "warn",
      webDistDir: "/srv/web",
    });
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

  it("refuses a low bcrypt cost in production", () => {
    expect(() => loadConfig({ NODE_ENV: "production", JWT_SECRET: strongSecret, BCRYPT_COST: "4" })).toThrow(
      /BCRYPT_COST/,
    );
  });
});
