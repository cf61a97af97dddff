import { pino } from "pino";
import type { Config } from "./config.js";

/**
 * Anything that could carry a secret is censored wherever it appears in a log object, at the top
 * level or up to two levels down (pino's redaction paths do not recurse further, so we never log
 * bodies).
 */
const SECRET_KEYS = [
  "password",
  "new_password",
  "newPassword",
  "current_password",
  "currentPassword",
  "hashedPassword",
  "hashed_password",
  "passwordHash",
  "password_hash",
  "hash",
  "authorization",
  "Authorization",
  "cookie",
  "set-cookie",
  "token",
  "accessToken",
  "access_token",
  "refreshToken",
  "refresh_token",
  "jwt",
  "mfa_token",
  "mfaToken",
  "recovery_code",
  "recoveryCode",
  "recovery_codes",
  "recoveryCodes",
  "otpauth_uri",
  "otpauthUri",
  "secret",
  "jwtSecret",
  "JWT_SECRET",
];
const segment = (key: string) => (/^[A-Za-z_]\w*$/.test(key) ? `.${key}` : `["${key}"]`);
export const REDACTED_PATHS = [
  ...SECRET_KEYS.map((key) => segment(key).replace(/^\./, "")),
  ...SECRET_KEYS.map((key) => `*${segment(key)}`),
  ...SECRET_KEYS.map((key) => `*.*${segment(key)}`),
];

export type Logger = pino.Logger;

export const SERVICE_NAME = "user-management-api";

/** Worker-thread transports by logger, so shutdown can wait for them to flush (see closeLogger). */
const transports = new WeakMap<Logger, ReturnType<typeof pino.transport>>();

/**
 * With `loki` set, lines go through a pino multi-target transport on a worker thread: stdout and Grafana
 * Loki (pino-loki, labels service/env/level). The request path only ever writes to the worker's
 * buffer, so a slow or dead Loki costs the service nothing but the lines it drops.
 */
export function createLogger(
  config: Pick<Config, "env" | "logLevel"> & Partial<Pick<Config, "loki">>,
  destination?: pino.DestinationStream,
): Logger {
  const options: pino.LoggerOptions = {
    level: config.logLevel,
    base: { service: SERVICE_NAME },
    redact: { paths: REDACTED_PATHS, censor: "[redacted]" },
    timestamp: pino.stdTimeFunctions.isoTime,
  };
  if (destination) return pino(options, destination);
  if (config.loki) {
    const transport = pino.transport({
      targets: [
        { target: "pino/file", level: config.logLevel, options: { destination: 1 } },
        {
          target: "pino-loki",
          level: config.logLevel,
          options: {
            host: config.loki.url,
            labels: { service: SERVICE_NAME, env: config.env },
            batching: { interval: config.loki.batchIntervalSeconds },
            // A push that hangs must not hold shutdown (the last batch is sent on close).
            timeout: 3000,
          },
        },
      ],
    });
    const logger = pino(options, transport);
    transports.set(logger, transport);
    return logger;
  }
  if (config.env === "development" && process.stdout.isTTY) {
    return pino({
      ...options,
      transport: { target: "pino-pretty", options: { translateTime: "SYS:HH:MM:ss" } },
    });
  }
  return pino(options);
}

/** Flushes the logger; with a worker transport, waits (bounded) until the worker has sent its last batch. */
export async function closeLogger(logger: Logger, timeoutMs = 5000): Promise<void> {
  logger.flush();
  const transport = transports.get(logger);
  if (!transport) return;
  await new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, timeoutMs);
    timer.unref();
    transport.once("close", () => {
      clearTimeout(timer);
      resolve();
    });
    transport.end();
  });
}
