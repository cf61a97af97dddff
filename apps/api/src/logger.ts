import { pino } from "pino";
import type { Config } from "./config.js";

/**
 * Anything that could carry a secret is censored wherever it appears in a log object, at the top
 * level or one level down (pino's redaction paths do not recurse further, so we never log bodies).
 */
const SECRET_KEYS = [
  "password",
  "new_password",
  "current_password",
  "hashedPassword",
  "hashed_password",
  "authorization",
  "cookie",
  "token",
  "access_token",
  "refresh_token",
  "secret",
];
export const REDACTED_PATHS = [
  ...SECRET_KEYS,
  ...SECRET_KEYS.map((key) => `*.${key}`),
  'req.headers["authorization"]',
  'req.headers["cookie"]',
];

export type Logger = pino.Logger;

export function createLogger(
  config: Pick<Config, "env" | "logLevel">,
  destination?: pino.DestinationStream,
): Logger {
  const options: pino.LoggerOptions = {
    level: config.logLevel,
    base: { service: "user-management-api" },
    redact: { paths: REDACTED_PATHS, censor: "[redacted]" },
    timestamp: pino.stdTimeFunctions.isoTime,
  };
  if (destination) return pino(options, destination);
  if (config.env === "development" && process.stdout.isTTY) {
    return pino({
      ...options,
      transport: { target: "pino-pretty", options: { translateTime: "SYS:HH:MM:ss" } },
    });
  }
  return pino(options);
}
